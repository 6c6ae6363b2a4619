"""Who sees a captured EPCIS event (its capturer, its capturer's workspaces, the circuits its
capturer trades in that hold an item it names, everyone when such a circuit publishes the item,
staff), on every EPCIS read route; and captured events as leaves of their items' Merkle trees."""

from urllib.parse import quote

import pytest

from accounts.models import WorkspaceMember, WorkspaceVisibility
from accounts.services.workspaces import (
    workspace_member_add,
    workspace_personal_ensure,
    workspace_update,
)
from circuits.models import CircuitItem, CircuitMember
from circuits.services import circuit_push, circuit_set_public_settings
from items.epcis.event_hash import event_hash
from items.epcis.models import EpcisEvent
from items.models import Item
from tests.accounts.factories import StaffFactory, UserFactory
from tests.circuits.factories import CircuitFactory, member_of
from tests.conftest import client_for
from tests.integrity.test_merkle_api import independent_root

pytestmark = pytest.mark.django_db

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]
SGTIN = "https://id.gs1.org/01/09521141012345/21/2017"
SGTIN_URN = "urn:epc:id:sgtin:9521141.001234.2017"


def event(**fields):
    return {
        "@context": CONTEXT,
        "type": "ObjectEvent",
        "eventTime": "2026-07-22T06:45:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "readPoint": {"id": "urn:epc:id:sgln:9521141.12345.0"},
        **fields,
    }


def capture(client, body) -> EpcisEvent:
    response = client.post("/epcis/events", data=body, format="json")
    assert response.status_code == 202, response.content
    return EpcisEvent.objects.filter(owner=client.user).latest("id")


def events_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def event_ids(client, path="/epcis/events", parameters=None) -> set[str]:
    return {found["eventID"] for found in events_of(client.get(path, parameters or {}))}


class World:
    """A capturer's event about an item; the parties around it."""

    def __init__(self):
        self.capturer = UserFactory(workspace_name="valley")
        self.colleague = UserFactory()  # a member of the capturer's workspace, which shares
        self.partner = UserFactory()  # member of a circuit holding the item
        self.stranger = UserFactory()
        self.staff = StaffFactory()
        workspace = workspace_personal_ensure(user=self.capturer)
        workspace_update(
            workspace=workspace,
            actor=self.capturer,
            settings={"default_visibility": WorkspaceVisibility.WORKSPACE},
        )
        workspace_member_add(
            workspace=workspace, actor=self.capturer, member=self.colleague, role="Member"
        )
        self.workspace = workspace
        self.client = client_for(self.capturer)
        self.event = capture(self.client, event(epcList=[SGTIN_URN]))
        self.item = Item.objects.get(identifiers__namespace="gs1", identifiers__value=SGTIN)
        self.circuit = CircuitFactory(owner=self.capturer)
        circuit_push(circuit=self.circuit, user=self.capturer, dfid=self.item.dfid)
        member_of(self.circuit, user=self.partner)

    def client_of(self, name: str):
        return self.client if name == "capturer" else client_for(getattr(self, name))

    def publish(self):
        circuit_set_public_settings(
            circuit=self.circuit,
            actor=self.capturer,
            public_settings={"access_mode": "public", "published_items": [self.item.dfid]},
        )


@pytest.fixture
def world() -> World:
    return World()


SEES = {"capturer": True, "colleague": True, "partner": True, "stranger": False, "staff": True}


@pytest.mark.parametrize(("party", "sees"), SEES.items())
def test_every_read_route_applies_the_rule(world, party, sees):
    client = world.client_of(party)
    event_id = world.event.event_id
    expected = {event_id} if sees else set()
    assert event_ids(client) == expected
    assert event_ids(client, f"/epcis/epcs/{quote(SGTIN, safe='')}/events") == expected
    assert event_ids(client, "/epcis/events", {"MATCH_epc": SGTIN_URN}) == expected
    assert event_ids(client, "/epcis/events", {"EQ_eventID": event_id}) == expected
    single = client.get(f"/epcis/events/{quote(event_id, safe='')}")
    if sees:
        assert {found["eventID"] for found in events_of(single)} == {event_id}
    else:
        assert single.status_code == 404
        assert single.json()["type"] == "epcisException:NoSuchResourceException"
    steps = client.get("/epcis/bizSteps").json()["member"]
    assert ("shipping" in steps) is sees
    read_points = client.get("/epcis/readPoints").json()["member"]
    assert bool(read_points) is sees
    created = client.post(
        "/epcis/queries", data={"name": "Shipped", "query": {"EQ_bizStep": ["shipping"]}}
    )
    assert created.status_code == 201, created.content
    assert event_ids(client, "/epcis/queries/Shipped/events") == expected


@pytest.mark.parametrize("party", ["capturer", "partner", "staff"])
def test_the_item_export_holds_the_event_for_whoever_sees_both(world, party):
    response = world.client_of(party).get(f"/epcis/items/{world.item.dfid}/export")
    assert response.status_code == 200, response.content
    exported = response.json()["epcisBody"]["eventList"]
    assert world.event.event_id in {found.get("eventID") for found in exported}


def test_a_stranger_publicly_sees_the_event_of_a_published_item(world):
    stranger = client_for(world.stranger)
    assert event_ids(stranger) == set()
    world.publish()
    assert event_ids(stranger) == {world.event.event_id}
    assert event_ids(stranger, "/epcis/events", {"MATCH_anyEPC": SGTIN}) == {world.event.event_id}
    # Protected (password) circuits publish to no one without the password.
    circuit_set_public_settings(
        circuit=world.circuit,
        actor=world.capturer,
        public_settings={
            "access_mode": "protected",
            "password": "s3cret-pass",
            "published_items": [world.item.dfid],
        },
    )
    assert event_ids(stranger) == set()


def test_a_circuit_shares_only_what_its_own_members_captured(world):
    """An outsider capturing an event about the same item shares it with no circuit it is not
    in; the circuit member does not see it, the outsider's colleagues would."""
    outsider = client_for(world.stranger)
    theirs = capture(outsider, event(epcList=[SGTIN], bizStep="receiving"))
    assert theirs.event_id != world.event.event_id
    partner = client_for(world.partner)
    assert event_ids(partner) == {world.event.event_id}
    assert theirs.event_id in event_ids(outsider)
    assert event_ids(client_for(world.staff)) == {world.event.event_id, theirs.event_id}
    # Once the outsider joins the circuit, its event is shared there too.
    member_of(world.circuit, user=world.stranger)
    assert event_ids(partner) == {world.event.event_id, theirs.event_id}


def test_a_workspace_that_does_not_share_shows_its_members_nothing(world):
    colleague = client_for(world.colleague)
    assert event_ids(colleague) == {world.event.event_id}
    workspace_update(
        workspace=world.workspace,
        actor=world.capturer,
        settings={"default_visibility": WorkspaceVisibility.PRIVATE},
    )
    assert event_ids(colleague) == set()
    # nor does another workspace the capturer merely belongs to
    other = workspace_personal_ensure(user=world.colleague)
    workspace_update(
        workspace=other,
        actor=world.colleague,
        settings={"default_visibility": WorkspaceVisibility.WORKSPACE},
    )
    workspace_member_add(
        workspace=other, actor=world.colleague, member=world.capturer, role="Member"
    )
    assert event_ids(colleague) == set()
    assert event_ids(client_for(world.capturer)) == {world.event.event_id}


def test_leaving_the_workspace_or_the_circuit_takes_the_event_out_of_sight(world):
    colleague, partner = client_for(world.colleague), client_for(world.partner)
    WorkspaceMember.objects.filter(workspace=world.workspace, user=world.colleague).delete()
    assert event_ids(colleague) == set()
    CircuitMember.objects.filter(circuit=world.circuit, member=world.partner).delete()
    assert event_ids(partner) == set()
    member_of(world.circuit, user=world.partner)
    CircuitItem.objects.filter(circuit=world.circuit, item=world.item).delete()
    assert event_ids(partner) == set()


def test_the_event_route_reads_an_event_id_with_slashes(world):
    assert world.event.event_id.startswith("ni:///sha-256;")
    response = world.client.get(f"/epcis/events/{quote(world.event.event_id, safe='')}")
    assert [found["eventID"] for found in events_of(response)] == [world.event.event_id]
    assert world.client.get("/epcis/events/urn:uuid:nothing").status_code == 404
    assert world.client.get("/epcis/events/x", {"perPage": 1}).status_code == 400


@pytest.mark.parametrize("party", ["colleague", "partner", "stranger"])
def test_query_count_does_not_grow_with_the_events(world, party, django_assert_max_num_queries):
    client = world.client_of(party)
    if party == "stranger":
        world.publish()
    path = f"/epcis/epcs/{quote(SGTIN, safe='')}/events"
    for count in (2, 6):
        while EpcisEvent.objects.filter(owner=world.capturer).count() < count:
            index = EpcisEvent.objects.count()
            capture(world.client, event(epcList=[SGTIN], eventTime=f"2026-07-22T0{index}:00:00Z"))
        # the caller, its workspaces' members, its circuits, the public circuits, the page
        with django_assert_max_num_queries(5):
            assert len(events_of(client.get(path))) == count
        with django_assert_max_num_queries(5):
            assert len(events_of(client.get("/epcis/events"))) == count


# --- the item's Merkle tree ---------------------------------------------------------------------


def _tree_proof(client, dfid: str, event_id: str, prefix="/api/merkle"):
    root = client.get(f"{prefix}/items/{dfid}/merkle-root")
    proof = client.get(f"{prefix}/items/{dfid}/merkle-proof/{quote(event_id, safe='')}")
    return root, proof


@pytest.mark.parametrize("party", ["capturer", "partner", "staff"])
def test_a_captured_event_is_a_leaf_of_its_items_tree_and_its_proof_verifies(world, party):
    client = world.client_of(party)
    root, proof = _tree_proof(client, world.item.dfid, world.event.event_id)
    assert root.status_code == 200, root.content
    assert proof.status_code == 200, proof.content
    body = proof.json()
    leaf = body["leaf"]
    assert body["event_id"] == world.event.event_id
    assert leaf["dfid"] == world.item.dfid
    assert leaf["event_type"] == "ObjectEvent"
    # The leaf commits to the standard event hash, which recomputes from the event alone.
    assert leaf["epcis_event_hash"] == event_hash(world.event.event, context=world.event.context)
    assert leaf["epcis_event_hash"] == world.event.event_id  # captured without an eventID
    merkle_root = root.json()["data"]["merkle_root"]
    assert independent_root(leaf, body["proof"]) == merkle_root
    # DeFarm's own events of the item (its creation, its push) are leaves beside it.
    assert root.json()["data"]["event_count"] == world.item.events.count() + 1
    verified = client.post(
        "/api/merkle/verify-proof",
        data={"proof": body["proof"], "expected_root": merkle_root},
        format="json",
    )
    assert verified.status_code == 200, verified.content
    assert verified.json()["valid"] is True


def test_a_stranger_or_an_outsiders_event_is_not_in_the_tree(world):
    stranger = client_for(world.stranger)
    root, proof = _tree_proof(stranger, world.item.dfid, world.event.event_id)
    assert root.status_code == 404 and proof.status_code == 404
    theirs = capture(stranger, event(epcList=[SGTIN], bizStep="receiving"))
    _root, proof = _tree_proof(client_for(world.partner), world.item.dfid, theirs.event_id)
    assert proof.status_code == 404
    assert proof.json()["error"] == "event_not_in_tree"


def test_leaves_are_in_time_order_and_a_new_capture_changes_the_root(world):
    first_root = world.client.get(f"/api/merkle/items/{world.item.dfid}/merkle-root").json()
    earlier = capture(world.client, event(epcList=[SGTIN], eventTime="2001-01-01T00:00:00Z"))
    root, proof = _tree_proof(world.client, world.item.dfid, earlier.event_id)
    assert proof.json()["proof"]["leaf_index"] == 0
    assert root.json()["data"]["merkle_root"] != first_root["data"]["merkle_root"]
    assert (
        independent_root(proof.json()["leaf"], proof.json()["proof"])
        == (root.json()["data"]["merkle_root"])
    )


def test_the_public_tree_holds_the_event_once_the_item_is_published(world, api_client):
    world.publish()
    root, proof = _tree_proof(
        api_client, world.item.dfid, world.event.event_id, "/api/public/merkle"
    )
    assert root.status_code == 200, root.content
    assert proof.status_code == 200, proof.content
    assert (
        independent_root(proof.json()["leaf"], proof.json()["proof"])
        == (root.json()["data"]["merkle_root"])
    )


def test_the_circuit_tree_holds_its_members_captured_events(world, api_client):
    capturer, partner = world.client, client_for(world.partner)
    url = f"/api/merkle/circuits/{world.circuit.circuit_id}/merkle-root"
    before = partner.get(url).json()["data"]
    outsider = client_for(world.stranger)
    capture(outsider, event(epcList=[SGTIN], bizStep="receiving"))  # not a member: not shown
    assert partner.get(url).json()["data"]["merkle_root"] == before["merkle_root"]
    later = capture(capturer, event(epcList=[SGTIN], eventTime="2030-01-01T00:00:00Z"))
    after = partner.get(url).json()["data"]
    assert after["merkle_root"] != before["merkle_root"]
    assert capturer.get(url).json()["data"]["merkle_root"] == after["merkle_root"]
    (entry,) = after["items"]
    assert entry["event_count"] == before["items"][0]["event_count"] + 1
    item_tree = partner.get(f"/api/merkle/items/{world.item.dfid}/merkle-root").json()["data"]
    assert item_tree["merkle_root"] == entry["merkle_root"]
    assert later.event_id in {found["eventID"] for found in events_of(partner.get("/epcis/events"))}
    world.publish()
    public = api_client.get(
        f"/api/public/merkle/circuits/{world.circuit.circuit_id}/merkle-root"
    ).json()["data"]
    assert public["items"][0]["event_count"] >= 2
