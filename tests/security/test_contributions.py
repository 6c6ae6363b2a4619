"""Shared identities: a canonical identifier of another party's item links the caller's own
layer to that DFID. No dedup path (single and bulk create, push-local, pending approval,
receipts and the data lake) returns or changes another party's data."""

import base64
import io
import json

import pytest
from django.core.management import call_command

from circuits.models import Circuit
from circuits.services import circuit_create, member_add
from items.models import Item, ItemContribution, ItemIdentifier
from tests.accounts.factories import UserFactory
from tests.conftest import client_for
from tests.items.factories import canonical, contextual, item_for, local_item_for

pytestmark = pytest.mark.django_db

SECRET_LOT = "LOT-OWNER-ONLY-7731"
SECRET_DATA = {"buyer": "Frigorifico Sul", "price_brl": 9120}
OWNER_CPF = "529.982.247-25"


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def stranger():
    return UserFactory()


@pytest.fixture
def tag():
    return canonical()


@pytest.fixture
def owned(owner, tag):
    """The owner's item: an ear tag (printed, so guessable), a private lot and the owner's
    CPF, private enriched data."""
    item = item_for(
        owner,
        tag,
        contextual("lot", SECRET_LOT),
        canonical(OWNER_CPF, key="cpf", namespace="generic"),
        enriched_data=dict(SECRET_DATA),
    )
    return Item.objects.get(pk=item.pk)


def assert_untouched(item: Item) -> None:
    """The item row (the owner's layer) is exactly as it was."""
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.enriched_data == item.enriched_data
    assert fresh.item_hash == item.item_hash
    assert fresh.last_updated_ts == item.last_updated_ts
    base = ItemIdentifier.objects.filter(item=item, contribution__isnull=True)
    assert sorted(base.values_list("key", "value")) == sorted(
        item.identifiers.filter(contribution__isnull=True).values_list("key", "value")
    )


def assert_no_owner_data(body, owner) -> None:
    text = json.dumps(body)
    assert SECRET_LOT not in text
    assert "Frigorifico" not in text and "9120" not in text
    assert "52998224725" not in text
    assert owner.pk not in text


def own_view(client, dfid):
    response = client.get(f"/api/items/{dfid}")
    assert response.status_code == 200, response.content
    return response.json()


# --- single and bulk create ---------------------------------------------------------------------


def test_single_create_with_anothers_tag_answers_the_callers_own_view(owner, stranger, owned, tag):
    client = client_for(stranger)
    assert client.get(f"/api/items/{owned.dfid}").status_code == 404
    response = client.post(
        "/api/items",
        {"identifiers": [tag, contextual("pen", "P4")], "enriched_data": {"price_brl": 1}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dfid"] == owned.dfid
    assert_no_owner_data(body, owner)
    assert body["created_by"] is None
    assert body["enriched_data"] == {"price_brl": 1}
    assert sorted(i["key"] for i in body["identifiers"]) == ["pen", "sisbov"]
    assert_untouched(owned)
    # the owner still sees only its own data; the stranger's layer is not shared with it
    seen = own_view(client_for(owner), owned.dfid)
    assert seen["enriched_data"] == SECRET_DATA
    assert "pen" not in [i["key"] for i in seen["identifiers"]]
    assert seen["item_hash"] == owned.item_hash
    # the stranger now reads its own view, never the owner's
    assert_no_owner_data(own_view(client, owned.dfid), owner)
    listed = client.get("/api/items").json()
    assert [i["dfid"] for i in listed] == [owned.dfid]
    assert_no_owner_data(listed, owner)


def test_bulk_create_with_anothers_tag_links_without_reading_or_writing(
    owner, stranger, owned, tag
):
    client = client_for(stranger)
    response = client.post(
        "/api/items",
        [
            {"identifiers": [tag], "enriched_data": {"price_brl": 2}},
            {"identifiers": [tag, contextual("pen", "P5")], "enriched_data": {"x": 1}},
            {"identifiers": [canonical()]},
        ],
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["enriched", "enriched", "created"]
    assert body["results"][0]["dfid"] == owned.dfid
    assert_no_owner_data(body, owner)
    assert_untouched(owned)
    layer = ItemContribution.objects.get(item=owned, contributor=stranger)
    assert layer.enriched_data == {"price_brl": 2, "x": 1}
    assert_no_owner_data(own_view(client, owned.dfid), owner)


def test_person_ids_are_masked_for_all_but_their_contributor(owner, stranger, owned, tag):
    circuit = circuit_create(owner=owner, name="Valley traders")
    member_add(circuit=circuit, actor=None, member=stranger, role="Member")
    pushed = client_for(owner).post(
        f"/api/circuits/{circuit.circuit_id}/push/{owned.dfid}", format="json"
    )
    assert pushed.status_code in (200, 201), pushed.content
    seen = own_view(client_for(stranger), owned.dfid)
    cpf = next(i for i in seen["identifiers"] if i["key"] == "cpf")
    assert cpf["value"] == "•••••••24725"
    assert seen["enriched_data"] == SECRET_DATA  # shared by the owner through the circuit
    mine = next(
        i for i in own_view(client_for(owner), owned.dfid)["identifiers"] if i["key"] == "cpf"
    )
    assert mine["value"] == "52998224725"


# --- push-local and pending approval ------------------------------------------------------------


def _strangers_circuit(stranger, **permissions) -> Circuit:
    return circuit_create(owner=stranger, name="Stranger's circuit", permissions=permissions)


def test_pending_approval_links_the_pushers_layer_only(owner, stranger, owned, tag):
    circuit = _strangers_circuit(stranger, require_approval_for_push=True)
    local = local_item_for(stranger, tag, enriched_data={"price_brl": 4})
    client = client_for(stranger)
    response = client.post(
        f"/api/circuits/{circuit.circuit_id}/push-local",
        {"local_id": local.local_id},
        format="json",
    )
    assert response.status_code == 200 and response.json()["data"]["status"] == "PendingApproval"
    pending = client.get(f"/api/circuits/{circuit.circuit_id}/pending-items").json()["data"]
    pending_id = pending[0]["pending_id"]
    approved = client.post(f"/api/circuits/{circuit.circuit_id}/pending-items/{pending_id}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["data"]["dfid"] == owned.dfid
    assert_no_owner_data(approved.json(), owner)
    assert_untouched(owned)
    assert ItemContribution.objects.get(item=owned, contributor=stranger).enriched_data == {
        "price_brl": 4
    }
    assert_no_owner_data(own_view(client, owned.dfid), owner)


# --- receipts and the data lake -----------------------------------------------------------------


def test_receipt_resolved_by_the_data_lake_links_the_senders_layer(owner, stranger):
    tag = canonical(namespace="generic")  # receipts name no namespace
    owned = item_for(owner, tag, contextual("lot", SECRET_LOT), enriched_data=dict(SECRET_DATA))
    client = client_for(stranger)
    response = client.post(
        "/api/receipts",
        {
            "data": base64.b64encode(b"weighing ticket").decode(),
            "identifiers": [{"key": "sisbov", "value": tag["value"]}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_no_owner_data(response.json(), owner)
    call_command("resolve_data_lake", stdout=io.StringIO())
    assert_untouched(owned)
    layer = ItemContribution.objects.get(item=owned, contributor=stranger)
    assert sorted(layer.identifier_rows.values_list("key", flat=True)) == ["sisbov"]
    seen = own_view(client, owned.dfid)
    assert_no_owner_data(seen, owner)
    assert [i["key"] for i in seen["identifiers"]] == ["sisbov"]
