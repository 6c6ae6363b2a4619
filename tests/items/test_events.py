import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from items.models import Event
from items.services import event_record
from tests.conftest import client_for
from tests.items.factories import item_for

pytestmark = pytest.mark.django_db


def post_event(client, dfid, **fields):
    body = {"dfid": dfid, "event_type": "Updated", **fields}
    return client.post("/api/events", body, format="json")


def test_create_event_and_identical_event_is_deduplicated(auth_client, user):
    item = item_for(user)
    first = post_event(auth_client, item.dfid, source="scale", metadata={"weight": 320})
    assert first.status_code == 200
    body = first.json()
    assert body["dfid"] == item.dfid and body["event_type"] == "Updated"
    assert body["was_deduplicated"] is False
    assert body["source"] == user.pk  # from the credentials; the body's source is ignored
    assert body["metadata"]["weight"] == 320
    again = post_event(auth_client, item.dfid, source="scale", metadata={"weight": 320})
    assert again.status_code == 200
    assert again.json()["event_id"] == body["event_id"]
    assert again.json()["was_deduplicated"] is True
    other = post_event(auth_client, item.dfid, source="scale", metadata={"weight": 321})
    assert other.json()["was_deduplicated"] is False
    assert Event.objects.filter(event_type="Updated").count() == 2


def test_event_record_service_returns_the_existing_event(user):
    item = item_for(user)
    first = event_record(item=item, event_type="Updated", user=user, source="s", metadata={"a": 1})
    second = event_record(item=item, event_type="Updated", user=user, source="s", metadata={"a": 1})
    assert first.pk == second.pk


def test_event_on_an_invisible_item_is_404_and_bad_input_400(auth_client, other_user, user):
    foreign = item_for(other_user)
    assert post_event(auth_client, foreign.dfid).status_code == 404
    mine = item_for(user)
    assert post_event(auth_client, mine.dfid, event_type="Exploded").status_code == 400
    circuit_only = post_event(auth_client, mine.dfid, visibility="CircuitOnly")
    assert circuit_only.status_code == 400
    assert "circuit_id" in circuit_only.json()["message"]


def test_private_events_are_seen_only_by_their_creator(user, other_user, share_in_circuit):
    item = item_for(user)
    share_in_circuit(item, user, other_user)
    mine, theirs = client_for(user), client_for(other_user)
    private = post_event(mine, item.dfid, visibility="Private", metadata={"p": 1}).json()
    public = post_event(mine, item.dfid, metadata={"p": 2}).json()
    their_ids = {e["event_id"] for e in theirs.get(f"/api/events/item/{item.dfid}").json()}
    assert public["event_id"] in their_ids and private["event_id"] not in their_ids
    assert theirs.get(f"/api/events/{private['event_id']}").status_code == 404
    assert mine.get(f"/api/events/{private['event_id']}").status_code == 200


def test_circuit_only_events_are_seen_by_that_circuits_members(user, other_user, share_in_circuit):
    from tests.accounts.factories import UserFactory

    item = item_for(user)
    outsider = UserFactory()
    circuit = share_in_circuit(item, user, other_user)
    share_in_circuit(item, user, outsider)  # sees the item through another circuit
    event = post_event(
        client_for(user),
        item.dfid,
        visibility="CircuitOnly",
        metadata={"circuit_id": str(circuit.circuit_id)},
    ).json()
    assert client_for(other_user).get(f"/api/events/{event['event_id']}").status_code == 200
    assert client_for(outsider).get(f"/api/events/{event['event_id']}").status_code == 404
    assert client_for(outsider).get(f"/api/items/{item.dfid}").status_code == 200


def test_other_users_never_see_events_of_my_items(auth_client, other_client, user):
    item = item_for(user)
    event = post_event(auth_client, item.dfid).json()
    assert other_client.get(f"/api/events/{event['event_id']}").status_code == 404
    assert int(other_client.get("/api/events")["X-Total-Count"]) == 0


def test_event_list_filters(auth_client, user):
    a, b = item_for(user), item_for(user)
    post_event(auth_client, a.dfid, visibility="Private")
    post_event(auth_client, b.dfid, event_type="StatusChanged")

    def count(query):
        return int(auth_client.get(f"/api/events?{query}")["X-Total-Count"])

    assert count(f"dfid={a.dfid}") == 2  # Created + Updated
    assert count("event_type=StatusChanged") == 1
    assert count("visibility=Private") == 1
    assert count("event_type=Created") == 2
    assert count("event_type=statuschanged&visibility=PUBLIC") == 1


@pytest.mark.parametrize("path", ["/api/events", "/api/events/item/{dfid}"])
def test_event_lists_query_count_does_not_grow(user, path):
    client = client_for(user)
    item = item_for(user)
    for n in range(3):
        event_record(item=item, event_type="Updated", user=user, metadata={"n": n})
    url = path.format(dfid=item.dfid)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(3, 30):
        event_record(item=item, event_type="Updated", user=user, metadata={"n": n})
    with CaptureQueriesContext(connection) as many:
        assert int(client.get(url)["X-Total-Count"]) == 31
    assert len(many) == len(few)


def test_item_detail_query_count_does_not_grow_with_events(user):
    client = client_for(user)
    item = item_for(user)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/items/{item.dfid}")
    for n in range(20):
        event_record(item=item, event_type="Updated", user=user, metadata={"n": n})
    with CaptureQueriesContext(connection) as many:
        client.get(f"/api/items/{item.dfid}")
    assert len(many) == len(few)
