"""Merkle routes: roots and proofs of items and circuits, private and public, checked by an
independent verifier that holds only the root."""

import hashlib
import json

import pytest

from circuits.services import circuit_set_public_settings
from items.services import event_record
from tests.circuits.factories import CircuitFactory, circuit_url, item_for, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def independent_root(leaf_document: dict, proof: dict) -> str:
    """RFC 6962 recomputation written out with hashlib only, as an outside verifier would."""
    data = json.dumps(leaf_document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    current = hashlib.sha256(b"\x00" + data.encode()).digest()
    assert current.hex() == proof["leaf_hash"]
    for sibling in proof["siblings"]:
        other = bytes.fromhex(sibling["hash"])
        pair = other + current if sibling["position"] == "Left" else current + other
        current = hashlib.sha256(b"\x01" + pair).digest()
    return current.hex()


@pytest.fixture
def item(user):
    item = item_for(user, enriched_data={"breed": "Nelore"})
    for weight in (180, 210, 245):
        event_record(item=item, event_type="Weighed", user=user, metadata={"weight_kg": weight})
    return item


@pytest.fixture
def circuit(user):
    return CircuitFactory(owner=user)


def pushed(client, circuit, *items):
    for item in items:
        response = client.post(circuit_url(circuit, f"/push/{item.dfid}"))
        assert response.status_code == 200, response.content
    return circuit


# --- items --------------------------------------------------------------------------------------


def test_item_root_and_event_proof_verify_with_the_root_alone(auth_client, item):
    root = auth_client.get(f"/api/merkle/items/{item.dfid}/merkle-root")
    assert root.status_code == 200, root.content
    data = root.json()["data"]
    assert data["dfid"] == item.dfid
    assert data["event_count"] == item.events.count() >= 4
    assert data["computed_at"]
    event = item.events.order_by("timestamp", "event_id")[2]
    answer = auth_client.get(f"/api/merkle/items/{item.dfid}/merkle-proof/{event.event_id}/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["success"] is True
    assert body["item_dfid"] == item.dfid and body["event_id"] == str(event.event_id)
    assert body["leaf"]["event_id"] == str(event.event_id)
    assert body["proof"]["root"] == data["merkle_root"]
    assert body["proof"]["tree_size"] == data["event_count"]
    assert independent_root(body["leaf"], body["proof"]) == data["merkle_root"]


def test_item_root_changes_with_a_new_event(auth_client, user, item):
    before = auth_client.get(f"/api/merkle/items/{item.dfid}/merkle-root").json()["data"]
    event_record(item=item, event_type="Updated", user=user, metadata={"to": "pasture 2"})
    after = auth_client.get(f"/api/merkle/items/{item.dfid}/merkle-root").json()["data"]
    assert after["event_count"] == before["event_count"] + 1
    assert after["merkle_root"] != before["merkle_root"]


def test_item_routes_need_authentication_and_hide_others_items(api_client, other_client, item):
    event = item.events.first()
    paths = [
        f"/api/merkle/items/{item.dfid}/merkle-root",
        f"/api/merkle/items/{item.dfid}/merkle-proof/{event.event_id}",
    ]
    for path in paths:
        assert api_client.get(path).status_code == 401
        response = other_client.get(path)
        assert response.status_code == 404
        assert response.json()["success"] is False


def test_staff_sees_any_item_root(staff_client, item):
    assert staff_client.get(f"/api/merkle/items/{item.dfid}/merkle-root").status_code == 200


def test_proof_of_another_items_event_is_a_clear_404(auth_client, user, item):
    other = item_for(user)
    foreign = other.events.first()
    response = auth_client.get(f"/api/merkle/items/{item.dfid}/merkle-proof/{foreign.event_id}")
    assert response.status_code == 404
    assert response.json()["error"] == "event_not_in_tree"
    response = auth_client.get(f"/api/merkle/items/{item.dfid}/merkle-proof/not-a-uuid")
    assert response.status_code == 404


def test_another_users_private_event_is_not_a_leaf(auth_client, user, circuit, item):
    colleague = member_of(circuit, "Member")
    pushed(auth_client, circuit, item)
    secret = event_record(
        item=item, event_type="Updated", user=colleague, metadata={"n": 1}, visibility="Private"
    )
    mine = auth_client.get(f"/api/merkle/items/{item.dfid}/merkle-proof/{secret.event_id}")
    assert mine.status_code == 404
    theirs = client_for(colleague).get(
        f"/api/merkle/items/{item.dfid}/merkle-proof/{secret.event_id}"
    )
    assert theirs.status_code == 200, theirs.content


def test_unknown_item_is_404(auth_client):
    response = auth_client.get("/api/merkle/items/DFID-NOPE/merkle-root")
    assert response.status_code == 404


# --- circuits -----------------------------------------------------------------------------------


def test_circuit_root_proof_and_members_agree(auth_client, user, circuit, item):
    second = item_for(user)
    pushed(auth_client, circuit, item, second)
    member = member_of(circuit, "Viewer")
    owner_view = auth_client.get(f"/api/merkle/circuits/{circuit.circuit_id}/merkle-root")
    assert owner_view.status_code == 200, owner_view.content
    data = owner_view.json()["data"]
    assert data["circuit_id"] == str(circuit.circuit_id)
    assert data["item_count"] == 2
    assert [entry["dfid"] for entry in data["items"]] == sorted([item.dfid, second.dfid])
    member_view = client_for(member).get(f"/api/merkle/circuits/{circuit.circuit_id}/merkle-root")
    assert member_view.json()["data"]["merkle_root"] == data["merkle_root"]

    answer = auth_client.get(f"/api/merkle/circuits/{circuit.circuit_id}/merkle-proof/{item.dfid}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["circuit_id"] == str(circuit.circuit_id) and body["item_dfid"] == item.dfid
    entry = next(e for e in data["items"] if e["dfid"] == item.dfid)
    assert body["leaf"] == entry
    assert independent_root(body["leaf"], body["proof"]) == data["merkle_root"]


def test_circuit_routes_authorization(api_client, other_client, circuit, auth_client, item):
    pushed(auth_client, circuit, item)
    paths = [
        f"/api/merkle/circuits/{circuit.circuit_id}/merkle-root",
        f"/api/merkle/circuits/{circuit.circuit_id}/merkle-proof/{item.dfid}",
    ]
    for path in paths:
        assert api_client.get(path).status_code == 401
        assert other_client.get(path).status_code == 404
    sync = f"/api/merkle/circuits/{circuit.circuit_id}/sync-check"
    body = {"local_root": "a", "remote_root": "b"}
    assert api_client.post(sync, body, format="json").status_code == 401
    assert other_client.post(sync, body, format="json").status_code == 404
    assert other_client.get("/api/merkle/circuits/not-a-uuid/merkle-root").status_code == 404


def test_circuit_without_items_and_item_outside_the_circuit(auth_client, user, circuit, item):
    empty = auth_client.get(f"/api/merkle/circuits/{circuit.circuit_id}/merkle-root")
    assert empty.status_code == 404
    assert empty.json()["message"] == "No items with events found in circuit"
    pushed(auth_client, circuit, item)
    outside = item_for(user)
    response = auth_client.get(
        f"/api/merkle/circuits/{circuit.circuit_id}/merkle-proof/{outside.dfid}"
    )
    assert response.status_code == 404
    assert response.json()["error"] == "item_not_in_tree"


def test_sync_check(auth_client, user, circuit, item):
    second = item_for(user)
    pushed(auth_client, circuit, item, second)
    data = auth_client.get(f"/api/merkle/circuits/{circuit.circuit_id}/merkle-root").json()["data"]
    path = f"/api/merkle/circuits/{circuit.circuit_id}/sync-check"
    same = auth_client.post(
        path, {"local_root": data["merkle_root"], "remote_root": data["merkle_root"]}
    )
    assert same.status_code == 200, same.content
    assert same.json() == {
        "in_sync": True,
        "local_root": data["merkle_root"],
        "remote_root": data["merkle_root"],
        "message": "States are identical",
    }
    stale = dict(data["items"][0], merkle_root="ab" * 32)
    remote_items = [stale, {"dfid": "DFID-ELSEWHERE", "merkle_root": "cd" * 32, "event_count": 1}]
    differ = auth_client.post(
        path,
        {"local_root": data["merkle_root"], "remote_root": "ef" * 32, "remote_items": remote_items},
    ).json()
    assert differ["in_sync"] is False
    assert differ["local_root"] == data["merkle_root"]
    assert differ["message"] == "States differ - 3 items affected"
    assert differ["modified"] == [stale["dfid"]]
    assert differ["remote_only"] == ["DFID-ELSEWHERE"]
    assert differ["local_only"] == [data["items"][1]["dfid"]]
    plain = auth_client.post(path, {"local_root": "x", "remote_root": "y"}).json()
    assert plain["in_sync"] is False and "modified" not in plain
    bad = auth_client.post(path, {"local_root": "x"})
    assert bad.status_code == 400


def test_circuit_root_query_count_does_not_grow_with_items(
    auth_client, user, circuit, django_assert_max_num_queries
):
    def count_for(n):
        for _ in range(n):
            pushed(auth_client, circuit, item_for(user))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(f"/api/merkle/circuits/{circuit.circuit_id}/merkle-root")
        assert response.status_code == 200
        return len(queries)

    few = count_for(1)
    many = count_for(6)
    assert many == few
    with django_assert_max_num_queries(few):
        auth_client.get(f"/api/merkle/circuits/{circuit.circuit_id}/merkle-root")


# --- verification -------------------------------------------------------------------------------


def proof_for(client, item):
    event = item.events.order_by("timestamp", "event_id").first()
    return client.get(f"/api/merkle/items/{item.dfid}/merkle-proof/{event.event_id}").json()


def test_verify_proof_valid_tampered_and_for_another_tree(auth_client, api_client, user, item):
    body = proof_for(auth_client, item)
    proof, root = body["proof"], body["proof"]["root"]
    for client, path in (
        (auth_client, "/api/merkle/verify-proof"),
        (api_client, "/api/public/merkle/verify-proof"),
    ):
        valid = client.post(path, {"proof": proof, "expected_root": root}, format="json")
        assert valid.status_code == 200, valid.content
        assert valid.json() == {
            "valid": True,
            "message": "Proof is valid - leaf exists in tree with expected root",
        }
        with_leaf = client.post(
            path, {"proof": proof, "expected_root": root, "leaf": body["leaf"]}, format="json"
        )
        assert with_leaf.json()["valid"] is True
        wrong_leaf = client.post(
            path,
            {"proof": proof, "expected_root": root, "leaf": dict(body["leaf"], timestamp=1)},
            format="json",
        )
        assert wrong_leaf.json()["valid"] is False
        tampered = dict(proof, siblings=[dict(s, hash="00" * 32) for s in proof["siblings"]])
        verdict = client.post(path, {"proof": tampered, "expected_root": root}, format="json")
        assert verdict.status_code == 200
        assert verdict.json()["valid"] is False
        assert verdict.json()["message"] == "Proof is invalid - verification failed"
        other = proof_for(auth_client, item_for(user))["proof"]
        mismatch = client.post(path, {"proof": other, "expected_root": root}, format="json")
        assert mismatch.status_code == 400
        assert mismatch.json()["error"] == "proof_for_another_tree"
        malformed = client.post(
            path, {"proof": dict(proof, leaf_hash="xyz"), "expected_root": root}, format="json"
        )
        assert malformed.status_code == 400
        assert malformed.json()["success"] is False


def test_private_verify_needs_authentication(api_client):
    response = api_client.post("/api/merkle/verify-proof", {}, format="json")
    assert response.status_code == 401


# --- public -------------------------------------------------------------------------------------


def publish(circuit, user, **settings):
    circuit_set_public_settings(circuit=circuit, actor=user, public_settings=settings)


def test_public_routes_for_a_public_circuit(api_client, auth_client, user, circuit, item):
    hidden = item_for(user)
    pushed(auth_client, circuit, item, hidden)
    private = event_record(
        item=item, event_type="Updated", user=user, metadata={"n": 2}, visibility="Private"
    )
    publish(circuit, user, access_mode="public", published_items=[item.dfid])

    circuit_root = api_client.get(f"/api/public/merkle/circuits/{circuit.circuit_id}/merkle-root")
    assert circuit_root.status_code == 200, circuit_root.content
    data = circuit_root.json()["data"]
    assert [entry["dfid"] for entry in data["items"]] == [item.dfid]
    item_root = api_client.get(f"/api/public/merkle/items/{item.dfid}/merkle-root")
    assert item_root.status_code == 200, item_root.content
    assert item_root.json()["data"]["merkle_root"] == data["items"][0]["merkle_root"]

    public_event = item.events.filter(visibility="Public").order_by("timestamp").last()
    proof = api_client.get(f"/api/public/merkle/items/{item.dfid}/merkle-proof/{public_event.pk}")
    assert proof.status_code == 200, proof.content
    assert (
        independent_root(proof.json()["leaf"], proof.json()["proof"])
        == (data["items"][0]["merkle_root"])
    )
    private_proof = api_client.get(
        f"/api/public/merkle/items/{item.dfid}/merkle-proof/{private.pk}"
    )
    assert private_proof.status_code == 404
    item_proof = api_client.get(
        f"/api/public/merkle/circuits/{circuit.circuit_id}/merkle-proof/{item.dfid}"
    )
    assert item_proof.status_code == 200
    assert (
        independent_root(item_proof.json()["leaf"], item_proof.json()["proof"])
        == (data["merkle_root"])
    )
    unpublished = [
        f"/api/public/merkle/items/{hidden.dfid}/merkle-root",
        f"/api/public/merkle/circuits/{circuit.circuit_id}/merkle-proof/{hidden.dfid}",
    ]
    for path in unpublished:
        assert api_client.get(path).status_code == 404


def test_public_routes_are_404_for_circuits_not_public(
    api_client, auth_client, user, circuit, item
):
    pushed(auth_client, circuit, item)
    paths = [
        f"/api/public/merkle/circuits/{circuit.circuit_id}/merkle-root",
        f"/api/public/merkle/circuits/{circuit.circuit_id}/merkle-proof/{item.dfid}",
        f"/api/public/merkle/items/{item.dfid}/merkle-root",
    ]
    for path in paths:
        assert api_client.get(path).status_code == 404
    publish(
        circuit, user, access_mode="protected", password="open sesame", published_items=[item.dfid]
    )
    for path in paths:
        assert api_client.get(path).status_code == 404
    publish(
        circuit,
        user,
        access_mode="scheduled",
        public_from="2999-01-01T00:00:00Z",
        published_items=[item.dfid],
    )
    for path in paths:
        assert api_client.get(path).status_code == 404
    publish(circuit, user, access_mode="public", published_items=[item.dfid])
    for path in paths:
        assert api_client.get(path).status_code == 200
    response = api_client.get(f"/api/public/merkle/circuits/{circuit.circuit_id}/merkle-root")
    assert response.json()["data"]["item_count"] == 1
    assert api_client.get("/api/public/merkle/circuits/nope/merkle-root").status_code == 404
