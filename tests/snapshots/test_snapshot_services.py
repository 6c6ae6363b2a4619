import hashlib
import json

import pytest

from adapters.backends import AdapterNotConfigured, LocalStorageAdapter, canonical_json_bytes
from adapters.cid import cid_v1_raw
from adapters.models import AdapterConfig
from adapters.selectors import local_store_root
from audit.models import Log
from circuits import signals
from circuits.models import Circuit
from items.services import item_deprecate, item_enrich, items_create_bulk
from items.snapshots import services
from items.snapshots.models import Snapshot
from items.snapshots.services import event_hash, snapshot_take
from tests.adapters.factories import CircuitFactory, EventFactory, ItemFactory, circuit_hold
from tests.circuits.factories import canonical


def take(item, scope="", operation="Requested"):
    return snapshot_take(entity_type="item", entity_id=item.dfid, scope=scope, operation=operation)


def stored_bytes(snapshot):
    return LocalStorageAdapter(local_store_root()).retrieve(snapshot.storage_location)


def test_snapshot_is_the_canonical_json_of_the_item_stored_under_its_cid(item):
    event = EventFactory(item=item, event_type="Enriched", metadata={"weight": 410})
    EventFactory(item=item, visibility="Private")

    snapshot = take(item)

    data = stored_bytes(snapshot)
    assert data == json.dumps(
        json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert snapshot.cid == cid_v1_raw(data)
    assert snapshot.snapshot_id == hashlib.sha256(data).hexdigest()
    assert snapshot.storage_location == {"Local": {"id": snapshot.cid, "size": len(data)}}
    assert snapshot.adapter_type == "local"
    document = json.loads(data)
    assert document == snapshot.state
    assert canonical_json_bytes(snapshot.state) == data
    assert (document["version"], document["previous_cid"], document["circuit_id"]) == (
        1,
        None,
        None,
    )
    assert document["item"]["dfid"] == item.dfid
    assert document["item"]["enriched_data"] == item.enriched_data
    assert [i["value"] for i in document["item"]["identifiers"]] == [item.identifiers.get().value]
    # Only public events, by hash.
    assert document["item"]["events"] == [
        {
            "event_id": str(event.event_id),
            "event_type": "Enriched",
            "timestamp": event.timestamp,
            "hash": event_hash(
                {
                    "event_id": str(event.event_id),
                    "event_type": "Enriched",
                    "timestamp": event.timestamp,
                    "metadata": {"weight": 410},
                }
            ),
        }
    ]


def test_each_snapshot_names_the_previous_one_of_its_chain(item):
    first = take(item)
    item.enriched_data = {"weight": 500}
    item.save()
    second = take(item)

    assert (second.version, second.parent_id) == (2, first.snapshot_id)
    assert second.state["previous_cid"] == first.cid
    assert second.state["item"]["enriched_data"] == {"weight": 500}
    assert second.cid != first.cid


def test_a_circuit_holding_the_item_has_its_own_chain(held_item, local_circuit):
    own = take(held_item)
    in_circuit = take(held_item, scope=str(local_circuit.circuit_id))
    again = take(held_item, scope=str(local_circuit.circuit_id))

    assert own.version == in_circuit.version == 1
    assert in_circuit.state["circuit_id"] == str(local_circuit.circuit_id)
    assert (again.version, again.parent_id) == (2, in_circuit.snapshot_id)


def test_circuit_snapshot_holds_settings_members_and_items(held_item, local_circuit, user):
    snapshot = snapshot_take(
        entity_type="circuit", entity_id=str(local_circuit.circuit_id), operation="Requested"
    )
    body = snapshot.state["circuit"]
    assert body["name"] == local_circuit.name
    assert body["adapter_type"] == "local"
    assert body["members"] == [{"user_id": user.user_id, "role": "Owner"}]
    assert body["items"] == [
        {"dfid": held_item.dfid, "added_at": held_item.circuit_items.get().added_at_ts}
    ]


def test_chain_adapter_is_the_circuits_or_the_items_primary_location(item, user):
    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": "ipfs-ipfs"})
    circuit_hold(circuit, item)
    with pytest.raises(AdapterNotConfigured):
        take(item, scope=str(circuit.circuit_id))
    assert not Snapshot.objects.exists()
    # The item's own data, never stored anywhere yet: the local store.
    assert take(item).adapter_type == "local"


def test_a_circuit_storing_nothing_keeps_its_snapshots_in_the_local_store(item, user):
    circuit = CircuitFactory(owner=user, adapter_config=None)
    circuit_hold(circuit, item)
    assert take(item, scope=str(circuit.circuit_id)).adapter_type == "local"


def test_failed_snapshot_is_logged_and_others_are_taken(item, user):
    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": "stellar_mainnet-ipfs"})
    circuit_hold(circuit, item)
    taken = services.snapshots_take_requested(
        requests=[
            {
                "entity_type": "item",
                "entity_id": item.dfid,
                "scope": str(circuit.circuit_id),
                "operation": "Requested",
            },
            {"entity_type": "item", "entity_id": "DFID-GONE", "operation": "Requested"},
            {"entity_type": "item", "entity_id": item.dfid, "operation": "Requested"},
        ]
    )
    assert [snapshot.scope for snapshot in taken] == [""]
    log = Log.objects.get(event_type="snapshot_failed")
    assert log.context_data["circuit_id"] == str(circuit.circuit_id)


@pytest.fixture
def enqueued(monkeypatch):
    """The task payloads enqueued (then taken as the immediate backend would)."""
    calls = []
    real = services._enqueue

    def record(requests):
        calls.append(requests)
        real(requests)

    monkeypatch.setattr(services, "_enqueue", record)
    return calls


def test_enrichment_takes_a_snapshot_after_commit(
    user, enqueued, django_capture_on_commit_callbacks
):
    from tests.circuits.factories import item_for

    item = item_for(user, canonical())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item_enrich(user=user, item=item, enriched_data={"weight": 420})
    assert not Snapshot.objects.exists()  # nothing inside the write itself
    for callback in callbacks:
        callback()
    snapshot = Snapshot.objects.get()
    assert snapshot.operation == "ItemEnriched"
    assert snapshot.created_by == user.user_id
    assert snapshot.state["item"]["enriched_data"]["weight"] == 420


def test_status_change_takes_a_snapshot(user, django_capture_on_commit_callbacks):
    from tests.circuits.factories import item_for

    item = item_for(user, canonical())
    with django_capture_on_commit_callbacks(execute=True):
        item_deprecate(user=user, item=item)
    snapshot = Snapshot.objects.get()
    assert snapshot.operation == "ItemStatusChanged"
    assert snapshot.operation_details["to"] == "Deprecated"
    assert snapshot.state["item"]["status"] == "Deprecated"


def test_bulk_enrichment_enqueues_one_task(user, enqueued, django_capture_on_commit_callbacks):
    identifiers = [canonical() for _ in range(20)]
    items_create_bulk(user=user, items=[{"identifiers": [i]} for i in identifiers])
    with django_capture_on_commit_callbacks(execute=True):
        results = items_create_bulk(
            user=user,
            items=[{"identifiers": [i], "enriched_data": {"lot": "L7"}} for i in identifiers],
        )
    assert {result.status for result in results} == {"enriched"}
    assert len(enqueued) == 1 and len(enqueued[0]) == 20
    assert Snapshot.objects.filter(operation="ItemEnriched").count() == 20


def test_creation_takes_no_snapshot(user, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        items_create_bulk(user=user, items=[{"identifiers": [canonical()]} for _ in range(5)])
    assert enqueued == [] and not Snapshot.objects.exists()


def test_push_snapshots_the_item_as_the_circuit_holds_it_and_the_circuit(
    held_item, local_circuit, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signals.item_pushed.send(
            sender=Circuit, circuit=local_circuit, item=held_item, user=user, operation=None
        )
    item_snapshot = Snapshot.objects.get(entity_type="item")
    assert item_snapshot.scope == str(local_circuit.circuit_id)
    assert item_snapshot.operation == "ItemPushedToCircuit"
    circuit_snapshot = Snapshot.objects.get(entity_type="circuit")
    assert circuit_snapshot.entity_id == str(local_circuit.circuit_id)
    assert circuit_snapshot.operation_details["dfid"] == held_item.dfid


def test_item_of_an_ipfs_stored_item_chain_goes_to_ipfs(item):
    from adapters.models import StorageHistory
    from tests.adapters.kubo import FakeKubo

    StorageHistory.objects.create(
        item=item,
        adapter_type="ipfs-ipfs",
        storage_location={"IPFS": {"cid": "x"}},
        triggered_by="manual",
    )
    with FakeKubo() as kubo:
        AdapterConfig.objects.create(
            name="node",
            adapter_type="ipfs-ipfs",
            connection_details={"endpoint": kubo.endpoint},
            created_by="t",
        )
        snapshot = take(item)
    assert snapshot.adapter_type == "ipfs-ipfs"
    assert snapshot.storage_location["IPFS"]["cid"] == snapshot.cid


def test_an_item_gone_is_skipped(db):
    assert (
        services.snapshots_take_requested(
            requests=[{"entity_type": "item", "entity_id": "nope", "operation": "Requested"}]
        )
        == []
    )
    assert not Snapshot.objects.exists()


def test_batch_push_snapshots_each_item_and_the_circuit_once(
    local_circuit, user, enqueued, django_capture_on_commit_callbacks
):
    items = [ItemFactory(created_by=user) for _ in range(3)]
    for item in items:
        circuit_hold(local_circuit, item)
    with django_capture_on_commit_callbacks(execute=True):
        signals.items_pushed.send(
            sender=Circuit,
            circuit=local_circuit,
            items=items,
            operations=[None] * 3,
            user=user,
        )
    assert len(enqueued) == 1
    scoped = Snapshot.objects.filter(entity_type="item", scope=str(local_circuit.circuit_id))
    assert sorted(scoped.values_list("entity_id", flat=True)) == sorted(i.dfid for i in items)
    circuit_snapshot = Snapshot.objects.get(entity_type="circuit")
    assert circuit_snapshot.operation_details["dfids"] == [item.dfid for item in items]
