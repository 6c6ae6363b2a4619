"""Captured GS1 keys become (or link to) DeFarm items through ``gs1`` canonical identifiers."""

import pytest

from accounts.models import CreditBalance
from items.epcis.models import EpcisEvent, EpcisEventEpc
from items.models import Item, ItemIdentifier

pytestmark = pytest.mark.django_db

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]


def event(**fields):
    return {
        "@context": CONTEXT,
        "type": "ObjectEvent",
        "eventTime": "2026-07-22T06:45:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "readPoint": {"id": "urn:epc:id:sgln:9521141.12345.0"},
        **fields,
    }


def post(client, body):
    return client.post("/epcis/events", data=body, format="json")


def test_a_captured_sgtin_becomes_an_item_with_a_gs1_identifier(auth_client, user):
    response = post(auth_client, event(epcList=["urn:epc:id:sgtin:9521141.001234.2017"]))
    assert response.status_code == 202, response.content

    identifier = ItemIdentifier.objects.get(namespace="gs1")
    assert identifier.key == "sgtin"
    assert identifier.value == "https://id.gs1.org/01/09521141012345/21/2017"
    assert identifier.id_type == "Canonical"
    assert identifier.item.created_by == user
    assert EpcisEventEpc.objects.get().item_id == identifier.item_id
    # The read point (a location) is no item.
    assert Item.objects.count() == 1


def test_the_same_key_in_either_form_links_to_the_same_item(auth_client):
    post(auth_client, event(epcList=["urn:epc:id:sgtin:9521141.001234.2017"]))
    post(
        auth_client,
        event(action="ADD", epcList=["https://id.gs1.org/01/09521141012345/21/2017"]),
    )
    assert EpcisEvent.objects.count() == 2
    assert Item.objects.count() == 1
    assert len(set(EpcisEventEpc.objects.values_list("item_id", flat=True))) == 1


def test_another_partys_event_links_to_the_existing_item(auth_client, other_client, user):
    post(auth_client, event(epcList=["urn:epc:id:sscc:0614141.1234567890"]))
    post(other_client, event(action="ADD", epcList=["urn:epc:id:sscc:0614141.1234567890"]))

    item = Item.objects.get()
    assert item.created_by == user
    assert set(EpcisEventEpc.objects.values_list("item_id", flat=True)) == {item.dfid}
    assert item.contributions.filter(contributor=other_client.user).exists()


def test_capture_without_credits_for_new_items_is_refused_and_stores_nothing(auth_client, user):
    CreditBalance.objects.filter(user=user).update(credits=0)
    response = post(auth_client, event(epcList=["urn:epc:id:giai:4000001.12345"]))
    assert response.status_code == 402
    assert response["Content-Type"] == "application/problem+json"
    assert not EpcisEvent.objects.exists()
    assert not Item.objects.exists()


def test_a_gs1_identifier_must_be_the_canonical_digital_link(auth_client):
    response = auth_client.post(
        "/api/items",
        data={
            "identifiers": [
                {
                    "namespace": "gs1",
                    "key": "sgtin",
                    "value": "urn:epc:id:sgtin:9521141.001234.2017",
                    "id_type": "Canonical",
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert "https://id.gs1.org/01/09521141012345/21/2017" in response.json()["message"]
