import pytest

from items.snapshots.models import BlockchainIndexingProgress, EventCidMapping, ItemCidTimeline
from items.snapshots.services import snapshot_anchor_record, snapshot_take
from tests.accounts.factories import UserFactory
from tests.adapters.factories import CircuitFactory, EventFactory, circuit_hold, member_add
from tests.conftest import client_for


def take(dfid, scope=""):
    return snapshot_take(entity_type="item", entity_id=dfid, scope=scope, operation="Requested")


def test_each_item_snapshot_gets_the_next_sequence_with_its_cid(held_item, local_circuit):
    first = take(held_item.dfid)
    second = take(held_item.dfid, scope=str(local_circuit.circuit_id))
    snapshot_take(entity_type="circuit", entity_id=str(local_circuit.circuit_id), operation="x")
    entries = list(ItemCidTimeline.objects.order_by("event_sequence"))
    assert [(e.dfid, e.event_sequence, e.cid) for e in entries] == [
        (held_item.dfid, 1, first.cid),
        (held_item.dfid, 2, second.cid),
    ]
    assert (entries[0].network, entries[0].ipcm_transaction_hash) == ("local", "")
    assert entries[0].blockchain_timestamp == 0


def test_events_map_to_the_first_cid_they_appear_in(item):
    first_event = EventFactory(item=item)
    first = take(item.dfid)
    later_event = EventFactory(item=item)
    second = take(item.dfid)
    mapping = {
        m.event_id: (m.first_cid, m.appeared_in_sequence) for m in EventCidMapping.objects.all()
    }
    assert mapping == {
        first_event.event_id: (first.cid, 1),
        later_event.event_id: (second.cid, 2),
    }


def test_anchoring_records_the_transaction_on_the_timeline_and_the_progress(item):
    snapshot = take(item.dfid)
    snapshot_anchor_record(
        snapshot=snapshot,
        network="stellar-testnet",
        transaction_hash="ab" * 32,
        ledger_timestamp=1_760_000_000,
        ledger=512,
    )
    entry = ItemCidTimeline.objects.get()
    assert (entry.network, entry.ipcm_transaction_hash, entry.blockchain_timestamp) == (
        "stellar-testnet",
        "ab" * 32,
        1_760_000_000,
    )
    progress = BlockchainIndexingProgress.objects.get()
    assert (progress.network, progress.last_indexed_ledger, progress.total_events_indexed) == (
        "stellar-testnet",
        512,
        1,
    )
    with pytest.raises(ValueError):
        snapshot_anchor_record(
            snapshot=snapshot, network="moon", transaction_hash="x", ledger_timestamp=0
        )


def test_timeline_routes_in_the_engines_shape(auth_client, item):
    first, second = take(item.dfid), take(item.dfid)
    answer = auth_client.get(f"/api/items/{item.dfid}/timeline")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["dfid"], body["total_entries"]) == (item.dfid, 2)
    assert body["timeline"][0] == {
        "sequence": 1,
        "cid": first.cid,
        "transaction_hash": "",
        "blockchain_timestamp": 0,
        "network": "local",
        "created_at": body["timeline"][0]["created_at"],
    }
    entry = auth_client.get(f"/api/items/{item.dfid}/timeline/2/")
    assert entry.status_code == 200 and entry.json()["cid"] == second.cid
    missing = auth_client.get(f"/api/items/{item.dfid}/timeline/3")
    assert missing.status_code == 404
    assert missing.json()["details"] == {"dfid": item.dfid, "sequence": 3}
    for bad in ("x", str(2**31)):
        assert auth_client.get(f"/api/items/{item.dfid}/timeline/{bad}").status_code == 400


def test_timeline_shows_only_readable_snapshots(held_item):
    foreign = CircuitFactory(adapter_config={"adapter_type": "local"})
    circuit_hold(foreign, held_item)
    take(held_item.dfid)
    in_foreign = take(held_item.dfid, scope=str(foreign.circuit_id))
    member = UserFactory()
    member_add(foreign, member)
    body = client_for(member).get(f"/api/items/{held_item.dfid}/timeline").json()
    assert [(e["sequence"], e["cid"]) for e in body["timeline"]] == [(2, in_foreign.cid)]
    assert client_for(member).get(f"/api/items/{held_item.dfid}/timeline/1").status_code == 404


def test_timeline_authorization(other_client, api_client, staff_client, item):
    take(item.dfid)
    for path in (f"/api/items/{item.dfid}/timeline", f"/api/items/{item.dfid}/timeline/1"):
        assert other_client.get(path).status_code == 404
        assert api_client.get(path).status_code == 401
        assert staff_client.get(path).status_code == 200


def test_timeline_query_count_does_not_grow(auth_client, item, django_assert_max_num_queries):
    take(item.dfid)
    url = f"/api/items/{item.dfid}/timeline"
    with django_assert_max_num_queries(12) as few:
        auth_client.get(url)
    for _ in range(10):
        take(item.dfid)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert auth_client.get(url).json()["total_entries"] == 11


def test_indexing_progress(auth_client, api_client, item):
    url = "/api/timeline/indexing-progress/stellar-testnet"
    none_yet = auth_client.get(url)
    assert none_yet.status_code == 404
    assert none_yet.json()["details"]["network"] == "stellar-testnet"
    invalid = auth_client.get("/api/timeline/indexing-progress/bitcoin")
    assert invalid.status_code == 400
    assert invalid.json()["details"]["valid_networks"] == ["stellar-testnet", "stellar-mainnet"]
    snapshot_anchor_record(
        snapshot=take(item.dfid),
        network="stellar-testnet",
        transaction_hash="cd" * 32,
        ledger_timestamp=1,
        ledger=9,
    )
    body = auth_client.get(url).json()
    assert body["network"] == "stellar-testnet"
    assert (body["last_indexed_ledger"], body["total_events_indexed"]) == (9, 1)
    assert body["status"] == "active" and body["error_message"] is None
    assert api_client.get(url).status_code == 401


def test_a_snapshot_stored_through_stellar_is_anchored_on_the_timeline(item, monkeypatch):
    from adapters.backends import LocalStorageAdapter, StorageAdapter
    from adapters.selectors import local_store_root
    from items.snapshots import services

    class AnchoringBackend(StorageAdapter):
        adapter_type = "stellar_testnet-ipfs"

        def store(self, content):
            cid = LocalStorageAdapter(local_store_root()).store(content)["Local"]["id"]
            return {
                "Stellar": {
                    "transaction_id": "ef" * 32,
                    "network": "testnet",
                    "ledger": 77,
                    "cid": cid,
                }
            }

        def retrieve(self, location):
            raise NotImplementedError

        def health_problem(self):
            return None

    monkeypatch.setattr(services, "storage_adapter_for", lambda adapter_type: AnchoringBackend())
    snapshot = take(item.dfid)
    assert (snapshot.network, snapshot.blockchain_tx) == ("stellar-testnet", "ef" * 32)
    entry = ItemCidTimeline.objects.get()
    assert (entry.network, entry.ipcm_transaction_hash) == ("stellar-testnet", "ef" * 32)
    assert entry.blockchain_timestamp == snapshot.taken_at_ts
    assert (
        BlockchainIndexingProgress.objects.get(network="stellar-testnet").last_indexed_ledger == 77
    )
