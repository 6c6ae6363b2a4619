"""Workers taking the snapshots of two captures of one item at once, beside an on-demand
taker of the same chain (PostgreSQL: real advisory locks)."""

import itertools

import pytest

from items.snapshots import tasks
from items.snapshots.models import ItemCidTimeline, Snapshot
from items.snapshots.services import snapshot_take, snapshots_take_captured
from tests.circuits.test_concurrency import in_parallel
from tests.epcis.test_tenancy import SGTIN, SGTIN_URN, World, capture, event
from tests.snapshots.test_captured_events import RecordedTask

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def assert_linear(chain: list[Snapshot]) -> None:
    assert [snapshot.version for snapshot in chain] == list(range(1, len(chain) + 1))
    assert chain[0].parent_id is None and chain[0].state["previous_cid"] is None
    for previous, snapshot in itertools.pairwise(chain):
        assert snapshot.parent_id == previous.snapshot_id
        assert snapshot.state["previous_cid"] == previous.cid


def test_two_captures_taken_at_once_extend_each_chain_once(monkeypatch):
    world = World()
    world.publish()
    recorded = RecordedTask(tasks.snapshots_take_captured, run=False)
    monkeypatch.setattr(tasks, "snapshots_take_captured", recorded)  # the worker waits
    first = capture(world.client, event(epcList=[SGTIN_URN], eventTime="2030-01-01T00:00:00Z"))
    second = capture(world.client, event(epcList=[SGTIN], eventTime="2030-01-02T00:00:00Z"))
    captures = recorded.payloads
    assert len(captures) == 2

    def worker(payload):
        capture_id, created_by = payload
        return lambda: snapshots_take_captured(capture_id=capture_id, created_by=created_by)

    def on_demand():
        return snapshot_take(entity_type="item", entity_id=world.item.dfid, operation="Requested")

    in_parallel([worker(captures[0]), worker(captures[1]), on_demand])

    expected = {world.event.event_id, first.event_id, second.event_id}
    for scope in ("", str(world.circuit.circuit_id)):
        chain = list(
            Snapshot.objects.filter(entity_id=world.item.dfid, scope=scope).order_by("version")
        )
        assert_linear(chain)
        taken = [s for s in chain if s.operation == "EpcisEventsCaptured"]
        # Both captures had committed: the first worker in the chain's lock takes them both
        # in (unless the on-demand taker already did), the other finds nothing new.
        assert len(taken) <= 1
        for snapshot in taken:
            assert {e["event_id"] for e in snapshot.state["item"]["epcis_events"]} == expected
        assert {e["event_id"] for e in chain[-1].state["item"]["epcis_events"]} == expected
    sequences = ItemCidTimeline.objects.filter(dfid=world.item.dfid).values_list(
        "event_sequence", flat=True
    )
    assert sorted(sequences) == list(range(1, len(sequences) + 1))
