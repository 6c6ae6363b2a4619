"""POST /api/circuits/{id}/push-events: the caller's local events linked to an item of the
circuit, with the rules of recording an event about that item."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CreditBalance
from circuits.services import circuit_push, circuit_update
from items.models import Event
from items.services import event_submit
from tests.accounts.factories import UserFactory
from tests.circuits.factories import CircuitFactory, circuit_url, item_for, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def local_event(client, **body):
    response = client.post(
        "/api/events/local",
        {"event_type": "updated", "metadata": {"n": 1}, **body},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()["local_event_id"]


def push_events(client, circuit, dfid, ids):
    return client.post(
        circuit_url(circuit, "/push-events"),
        {"dfid": dfid, "local_event_ids": ids},
        format="json",
    )


@pytest.fixture
def world():
    owner = UserFactory()
    circuit = CircuitFactory(owner=owner)
    item = item_for(owner)
    circuit_push(circuit=circuit, user=owner, dfid=item.dfid)
    return owner, circuit, item


def test_pushed_events_name_the_item_and_the_circuit(world):
    owner, circuit, item = world
    client = client_for(owner)
    ids = [local_event(client, metadata={"n": n}) for n in range(3)]
    credits = CreditBalance.objects.get(user=owner).credits

    response = push_events(client, circuit, item.dfid, ids)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["circuit_id"] == str(circuit.pk)
    assert (body["events_pushed"], body["events_deduplicated"], body["events_failed"]) == (3, 0, 0)
    assert [event["local_event_id"] for event in body["events"]] == ids
    assert all(event["event_id"] == event["local_event_id"] for event in body["events"])
    for event_id, n in zip(ids, range(3), strict=True):
        event = Event.objects.get(pk=event_id)
        assert event.item_id == item.dfid
        assert event.metadata == {"n": n, "source": owner.pk, "circuit_id": str(circuit.pk)}
    assert CreditBalance.objects.get(user=owner).credits == credits  # events are free
    timeline = client.get(f"/api/events/item/{item.dfid}").json()
    assert set(ids) <= {event["event_id"] for event in timeline}


def test_the_content_hash_is_the_one_recording_the_event_gives(world):
    """A pushed event deduplicates what POST /api/events would record with the same content,
    and the other way round."""
    owner, circuit, item = world
    client = client_for(owner)
    [first] = push_events(
        client, circuit, item.dfid, [local_event(client, metadata={"w": 1})]
    ).json()["events"]
    again = client.post(
        "/api/events",
        {"dfid": item.dfid, "event_type": "updated", "metadata": {"w": 1}},
        format="json",
    ).json()
    assert again["was_deduplicated"] is True
    assert again["event_id"] == first["event_id"]

    recorded, _ = event_submit(
        item=item, event_type="Updated", user=owner, source=owner.pk, metadata={"w": 2}
    )
    duplicate = local_event(client, metadata={"w": 2})
    fresh = local_event(client, metadata={"w": 3})
    body = push_events(client, circuit, item.dfid, [duplicate, fresh]).json()
    assert (body["events_pushed"], body["events_deduplicated"]) == (1, 1)
    deduplicated, pushed = body["events"]
    assert deduplicated["original_event_id"] == str(recorded.pk)
    assert deduplicated["event_id"] == str(recorded.pk)
    assert pushed["was_deduplicated"] is False
    assert pushed["event_id"] == fresh
    assert Event.objects.get(pk=duplicate).item_id is None  # stays local, as the engine left it


def test_events_that_cannot_be_pushed_are_reported_and_the_others_go_on(world):
    owner, circuit, item = world
    client = client_for(owner)
    good = local_event(client)
    someone_elses = local_event(client_for(UserFactory()), metadata={"x": 1})
    other_circuit = local_event(
        client,
        visibility="circuitonly",
        metadata={"circuit_id": str(CircuitFactory(owner=owner).pk)},
    )
    this_circuit = local_event(
        client, visibility="circuitonly", metadata={"circuit_id": str(circuit.pk)}
    )
    ids = ["not-a-uuid", str(uuid.uuid4()), someone_elses, good, good, other_circuit, this_circuit]

    body = push_events(client, circuit, item.dfid, ids).json()

    assert [event["local_event_id"] for event in body["events"]] == [good, this_circuit]
    assert [failure["local_event_id"] for failure in body["failed"]] == [
        "not-a-uuid",
        ids[1],
        someone_elses,
        good,
        other_circuit,
    ]
    assert body["events_failed"] == 5
    assert Event.objects.get(pk=someone_elses).item_id is None
    assert Event.objects.get(pk=other_circuit).item_id is None


def test_authorization(world, api_client):
    owner, circuit, item = world
    ids = [local_event(client_for(owner))]
    assert push_events(api_client, circuit, item.dfid, ids).status_code == 401
    outsider = UserFactory()
    assert push_events(client_for(outsider), circuit, item.dfid, ids).status_code == 404
    viewer = member_of(circuit, "Viewer")
    assert push_events(client_for(viewer), circuit, item.dfid, ids).status_code == 403
    missing = client_for(owner).post(
        f"/api/circuits/{uuid.uuid4()}/push-events",
        {"dfid": item.dfid, "local_event_ids": ids},
        format="json",
    )
    assert missing.status_code == 404


def test_a_member_with_push_adds_events_to_an_item_of_the_circuit(world):
    _, circuit, item = world
    member = member_of(circuit, "Member")
    client = client_for(member)
    response = push_events(client, circuit, item.dfid, [local_event(client)])
    assert response.status_code == 200
    assert response.json()["events_pushed"] == 1


def test_pull_only_items_take_no_events(world):
    """A member with Push here may not write to an item they see only through Pull in
    another circuit; the item must also be an item of this circuit."""
    owner, circuit, _ = world
    member = member_of(circuit, "Member")
    other = CircuitFactory(owner=UserFactory())
    foreign = item_for(other.owner)
    circuit_push(circuit=other, user=other.owner, dfid=foreign.dfid)
    member_of(other, "Viewer", user=member)
    client = client_for(member)
    ids = [local_event(client)]
    refused = push_events(client, circuit, foreign.dfid, ids)
    assert refused.status_code == 403
    not_here = push_events(client_for(owner), circuit, item_for(owner).dfid, ids)
    assert not_here.status_code == 404
    assert not_here.json()["error"] == "item_not_in_circuit"
    unseen = push_events(client, circuit, "DFID-20000101-000000-0", ids)
    assert unseen.status_code == 404
    assert Event.objects.get(pk=ids[0]).item_id is None


def test_an_inactive_circuit_takes_no_events(world):
    owner, circuit, item = world
    client = client_for(owner)
    ids = [local_event(client)]
    circuit_update(circuit=circuit, actor=owner, status="Inactive")
    assert push_events(client, circuit, item.dfid, ids).status_code == 409


def test_bad_bodies_are_400(world):
    owner, circuit, item = world
    client = client_for(owner)
    assert client.post(circuit_url(circuit, "/push-events"), {}, format="json").status_code == 400
    no_list = push_events(client, circuit, item.dfid, "abc")
    assert no_list.status_code == 400
    assert no_list.json()["success"] is False


def test_push_events_query_count_does_not_grow_with_events(world):
    owner, circuit, item = world
    client = client_for(owner)

    def queries_for(count):
        ids = [local_event(client, metadata={"n": str(uuid.uuid4())}) for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            body = push_events(client, circuit, item.dfid, ids).json()
        assert body["events_pushed"] == count
        return len(queries)

    assert queries_for(2) == queries_for(20)


def test_a_body_naming_another_requester_is_403(world):
    owner, circuit, item = world
    client = client_for(owner)
    ids = [local_event(client)]
    answer = client.post(
        circuit_url(circuit, "/push-events"),
        {"dfid": item.dfid, "local_event_ids": ids, "requester_id": "user-someone-else"},
        format="json",
    )
    assert answer.status_code == 403
    assert Event.objects.get(pk=ids[0]).item_id is None


@pytest.mark.parametrize(
    "ids", [[1, 2], [""], ["x" * 65], {"a": "b"}, [str(uuid.uuid4())] * 10_001]
)
def test_local_event_ids_are_a_list_of_short_strings(world, ids):
    owner, circuit, item = world
    response = push_events(client_for(owner), circuit, item.dfid, ids)
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_a_pushed_public_enrichment_schedules_the_item_snapshot(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    owner, circuit, item = world
    scheduled = []
    monkeypatch.setattr(
        "items.snapshots.services._enqueue", lambda requests: scheduled.extend(requests)
    )
    client = client_for(owner)
    public = local_event(client, visibility="public", metadata={"w": 9})
    private = local_event(client, metadata={"w": 10})
    with django_capture_on_commit_callbacks(execute=True):
        push_events(client, circuit, item.dfid, [public, private])
    assert [
        (request["entity_id"], request["operation_details"]["event_id"]) for request in scheduled
    ] == [(item.dfid, public)]
