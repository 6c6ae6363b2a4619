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
from items.models import Event, Item, ItemContribution, ItemIdentifier
from tests.accounts.factories import UserFactory
from tests.conftest import client_for
from tests.items.factories import canonical, contextual, item_for, local_item_for

pytestmark = pytest.mark.django_db

SECRET_LOT = "LOT-OWNER-ONLY-7731"
SECRET_DATA = {"buyer": "Frigorifico Sul", "price_brl": 73915286}
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
    assert "Frigorifico" not in text and "73915286" not in text
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
        "/api/items/batch",
        {
            "items": [
                {"identifiers": [tag], "enriched_data": {"price_brl": 2}},
                {"identifiers": [tag, contextual("pen", "P5")], "enriched_data": {"x": 1}},
                {"identifiers": [canonical()]},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
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
    assert response.status_code == 200, response.content
    assert_no_owner_data(response.json(), owner)
    call_command("resolve_data_lake", stdout=io.StringIO())
    assert_untouched(owned)
    layer = ItemContribution.objects.get(item=owned, contributor=stranger)
    assert sorted(layer.identifier_rows.values_list("key", flat=True)) == ["sisbov"]
    seen = own_view(client, owned.dfid)
    assert_no_owner_data(seen, owner)
    assert [i["key"] for i in seen["identifiers"]] == ["sisbov"]


def test_a_strangers_enrichment_event_is_private_to_it(owner, stranger, owned, tag):
    client_for(stranger).post(
        "/api/items", {"identifiers": [tag, contextual("pen", "P6")]}, format="json"
    )
    event = Event.objects.get(item=owned, event_type="Enriched")
    assert event.visibility == "Private" and event.created_by_id == stranger.pk
    owner_events = client_for(owner).get(f"/api/items/{owned.dfid}/events").json()
    assert "P6" not in json.dumps(owner_events)
    stranger_events = client_for(stranger).get(f"/api/items/{owned.dfid}/events").json()
    assert_no_owner_data(stranger_events, owner)


def test_push_local_into_own_circuit_never_reveals_or_changes_the_item(
    owner, stranger, owned, tag, django_capture_on_commit_callbacks
):
    circuit = _strangers_circuit(stranger)
    local = local_item_for(stranger, tag, enriched_data={"price_brl": 3})
    client = client_for(stranger)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/circuits/{circuit.circuit_id}/push-local",
            {"local_id": local.local_id, "enriched_data": {"pen": "P7"}},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["dfid"] == owned.dfid
    assert response.json()["data"]["status"] == "ExistingItemEnriched"
    assert_untouched(owned)
    layer = ItemContribution.objects.get(item=owned, contributor=stranger)
    assert layer.circuit_id == circuit.circuit_id
    assert layer.enriched_data == {"price_brl": 3, "pen": "P7"}
    # the item is now in the stranger's circuit: its members see the stranger's layer only
    assert_no_owner_data(own_view(client, owned.dfid), owner)
    items = client.get(f"/api/circuits/{circuit.circuit_id}/items?include_events=true").json()
    assert_no_owner_data(items, owner)
    assert client.get(f"/api/items/{owned.dfid}/storage-history").status_code == 404
    assert_no_owner_data(client.get(f"/api/items/{owned.dfid}/events").json(), owner)
    assert client.get(f"/api/items/{owned.dfid}").json()["enriched_data"] == {
        "price_brl": 3,
        "pen": "P7",
    }


def test_pushing_a_visible_item_snapshots_the_pushers_view(owner, stranger, owned, tag):
    """A contributor may push the DFID into its circuit; the snapshot waiting for approval
    is what the contributor sees, not the owner's data."""
    client = client_for(stranger)
    client.post("/api/items", {"identifiers": [tag]}, format="json")
    circuit = _strangers_circuit(stranger, require_approval_for_push=True)
    response = client.post(f"/api/circuits/{circuit.circuit_id}/push/{owned.dfid}")
    assert response.status_code in (200, 201), response.content
    pending = client.get(f"/api/circuits/{circuit.circuit_id}/pending-items").json()
    assert_no_owner_data(pending, owner)
    assert_untouched(owned)


# --- what circuits store and publish ------------------------------------------------------------


def test_a_strangers_circuit_stores_and_publishes_only_the_strangers_layer(
    owner, stranger, owned, tag, django_capture_on_commit_callbacks
):
    from adapters.backends import LocalStorageAdapter
    from adapters.models import StorageHistory
    from adapters.selectors import local_store_root
    from circuits.services import circuit_set_public_settings

    circuit = circuit_create(
        owner=stranger, name="Stranger's showcase", adapter_config={"adapter_type": "local"}
    )
    circuit_set_public_settings(
        circuit=circuit,
        actor=stranger,
        public_settings={"access_mode": "public", "auto_publish_pushed_items": True},
    )
    local = local_item_for(stranger, tag, enriched_data={"price_brl": 5})
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(stranger).post(
            f"/api/circuits/{circuit.circuit_id}/push-local",
            {"local_id": local.local_id},
            format="json",
        )
    assert response.status_code == 200, response.content
    record = StorageHistory.objects.get(item=owned, triggered_by_id=str(circuit.circuit_id))
    stored = json.loads(LocalStorageAdapter(local_store_root()).retrieve(record.storage_location))
    assert_no_owner_data(stored, owner)
    assert stored["enriched_data"] == {"price_brl": 5}
    # published: anyone reads it, and reads the stranger's layer only
    public = client_for(UserFactory()).get(f"/api/circuits/{circuit.circuit_id}/public")
    assert public.status_code == 200, public.content
    assert_no_owner_data(public.json(), owner)
    public_storage = client_for(UserFactory()).get(f"/api/public/storage-history/{owned.dfid}")
    assert public_storage.status_code == 200, public_storage.content
    assert str(record.id) in json.dumps(public_storage.json())
    assert len(public_storage.json()["data"]["storage_records"]) == 1
    # the owner does not learn where the stranger's circuit stored the stranger's data
    owner_storage = client_for(owner).get(f"/api/items/{owned.dfid}/storage-history").json()
    assert str(record.id) not in json.dumps(owner_storage)


# --- the per-viewer merge costs no query per row ------------------------------------------------


def _shared_items_with_layers(owner, partner, circuit, count):
    """``count`` items of ``owner`` pushed into ``circuit``, each with a layer of ``partner``
    (shared with the circuit) and one of a stranger (not shared)."""
    from circuits.services import circuit_push

    stranger = UserFactory()
    for _ in range(count):
        tag = canonical()
        item = item_for(owner, tag, contextual("cpf", "52998224725", namespace="generic"))
        circuit_push(circuit=circuit, user=owner, dfid=item.dfid)
        for party in (partner, stranger):
            item_for(party, tag, contextual("pen", party.username), enriched_data={"n": 1})
        partner_layer = ItemContribution.objects.get(item=item, contributor=partner)
        partner_layer.circuit = circuit
        partner_layer.save(update_fields=["circuit"])


@pytest.mark.parametrize("path", ["/api/items", "/api/items?identifier_key=sisbov"])
def test_item_lists_merge_layers_in_a_constant_number_of_queries(path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import TransactionType
    from accounts.services.credits import credits_add

    owner, partner = UserFactory(), UserFactory()
    credits_add(user=owner, amount=1000, transaction_type=TransactionType.GRANT, description="")
    circuit = circuit_create(owner=owner, name="Merge cost")
    member_add(circuit=circuit, actor=None, member=partner, role="Member")
    url = path
    client = client_for(partner)
    _shared_items_with_layers(owner, partner, circuit, 3)
    with CaptureQueriesContext(connection) as few:
        body = client.get(url).json()
    assert len(body) == 3
    assert all(
        {"pen"} <= {i["key"] for i in item["identifiers"]}
        and any(i["value"] == "•••••••24725" for i in item["identifiers"])
        for item in body
    )
    _shared_items_with_layers(owner, partner, circuit, 27)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()) == 30
    assert len(many) == len(few)


def test_staff_see_every_layer_on_the_item_page_labelled_by_contributor(
    owner, stranger, owned, tag, staff_user
):
    from django.test import Client

    admin_client = Client()
    admin_client.force_login(staff_user)
    client_for(stranger).post(
        "/api/items", {"identifiers": [tag, contextual("pen", "P9")]}, format="json"
    )
    page = admin_client.get(f"/admin/items/item/{owned.dfid}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "contribution layer" in text.lower()
    assert (
        f"{owner.username} ({owner.pk})" in text and f"{stranger.username} ({stranger.pk})" in text
    )
    assert "P9" in text and SECRET_LOT in text
