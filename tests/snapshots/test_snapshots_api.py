import pytest

from circuits.models import CircuitPublishedItem
from items.snapshots.models import Snapshot
from items.snapshots.services import snapshot_take
from tests.accounts.factories import UserFactory
from tests.adapters.factories import CircuitFactory, ItemFactory, circuit_hold, member_add
from tests.conftest import client_for


def take(entity_id, scope="", entity_type="item"):
    return snapshot_take(
        entity_type=entity_type, entity_id=str(entity_id), scope=scope, operation="Requested"
    )


@pytest.fixture
def chains(held_item, local_circuit):
    """Two snapshots of the item's own data, one of it as the circuit holds it."""
    scope = str(local_circuit.circuit_id)
    return [take(held_item.dfid), take(held_item.dfid), take(held_item.dfid, scope=scope)]


def test_list_in_the_engines_shape(auth_client, held_item, chains):
    answer = auth_client.get(f"/items/{held_item.dfid}/snapshots")
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True
    data = body["data"]
    assert (data["entity_id"], data["entity_type"], data["total_snapshots"]) == (
        held_item.dfid,
        "item",
        3,
    )
    assert data["latest_version"] == 1  # the newest is the first of the circuit's chain
    first, second, in_circuit = data["snapshots"]
    assert set(first) >= {
        "snapshot_id",
        "entity_type",
        "entity_id",
        "version",
        "parent_hash",
        "operation",
        "operation_description",
        "ipfs_cid",
        "blockchain_tx",
        "timestamp",
        "created_by",
        "message",
        "urls",
    }
    assert first["parent_hash"] is None and second["parent_hash"] == first["snapshot_id"]
    assert second["previous_cid"] == first["cid"] == first["ipfs_cid"]
    assert first["operation"] == "Requested"
    assert first["timestamp"].endswith("Z")
    assert first["urls"] == {
        "ipfs_url": f"http://testserver/api/content/{first['cid']}",
        "stellar_url": None,
    }
    assert in_circuit["circuit_id"] == chains[2].scope and first["circuit_id"] is None


def test_list_pages_and_keeps_one_chain(auth_client, held_item, chains, local_circuit):
    url = f"/items/{held_item.dfid}/snapshots"
    page = auth_client.get(url, {"limit": 1, "offset": 1}).json()["data"]
    assert page["total_snapshots"] == 3
    assert [s["snapshot_id"] for s in page["snapshots"]] == [chains[1].snapshot_id]
    one_chain = auth_client.get(url, {"circuit_id": str(local_circuit.circuit_id)}).json()
    assert [s["snapshot_id"] for s in one_chain["data"]["snapshots"]] == [chains[2].snapshot_id]
    assert auth_client.get(url, {"limit": "x"}).status_code == 400
    assert auth_client.get(url, {"limit": 1001}).status_code == 400
    refused = auth_client.get(url, {"verison": 1})
    assert refused.status_code == 400 and refused.json()["error"] == "validation_error"


def test_member_sees_only_the_circuits_chain(held_item, chains):
    """A circuit the creator's layer is not shared with (another user added the item)."""
    foreign = CircuitFactory(adapter_config={"adapter_type": "local"})
    circuit_hold(foreign, held_item)
    in_foreign = take(held_item.dfid, scope=str(foreign.circuit_id))
    member = UserFactory()
    member_add(foreign, member)
    client = client_for(member)
    data = client.get(f"/items/{held_item.dfid}/snapshots").json()["data"]
    assert [s["snapshot_id"] for s in data["snapshots"]] == [in_foreign.snapshot_id]
    own = client.get(f"/items/{held_item.dfid}/snapshots/{chains[0].snapshot_id}")
    assert own.status_code == 404
    assert own.json()["message"] == "Snapshot not found for this item"
    by_cid = client.get(f"/items/{held_item.dfid}/snapshots/{in_foreign.cid}")
    assert by_cid.status_code == 200
    assert by_cid.json()["data"]["state"] == in_foreign.state


def test_others_get_404_and_anonymous_401(other_client, api_client, held_item, chains):
    for path in (
        f"/items/{held_item.dfid}/snapshots",
        f"/items/{held_item.dfid}/snapshots/latest",
        f"/items/{held_item.dfid}/snapshots/{chains[0].snapshot_id}",
    ):
        assert other_client.get(path).status_code == 404, path
        assert api_client.get(path).status_code == 401, path


def test_staff_see_every_chain(staff_client, held_item, chains):
    data = staff_client.get(f"/items/{held_item.dfid}/snapshots/").json()["data"]
    assert data["total_snapshots"] == 3


def test_latest_and_detail(auth_client, held_item, chains, local_circuit):
    latest = auth_client.get(f"/items/{held_item.dfid}/snapshots/latest")
    assert latest.status_code == 200
    assert latest.json()["data"]["snapshot"]["snapshot_id"] == chains[2].snapshot_id
    own_chain = auth_client.get(
        f"/items/{held_item.dfid}/snapshots/latest", {"circuit_id": str(local_circuit.circuit_id)}
    )
    assert own_chain.json()["data"]["snapshot"]["snapshot_id"] == chains[2].snapshot_id
    detail = auth_client.get(f"/items/{held_item.dfid}/snapshots/{chains[1].snapshot_id}")
    assert detail.json()["data"]["state"]["previous_cid"] == chains[0].cid
    missing = auth_client.get(f"/items/{held_item.dfid}/snapshots/{'0' * 64}")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Snapshot not found"


def test_latest_without_snapshots_is_404(auth_client, item):
    answer = auth_client.get(f"/items/{item.dfid}/snapshots/latest")
    assert answer.status_code == 404
    assert answer.json()["message"] == "No snapshots found for this item"
    empty = auth_client.get(f"/items/{item.dfid}/snapshots").json()["data"]
    assert (empty["total_snapshots"], empty["latest_version"], empty["snapshots"]) == (0, 0, [])


def test_circuit_routes(auth_client, other_client, api_client, local_circuit, held_item):
    first = take(local_circuit.circuit_id, entity_type="circuit")
    second = take(local_circuit.circuit_id, entity_type="circuit")
    base = f"/circuits/{local_circuit.circuit_id}/snapshots"
    data = auth_client.get(base).json()["data"]
    assert (data["entity_type"], data["total_snapshots"], data["latest_version"]) == (
        "circuit",
        2,
        2,
    )
    latest = auth_client.get(f"{base}/latest").json()["data"]
    assert latest["snapshot"]["snapshot_id"] == second.snapshot_id
    assert latest["state"]["circuit"]["items"][0]["dfid"] == held_item.dfid
    assert auth_client.get(f"{base}/{first.cid}").json()["data"]["snapshot"]["version"] == 1
    item_snapshot = take(held_item.dfid)
    wrong = auth_client.get(f"{base}/{item_snapshot.snapshot_id}")
    assert wrong.status_code == 404
    assert wrong.json()["message"] == "Snapshot not found for this circuit"
    for path in (base, f"{base}/latest", f"{base}/{first.snapshot_id}"):
        assert other_client.get(path).status_code == 404
        assert api_client.get(path).status_code == 401
    assert auth_client.get("/circuits/not-a-uuid/snapshots").status_code == 404


def test_public_routes_show_only_public_circuit_chains(api_client, user, held_item, chains):
    public = CircuitFactory(
        owner=user,
        adapter_config={"adapter_type": "local"},
        public_settings={"access_mode": "public", "published_items": [held_item.dfid]},
    )
    circuit_hold(public, held_item)
    CircuitPublishedItem.objects.create(circuit=public, item=held_item)
    published = take(held_item.dfid, scope=str(public.circuit_id))
    base = f"/api/public/snapshots/items/{held_item.dfid}/snapshots"
    data = api_client.get(base).json()["data"]
    assert [s["snapshot_id"] for s in data["snapshots"]] == [published.snapshot_id]
    assert data["snapshots"][0]["created_by"] == ""
    latest = api_client.get(f"{base}/latest").json()["data"]
    assert latest["state"] == published.state
    private = ItemFactory(created_by=user)
    for path in (
        f"/api/public/snapshots/items/{private.dfid}/snapshots",
        f"/api/public/snapshots/items/{private.dfid}/snapshots/latest",
    ):
        answer = api_client.get(path)
        assert answer.status_code == 404
        assert answer.json()["error"] == "item_not_public"


def test_public_latest_without_snapshots_is_404(api_client, user, item):
    public = CircuitFactory(
        owner=user, public_settings={"access_mode": "public", "published_items": [item.dfid]}
    )
    circuit_hold(public, item)
    CircuitPublishedItem.objects.create(circuit=public, item=item)
    answer = api_client.get(f"/api/public/snapshots/items/{item.dfid}/snapshots/latest")
    assert answer.status_code == 404


def test_list_query_count_does_not_grow(auth_client, held_item, django_assert_max_num_queries):
    url = f"/items/{held_item.dfid}/snapshots"
    take(held_item.dfid)
    with django_assert_max_num_queries(12) as few:
        auth_client.get(url)
    for _ in range(10):
        take(held_item.dfid)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert auth_client.get(url).json()["data"]["total_snapshots"] == 11


def test_taking_on_demand(
    auth_client, other_client, held_item, local_circuit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = auth_client.post(f"/items/{held_item.dfid}/snapshots", {"message": "sale"})
    assert answer.status_code == 202
    assert answer.json()["data"] == {
        "entity_type": "item",
        "entity_id": held_item.dfid,
        "circuit_id": None,
        "status": "scheduled",
    }
    snapshot = Snapshot.objects.get()
    assert (snapshot.message, snapshot.operation, snapshot.scope) == ("sale", "Requested", "")
    circuit_id = str(local_circuit.circuit_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            auth_client.post(
                f"/items/{held_item.dfid}/snapshots", {"circuit_id": circuit_id}
            ).status_code
            == 202
        )
        assert auth_client.post(f"/circuits/{circuit_id}/snapshots", {}).status_code == 202
    assert Snapshot.objects.filter(scope=circuit_id).count() == 1
    assert Snapshot.objects.filter(entity_type="circuit").count() == 1
    assert other_client.post(f"/items/{held_item.dfid}/snapshots", {}).status_code == 404
    assert other_client.post(f"/circuits/{circuit_id}/snapshots", {}).status_code == 404


def test_member_snapshots_the_circuits_view_not_the_creators(
    held_item, django_capture_on_commit_callbacks
):
    foreign = CircuitFactory(adapter_config={"adapter_type": "local"})
    circuit_hold(foreign, held_item)
    member = UserFactory()
    member_add(foreign, member)
    client = client_for(member)
    assert client.post(f"/items/{held_item.dfid}/snapshots", {}).status_code == 403
    other = CircuitFactory()
    refused = client.post(
        f"/items/{held_item.dfid}/snapshots", {"circuit_id": str(other.circuit_id)}
    )
    assert refused.status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/items/{held_item.dfid}/snapshots", {"circuit_id": str(foreign.circuit_id)}
        )
    assert answer.status_code == 202
    snapshot = Snapshot.objects.get()
    assert (snapshot.created_by, snapshot.scope) == (member.user_id, str(foreign.circuit_id))
