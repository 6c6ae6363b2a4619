"""Captured EPCIS events in an item's snapshots and timeline: a capture naming DeFarm items
schedules a snapshot of each after commit (one task per chunk); the snapshot holds the captured
events everyone may see through the item (a circuit anyone may read publishes it, the capturer
a member), by their standard EPCIS event hash, and is taken only when that list changes."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adapters.backends import canonical_json_bytes
from adapters.cid import cid_v1_raw
from circuits.models import CircuitMember
from items.epcis.event_hash import event_hash
from items.epcis.models import EpcisEvent
from items.epcis.selectors import capture_item_ids
from items.models import Item
from items.snapshots import services
from items.snapshots.models import ItemCidTimeline, Snapshot
from items.snapshots.services import snapshot_content_get, snapshot_take
from tests.accounts.factories import UserFactory
from tests.conftest import client_for
from tests.epcis.test_tenancy import SGTIN, SGTIN_URN, World, capture, event

pytestmark = pytest.mark.django_db

CAPTURED = "EpcisEventsCaptured"
OTHER_SGTIN_URN = "urn:epc:id:sgtin:9521141.001234.2018"
OTHER_SGTIN = "https://id.gs1.org/01/09521141012345/21/2018"


class RecordedTask:
    """Stands for ``snapshots_take_captured``: records each payload, then runs it as the
    immediate backend would (or not, ``run=False``: the worker has not run yet)."""

    def __init__(self, real, run=True):
        self.real, self.run, self.payloads = real, run, []

    def enqueue(self, *arguments):
        self.payloads.append(arguments)
        if self.run:
            self.real.enqueue(*arguments)


@pytest.fixture
def enqueued(monkeypatch):
    """The (capture_id, created_by) payloads of the capture snapshot tasks queued."""
    from items.snapshots import tasks

    recorded = RecordedTask(tasks.snapshots_take_captured)
    monkeypatch.setattr(tasks, "snapshots_take_captured", recorded)
    return recorded.payloads


@pytest.fixture
def world() -> World:
    return World()


def own_chain(item):
    return Snapshot.objects.filter(entity_type="item", entity_id=item.dfid, scope="")


def captured_entry(stored) -> dict:
    return {
        "event_id": stored.event_id,
        "event_type": stored.event_type,
        "event_time": stored.event_time.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "epcis_event_hash": event_hash(stored.event, context=stored.context),
    }


def snapshot_callbacks(callbacks) -> list:
    """The on_commit callbacks a capture registered for its snapshots."""
    return [c for c in callbacks if c.__qualname__.startswith("snapshots_schedule_for_capture")]


def take_own(item):
    return snapshot_take(entity_type="item", entity_id=item.dfid, operation="Requested")


def test_a_public_capture_snapshots_the_item_with_the_event_hash(
    world, enqueued, django_capture_on_commit_callbacks
):
    world.publish()
    before = take_own(world.item)
    sequence_before = ItemCidTimeline.objects.filter(dfid=world.item.dfid).count()
    assert before.state["item"]["epcis_events"] == [captured_entry(world.event)]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        later = capture(world.client, event(epcList=[SGTIN_URN], eventTime="2030-01-01T00:00:00Z"))
    assert own_chain(world.item).count() == 1  # nothing inside the capture itself
    for callback in callbacks:
        callback()

    assert enqueued == [(str(later.capture_job_id), world.capturer.user_id)]
    assert capture_item_ids(capture_id=str(later.capture_job_id)) == [world.item.dfid]
    snapshot = own_chain(world.item).get(operation=CAPTURED)
    assert snapshot.created_by == world.capturer.user_id
    assert snapshot.operation_details == {"capture_id": str(later.capture_job_id)}
    assert (snapshot.version, snapshot.parent_id) == (2, before.snapshot_id)
    document = snapshot.state
    assert document["format"] == "defarm-snapshot/2"
    assert document["previous_cid"] == before.cid
    # In time order, beside DeFarm's own event hashes.
    entries = document["item"]["epcis_events"]
    assert entries == [captured_entry(world.event), captured_entry(later)]
    assert entries[1]["epcis_event_hash"].startswith("ni:///sha-256;")
    assert entries[1]["event_id"] == later.event_id
    assert [e["event_type"] for e in entries] == ["ObjectEvent", "ObjectEvent"]
    assert document["item"]["events"] == before.state["item"]["events"]
    # The stored bytes are the canonical JSON the CID names, read back through the adapter.
    data = snapshot_content_get(snapshot=snapshot)
    assert data == canonical_json_bytes(document) and cid_v1_raw(data) == snapshot.cid
    assert json.loads(data)["item"]["epcis_events"] == entries
    # The item's timeline gains the next sequence for it.
    entry = ItemCidTimeline.objects.get(dfid=world.item.dfid, cid=snapshot.cid)
    assert entry.event_sequence == sequence_before + 1
    # The item as the circuit (the capturer a member) holds it gets a snapshot too.
    scoped = Snapshot.objects.get(
        entity_type="item", entity_id=world.item.dfid, scope=str(world.circuit.circuit_id)
    )
    assert scoped.operation == CAPTURED
    assert scoped.state["item"]["epcis_events"] == entries
    sequences = ItemCidTimeline.objects.filter(dfid=world.item.dfid).order_by("event_sequence")
    assert list(sequences.values_list("event_sequence", flat=True)) == list(
        range(1, sequence_before + 3)
    )


def test_a_private_capture_takes_no_snapshot(world, enqueued, django_capture_on_commit_callbacks):
    head = take_own(world.item)
    assert head.state["item"]["epcis_events"] == []
    with django_capture_on_commit_callbacks(execute=True):
        capture(world.client, event(epcList=[SGTIN_URN], eventTime="2030-01-01T00:00:00Z"))
    assert len(enqueued) == 1  # scheduled; the worker finds nothing a snapshot may show
    assert list(own_chain(world.item)) == [head]
    assert not Snapshot.objects.filter(operation=CAPTURED).exists()
    assert ItemCidTimeline.objects.filter(dfid=world.item.dfid).count() == 1


def test_a_new_item_named_by_a_private_capture_gets_no_snapshot(
    enqueued, django_capture_on_commit_callbacks
):
    client = client_for(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        capture(client, event(epcList=[OTHER_SGTIN_URN]))
    assert len(enqueued) == 1 and len(capture_item_ids(capture_id=enqueued[0][0])) == 1
    assert not Snapshot.objects.exists() and not ItemCidTimeline.objects.exists()


def test_an_outsiders_capture_of_a_published_item_is_not_in_its_snapshot(
    world, enqueued, django_capture_on_commit_callbacks
):
    world.publish()
    take_own(world.item)
    outsider = client_for(world.stranger)  # no member of the publishing circuit
    with django_capture_on_commit_callbacks(execute=True):
        capture(outsider, event(epcList=[SGTIN], bizStep="receiving"))
    assert len(enqueued) == 1
    assert not Snapshot.objects.filter(operation=CAPTURED).exists()
    # Once it joins the circuit its events are public: the next snapshot holds them.
    CircuitMember.objects.create(circuit=world.circuit, member=world.stranger, role="Member")
    later = take_own(world.item)
    assert len(later.state["item"]["epcis_events"]) == 2


def test_a_capture_naming_no_item_schedules_nothing(
    world, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        capture(
            world.client,
            event(
                epcList=[],
                quantityList=[{"epcClass": "urn:epc:idpat:sgtin:9521141.001234.*", "quantity": 4}],
            ),
        )
    assert enqueued == [] and snapshot_callbacks(callbacks) == []
    assert not Snapshot.objects.exists()


def test_a_capture_schedules_each_item_once_in_one_task(
    world, enqueued, django_capture_on_commit_callbacks
):
    world.publish()
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-07-22T07:00:00Z",
        "epcisBody": {
            "eventList": [
                {
                    key: value
                    for key, value in event(
                        epcList=[SGTIN_URN, OTHER_SGTIN_URN], eventTime=f"2030-01-0{day}T00:00:00Z"
                    ).items()
                    if key != "@context"
                }
                for day in (1, 2, 3)
            ]
        },
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = world.client.post(
            "/epcis/capture", data=json.dumps(document), content_type="application/ld+json"
        )
    assert response.status_code == 202, response.content
    assert len(snapshot_callbacks(callbacks)) == 1 and len(enqueued) == 1
    other = Item.objects.get(identifiers__namespace="gs1", identifiers__value=OTHER_SGTIN)
    assert capture_item_ids(capture_id=enqueued[0][0]) == sorted([world.item.dfid, other.dfid])
    snapshot = own_chain(world.item).get()
    assert len(snapshot.state["item"]["epcis_events"]) == 4


def test_two_captures_before_the_worker_runs_make_one_snapshot(
    world, django_capture_on_commit_callbacks
):
    world.publish()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = capture(world.client, event(epcList=[SGTIN_URN], eventTime="2030-01-01T00:00:00Z"))
        second = capture(world.client, event(epcList=[SGTIN], eventTime="2029-01-01T00:00:00Z"))
    assert len(snapshot_callbacks(callbacks)) == 2
    for callback in callbacks:
        callback()
    (snapshot,) = own_chain(world.item)
    assert snapshot.version == 1 and snapshot.state["previous_cid"] is None
    assert snapshot.state["item"]["epcis_events"] == [
        captured_entry(world.event),
        captured_entry(second),
        captured_entry(first),
    ]


def test_a_chain_begun_before_captured_events_joined_snapshots_continues(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """A ``defarm-snapshot/1`` head (no ``epcis_events``) stays as it was stored; a capture
    nobody may see takes nothing after it, a public one the next version naming it."""
    real_body = services.item_snapshot_body

    def first_format(**arguments):
        body = real_body(**arguments)
        del body["epcis_events"]
        return body

    monkeypatch.setattr(services, "DOCUMENT_FORMAT", "defarm-snapshot/1")
    monkeypatch.setattr(services, "item_snapshot_body", first_format)
    old = take_own(world.item)
    monkeypatch.undo()
    stored = snapshot_content_get(snapshot=old)
    assert "epcis_events" not in old.state["item"] and old.state["format"] == "defarm-snapshot/1"

    with django_capture_on_commit_callbacks(execute=True):
        capture(world.client, event(epcList=[SGTIN_URN], eventTime="2030-01-01T00:00:00Z"))
    assert list(own_chain(world.item)) == [old]
    world.publish()
    with django_capture_on_commit_callbacks(execute=True):
        capture(world.client, event(epcList=[SGTIN_URN], eventTime="2031-01-01T00:00:00Z"))
    new = own_chain(world.item).get(version=2)
    assert new.state["previous_cid"] == old.cid and len(new.state["item"]["epcis_events"]) == 3
    old.refresh_from_db()
    assert snapshot_content_get(snapshot=old) == stored == canonical_json_bytes(old.state)
    assert cid_v1_raw(stored) == old.cid


def test_a_capture_of_many_chunks_queues_one_task_naming_each_item_once(
    world, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("items.epcis.services._STORE_CHUNK", 2)
    world.publish()
    events = [
        {
            key: value
            for key, value in event(
                epcList=[SGTIN_URN, f"urn:epc:id:sgtin:9521141.001234.30{n}"],
                eventTime=f"2030-01-0{n + 1}T00:00:00Z",
            ).items()
            if key != "@context"
        }
        for n in range(5)
    ]
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-07-22T07:00:00Z",
        "epcisBody": {"eventList": events},
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = world.client.post(
            "/epcis/capture", data=json.dumps(document), content_type="application/ld+json"
        )
    assert response.status_code == 202, response.content
    assert len(snapshot_callbacks(callbacks)) == 1 and len(enqueued) == 1
    dfids = capture_item_ids(capture_id=enqueued[0][0])
    assert len(dfids) == 6 and world.item.dfid in dfids
    assert len(own_chain(world.item).get().state["item"]["epcis_events"]) == 6


def test_the_capture_hook_adds_no_query_to_a_capture(world, monkeypatch):
    """The capture's hook registers one on_commit call: no statement of its own."""
    import items.epcis.services as capture_services

    calls = []
    real = capture_services.snapshots_schedule_for_capture

    def counted(**arguments):
        calls.append(arguments["capture_id"])
        real(**arguments)

    monkeypatch.setattr(capture_services, "snapshots_schedule_for_capture", counted)
    with CaptureQueriesContext(connection) as with_hook:
        capture(world.client, event(epcList=[SGTIN_URN], eventTime="2030-01-01T00:00:00Z"))
    monkeypatch.setattr(capture_services, "_capture_snapshots_schedule", lambda **_: None)
    with CaptureQueriesContext(connection) as without_hook:
        capture(world.client, event(epcList=[SGTIN_URN], eventTime="2031-01-01T00:00:00Z"))
    assert len(with_hook) == len(without_hook)
    assert calls == [str(EpcisEvent.objects.get(event_time__year=2030).capture_job_id)]
