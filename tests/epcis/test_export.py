"""A DeFarm item's history as an EPCIS 2.0 document."""

import json

import jsonschema
import pytest

from items.epcis.validation import document_validate
from items.epcis.vocabulary import RESOURCES
from items.models import Item
from items.services import item_deprecate
from tests.epcis.test_items_link import event, post

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((RESOURCES / "EPCIS-JSON-Schema.json").read_text())


@pytest.fixture
def seeded_item(auth_client, user):
    """An item made by capturing two events about its SGTIN, then deprecated."""
    sgtin = "urn:epc:id:sgtin:9521141.001234.2017"
    assert (
        post(auth_client, event(action="ADD", epcList=[sgtin], bizStep="commissioning")).status_code
        == 202
    )
    extended = event(
        eventTime="2026-07-23T06:45:00+02:00",
        epcList=[sgtin],
        bizStep="shipping",
        **{"example:note": "on the truck"},
    )
    extended["@context"] = [*extended["@context"], {"example": "http://ns.example.com/epcis/"}]
    assert post(auth_client, extended).status_code == 202
    item = Item.objects.get()
    item_deprecate(user=user, item=item)
    return item


def test_export_validates_against_the_official_schema(auth_client, seeded_item):
    response = auth_client.get(f"/epcis/items/{seeded_item.dfid}/export")
    assert response.status_code == 200, response.content
    document = response.json()

    jsonschema.validate(document, SCHEMA)
    assert document_validate(document).ok, document_validate(document).first()
    events = document["epcisBody"]["eventList"]
    steps = [e.get("bizStep") for e in events]
    assert "commissioning" in steps and "shipping" in steps
    created = next(e for e in events if e.get("defarm:eventType") == "Created")
    assert created["epcList"] == ["https://id.gs1.org/01/09521141012345/21/2017"]
    status = next(e for e in events if e.get("defarm:eventType") == "StatusChanged")
    assert status["disposition"] == "inactive"
    assert {"example": "http://ns.example.com/epcis/"} in document["@context"]


def test_export_can_be_captured_by_another_party(auth_client, other_client, seeded_item):
    document = auth_client.get(f"/epcis/items/{seeded_item.dfid}/export").json()
    response = other_client.post(
        "/epcis/capture", data=json.dumps(document), content_type="application/ld+json"
    )
    assert response.status_code == 202, response.content
    assert response.json()["success"] is True


def test_item_without_gs1_keys_is_named_by_its_dfid(auth_client, user):
    from items.services import item_create

    item = item_create(
        user=user,
        identifiers=[
            {
                "namespace": "bovino",
                "key": "sisbov",
                "value": "BR123456789012",
                "id_type": "Canonical",
            }
        ],
    ).item
    document = auth_client.get(f"/epcis/items/{item.dfid}/export").json()
    jsonschema.validate(document, SCHEMA)
    [created] = document["epcisBody"]["eventList"]
    assert created["epcList"] == [f"https://id.defarm.net/dfid/{item.dfid}"]


def test_export_of_an_item_the_caller_cannot_see_is_404(other_client, seeded_item):
    response = other_client.get(f"/epcis/items/{seeded_item.dfid}/export")
    assert response.status_code == 404
    assert response.json()["type"] == "epcisException:NoSuchResourceException"


def test_export_query_count_does_not_grow(auth_client, seeded_item, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = auth_client.get(f"/epcis/items/{seeded_item.dfid}/export")
    assert response.status_code == 200
