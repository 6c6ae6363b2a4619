import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CreditBalance, CreditTransaction, Tier
from adapters.backends import LocalStorageAdapter
from adapters.cid import cid_v1_raw
from adapters.models import AdapterConfig, StorageHistory
from adapters.selectors import local_store_root
from adapters.services import circuit_storage_check, item_store_for_circuit
from circuits import signals
from circuits.models import Circuit, CircuitPublishedItem
from tests.accounts.factories import UserFactory
from tests.adapters.factories import (
    CircuitFactory,
    EventFactory,
    ItemFactory,
    circuit_hold,
    member_add,
)
from tests.adapters.kubo import FakeKubo
from tests.conftest import client_for


def push_signal(circuit, item, user, signal=signals.item_pushed):
    signal.send(sender=Circuit, circuit=circuit, item=item, user=user, operation=None)


@pytest.fixture
def local_circuit(user):
    return CircuitFactory(owner=user, adapter_config={"adapter_type": "local"})


def test_push_stores_snapshot_through_the_circuit_adapter(user, local_circuit):
    item = ItemFactory(created_by=user)
    EventFactory(item=item, timestamp=1_700_000_100)
    EventFactory(item=item, timestamp=1_700_000_050, event_type="Enriched")
    EventFactory(item=item, timestamp=1_700_000_999, visibility="Private")
    circuit_hold(local_circuit, item)

    push_signal(local_circuit, item, user)

    record = StorageHistory.objects.get(item=item)
    assert record.adapter_type == "local"
    assert record.triggered_by == "circuit_push"
    assert record.triggered_by_id == str(local_circuit.circuit_id)
    assert (record.events_range_start, record.events_range_end) == (1_700_000_050, 1_700_000_100)
    assert record.is_active
    data = LocalStorageAdapter(local_store_root()).retrieve(record.storage_location)
    assert record.storage_location == {"Local": {"id": cid_v1_raw(data), "size": len(data)}}
    snapshot = json.loads(data)
    assert snapshot["dfid"] == item.dfid
    assert snapshot["enriched_data"] == item.enriched_data
    assert [identifier["value"] for identifier in snapshot["identifiers"]] == [
        item.identifiers.get().value
    ]
    assert [event["timestamp"] for event in snapshot["events"]] == [1_700_000_050, 1_700_000_100]


def test_push_and_approval_of_the_same_snapshot_record_once(user, local_circuit):
    item = ItemFactory(created_by=user)
    push_signal(local_circuit, item, user)
    push_signal(local_circuit, item, user, signal=signals.item_approved)
    assert StorageHistory.objects.filter(item=item).count() == 1


def test_circuit_without_adapter_stores_nothing(user):
    circuit = CircuitFactory(owner=user, adapter_config=None)
    item = ItemFactory(created_by=user)
    push_signal(circuit, item, user)
    assert not StorageHistory.objects.exists()


def test_push_through_ipfs_adds_and_pins(user):
    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": "ipfs-ipfs"})
    item = ItemFactory(created_by=user)
    with FakeKubo() as kubo:
        AdapterConfig.objects.create(
            name="node",
            adapter_type="ipfs-ipfs",
            connection_details={"endpoint": kubo.endpoint},
            is_default=True,
            created_by="staff",
        )
        push_signal(circuit, item, user)
        record = StorageHistory.objects.get(item=item)
        cid = record.storage_location["IPFS"]["cid"]
        assert record.storage_location["IPFS"]["pinned"] is True
        assert cid in kubo.pins
        assert cid == cid_v1_raw(kubo.blocks[cid])
        assert json.loads(kubo.blocks[cid])["dfid"] == item.dfid
        from adapters.selectors import storage_adapter_for

        backend = storage_adapter_for(adapter_type="ipfs-ipfs")
        assert backend.retrieve(record.storage_location) == kubo.blocks[cid]
        assert [path for path, _ in kubo.calls] == [
            "/api/v0/add",
            "/api/v0/pin/add",
            "/api/v0/cat",
        ]


def test_ipfs_without_endpoint_refuses_and_records_nothing(user):
    from adapters.backends import AdapterNotConfigured

    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": "ipfs-ipfs"})
    item = ItemFactory(created_by=user)
    with pytest.raises(AdapterNotConfigured, match="No endpoint is configured"):
        circuit_storage_check(circuit=circuit)
    with pytest.raises(AdapterNotConfigured, match="No endpoint is configured"):
        item_store_for_circuit(circuit=circuit, item=item, user=user)
    assert not StorageHistory.objects.exists()


def test_stellar_without_network_refuses_and_records_nothing(user):
    from adapters.backends import AdapterNotConfigured

    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": "stellar_testnet-ipfs"})
    item = ItemFactory(created_by=user)
    with pytest.raises(AdapterNotConfigured, match="No network is configured"):
        circuit_storage_check(circuit=circuit)
    with pytest.raises(AdapterNotConfigured, match="No network is configured"):
        item_store_for_circuit(circuit=circuit, item=item, user=user)
    assert not StorageHistory.objects.exists()


# --- API ----------------------------------------------------------------------------------------


def test_storage_history_lists_newest_first_with_primary(auth_client, user, local_circuit):
    item = ItemFactory(created_by=user)
    circuit_hold(local_circuit, item)
    push_signal(local_circuit, item, user)
    EventFactory(item=item)
    push_signal(local_circuit, item, user)
    response = auth_client.get(f"/api/storage-history/{item.dfid}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True and body["data"]["dfid"] == item.dfid
    first, second = body["data"]["storage_records"]
    assert first["stored_at"] >= second["stored_at"]
    assert first["is_primary"] and not second["is_primary"]
    assert first["storage_location"] != second["storage_location"]
    assert body["data"]["current_primary"] == first["storage_location"]
    assert first["operation_type"] == "circuit_push" and first["adapter_type"] == "local"
    assert first["circuit_id"] == str(local_circuit.circuit_id)
    assert first["user_id"] == user.user_id

    flat = auth_client.get(f"/api/items/{item.dfid}/storage-history").json()
    assert flat["success"] is True and flat["dfid"] == item.dfid
    assert [record["stored_at"] for record in flat["records"]] == [
        first["stored_at"],
        second["stored_at"],
    ]
    assert flat["records"][0]["storage_location"].startswith('Local { id: "')
    assert flat["records"][0]["triggered_by"] == "circuit_push"


def test_storage_history_is_hidden_from_others(other_client, user, local_circuit):
    item = ItemFactory(created_by=user)
    push_signal(local_circuit, item, user)
    response = other_client.get(f"/api/items/{item.dfid}/storage-history")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert other_client.get(f"/api/storage-history/{item.dfid}").status_code == 404


def test_circuit_members_see_storage_history(other_user, user, local_circuit):
    item = ItemFactory(created_by=user)
    circuit_hold(local_circuit, item)
    member_add(local_circuit, other_user)
    push_signal(local_circuit, item, user)
    response = client_for(other_user).get(f"/api/storage-history/{item.dfid}")
    assert response.status_code == 200
    assert len(response.json()["data"]["storage_records"]) == 1


def test_storage_history_query_count_does_not_grow(auth_client, user):
    def queries_for(rows: int) -> int:
        item = ItemFactory(created_by=user)
        for index in range(rows):
            StorageHistory.objects.create(
                item=item,
                adapter_type="local",
                storage_location={"Local": {"id": f"b{index}"}},
                triggered_by="manual",
            )
        queries = []
        for url, records in (
            (f"/api/items/{item.dfid}/storage-history", lambda body: body["records"]),
            (f"/api/storage-history/{item.dfid}", lambda body: body["data"]["storage_records"]),
            (f"/api/storage-history/{item.dfid}/locations", lambda body: body["locations"]),
        ):
            with CaptureQueriesContext(connection) as context:
                response = auth_client.get(url)
            assert len(records(response.json())) == rows
            queries.append(len(context.captured_queries))
        return queries

    assert queries_for(3) == queries_for(30)


def test_public_storage_history_only_for_published_items(api_client, user):
    circuit = CircuitFactory(
        owner=user,
        adapter_config={"adapter_type": "local"},
        public_settings={"access_mode": "public", "published_items": []},
    )
    published = ItemFactory(created_by=user)
    hidden = ItemFactory(created_by=user)
    for item in (published, hidden):
        circuit_hold(circuit, item)
        push_signal(circuit, item, user)
    CircuitPublishedItem.objects.create(circuit=circuit, item=published)

    response = api_client.get(f"/api/public/storage-history/{published.dfid}")
    assert response.status_code == 200
    record = response.json()["data"]["storage_records"][0]
    assert record["is_primary"] and record["metadata"] == {} and record["user_id"] == ""
    hidden_answer = api_client.get(f"/api/public/storage-history/{hidden.dfid}/")
    assert hidden_answer.status_code == 404
    assert hidden_answer.json()["error"] == "item_not_public"

    circuit.public_settings["access_mode"] = "protected"
    circuit.save()
    assert api_client.get(f"/api/public/storage-history/{published.dfid}").status_code == 404


# --- Migration ----------------------------------------------------------------------------------


def balance(user) -> int:
    return CreditBalance.objects.get(user=user).credits


def test_migration_charges_and_becomes_primary(auth_client, user, local_circuit):
    item = ItemFactory(created_by=user)
    push_signal(local_circuit, item, user)
    before = balance(user)
    with FakeKubo() as kubo:
        AdapterConfig.objects.create(
            name="node",
            adapter_type="ipfs-ipfs",
            connection_details={"endpoint": kubo.endpoint},
            is_default=True,
            created_by="staff",
        )
        response = auth_client.post(
            f"/api/storage-history/{item.dfid}/migrate",
            {"target_adapter_type": "IpfsIpfs", "user_id": user.user_id},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["success"] is True
    assert response.json()["target_adapter"] == "ipfs-ipfs"
    assert response.json()["data"]["operation_type"] == "manual"
    assert response.json()["data"]["is_primary"] is True
    assert balance(user) == before - 10  # Basic tier storage-migration cost
    assert CreditTransaction.objects.filter(user=user, amount=-10).count() == 1

    history = auth_client.get(f"/api/storage-history/{item.dfid}").json()["data"]["storage_records"]
    assert [row["adapter_type"] for row in history] == ["ipfs-ipfs", "local"]
    assert [row["is_primary"] for row in history] == [True, False]
    assert all(row["is_active"] for row in history)
    assert history[0]["metadata"]["migrated_from"] == "local"


def test_migration_for_a_circuit_is_recorded_as_circuit_migration(auth_client, user, local_circuit):
    item = ItemFactory(created_by=user)
    circuit_hold(local_circuit, item)
    response = auth_client.post(
        f"/api/storage-history/{item.dfid}/migrate",
        {"adapter_type": "local", "circuit_id": str(local_circuit.circuit_id)},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["circuit_id"] == str(local_circuit.circuit_id)
    assert response.json()["data"]["operation_type"] == "circuit_migration"
    assert response.json()["data"]["circuit_id"] == str(local_circuit.circuit_id)


def test_migration_without_credits_changes_nothing(user):
    item = ItemFactory(created_by=user)
    CreditBalance.objects.filter(user=user).update(credits=5)
    response = client_for(user).post(
        f"/api/storage-history/{item.dfid}/migrate", {"adapter_type": "local"}, format="json"
    )
    assert response.status_code == 402
    assert response.json()["error"] == "insufficient_credits"
    assert not StorageHistory.objects.exists()
    assert balance(user) == 5


def test_migration_to_an_adapter_outside_the_tier_is_refused(auth_client, user):
    item = ItemFactory(created_by=user)
    before = balance(user)
    response = auth_client.post(
        f"/api/storage-history/{item.dfid}/migrate",
        {"adapter_type": "stellar_testnet-ipfs"},
        format="json",
    )
    assert response.status_code == 403
    assert "stellar_testnet-ipfs" in response.json()["message"]
    assert balance(user) == before
    assert not StorageHistory.objects.exists()


def test_stellar_migration_without_network_fails_and_charges_nothing(db):
    user = UserFactory(tier=Tier.PROFESSIONAL)
    item = ItemFactory(created_by=user)
    before = balance(user)
    response = client_for(user).post(
        f"/api/storage-history/{item.dfid}/migrate",
        {"adapter_type": "stellar_testnet-ipfs"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"] == "adapter_not_configured"
    assert balance(user) == before
    assert not StorageHistory.objects.exists()


def test_staff_migrates_any_item_for_free(staff_client, user):
    item = ItemFactory(created_by=user)
    response = staff_client.post(
        f"/api/storage-history/{item.dfid}/migrate", {"adapter_type": "local"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["user_id"] == staff_client.user.user_id


def test_migration_of_an_invisible_item_is_404(other_client, user):
    item = ItemFactory(created_by=user)
    response = other_client.post(
        f"/api/storage-history/{item.dfid}/migrate", {"adapter_type": "local"}, format="json"
    )
    assert response.status_code == 404


def test_stellar_configuration_without_the_network_settings_refuses_clearly(user, staff_user):
    """An adapter configuration alone does not configure the network: the Horizon URL and the
    signing secret come from the environment (settings), and nothing is stored without them."""
    from adapters.backends import AdapterNotConfigured
    from adapters.services import adapter_config_create

    adapter_config_create(
        admin=staff_user,
        name="Stellar testnet",
        adapter_type="stellar_testnet-ipfs",
        connection_details={"network": "testnet", "secret_key": "S" * 56},
        is_default=True,
    )
    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": "stellar_testnet-ipfs"})
    with pytest.raises(AdapterNotConfigured, match="STELLAR_TESTNET_HORIZON_URL"):
        item_store_for_circuit(circuit=circuit, item=ItemFactory(created_by=user), user=user)
    assert not StorageHistory.objects.exists()


def test_batch_push_stores_each_item_through_the_circuit_adapter(
    user, local_circuit, django_capture_on_commit_callbacks
):
    items = [ItemFactory(created_by=user) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            f"/api/circuits/{local_circuit.circuit_id}/push/batch",
            {"items": [{"dfid": item.dfid} for item in items]},
            format="json",
        )
    assert response.json()["success_count"] == 2
    for item in items:
        record = StorageHistory.objects.get(item=item)
        assert record.triggered_by_id == str(local_circuit.circuit_id)
