"""End to end through the API, as a registered user: an item is created, enriched and pushed into
a circuit (the local adapter, and a real IPFS node), its snapshots form hash chains whose bytes,
retrieved by CID, hash back to those CIDs; the Merkle proof of one of its events is checked by a
verifier holding only the root, and an attestation about it with only the public key. Every check
of the outside verifier below uses ``hashlib``/``base64``/``cryptography`` alone, none of
DeFarm's code."""

import base64
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from adapters.models import AdapterConfig
from adapters.selectors import local_store_root
from tests.items.factories import canonical

pytestmark = pytest.mark.django_db


# --- the outside verifier -----------------------------------------------------------------------


def cid_of(data: bytes) -> str:
    """CIDv1, raw codec, SHA-256, base32 multibase: ``b`` + base32(0x01 0x55 0x12 0x20 digest)."""
    prefix = bytes([0x01, 0x55, 0x12, 0x20])
    encoded = base64.b32encode(prefix + hashlib.sha256(data).digest()).decode()
    return "b" + encoded.lower().rstrip("=")


def merkle_root_from(leaf_document: dict, siblings: list[dict]) -> str:
    """The root an RFC 6962 inclusion path leads to: leaf = H(0x00 || leaf), node = H(0x01 ||
    left || right)."""
    data = json.dumps(leaf_document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    current = hashlib.sha256(b"\x00" + data.encode()).digest()
    for sibling in siblings:
        other = bytes.fromhex(sibling["hash"])
        pair = other + current if sibling["position"] == "Left" else current + other
        current = hashlib.sha256(b"\x01" + pair).digest()
    return current.hex()


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- the flow -----------------------------------------------------------------------------------


@pytest.fixture(
    params=["local", pytest.param("ipfs-ipfs", marks=pytest.mark.ipfs, id="ipfs-node")],
    ids=lambda adapter: adapter,
)
def adapter(request, settings, tmp_path):
    """The circuit's adapter type, and the IPFS node behind it (None for local storage)."""
    settings.DATA_DIR = tmp_path / "data"  # local storage of this test only
    node = None
    if request.param == "ipfs-ipfs":
        node = request.getfixturevalue("ipfs_node")
        # The operator's configuration of the node (staff, not the user of this flow).
        AdapterConfig.objects.create(
            name="e2e node",
            adapter_type="ipfs-ipfs",
            connection_details={"endpoint": node.endpoint},
            is_default=True,
            created_by="staff",
        )
    return request.param, node


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def test_item_to_verified_proofs(
    adapter, auth_client, api_client, user, django_capture_on_commit_callbacks
):
    adapter_type, node = adapter
    # An item is created and enriched.
    item = ok(
        auth_client.post(
            "/api/items",
            {"identifiers": [canonical()], "enriched_data": {"breed": "Nelore"}},
            format="json",
        )
    )
    dfid = item["dfid"]
    with django_capture_on_commit_callbacks(execute=True):
        enriched = ok(
            auth_client.put(
                f"/api/items/{dfid}", {"enriched_data": {"weight_kg": 412.5}}, format="json"
            )
        )
    assert enriched["enriched_data"] == {"breed": "Nelore", "weight_kg": 412.5}

    # A circuit on the adapter; the item is pushed into it, then snapshotted there on demand.
    circuit = ok(
        auth_client.post(
            "/api/circuits",
            {"name": f"E2E {adapter_type}", "adapter_config": {"adapter_type": adapter_type}},
            format="json",
        )
    )
    circuit_id = circuit["circuit_id"]
    with django_capture_on_commit_callbacks(execute=True):
        ok(auth_client.post(f"/api/circuits/{circuit_id}/push/{dfid}"))
    with django_capture_on_commit_callbacks(execute=True):
        ok(
            auth_client.post(
                f"/items/{dfid}/snapshots", {"circuit_id": circuit_id, "message": "sale"}
            ),
            202,
        )

    # The item's snapshots: chained by the previous CID, each one's bytes hash back to its CID.
    snapshots = ok(auth_client.get(f"/items/{dfid}/snapshots"))["data"]["snapshots"]
    chains: dict[str | None, list[dict]] = {}
    for snapshot in snapshots:
        chains.setdefault(snapshot["circuit_id"], []).append(snapshot)
    in_circuit = chains[circuit_id]
    assert [s["operation"] for s in in_circuit] == ["ItemPushedToCircuit", "Requested"]
    assert "ItemEnriched" in [s["operation"] for s in chains[None]]
    documents = {}
    for chain in chains.values():
        previous = None
        for snapshot in sorted(chain, key=lambda s: s["version"]):
            assert snapshot["previous_cid"] == previous
            content = auth_client.get(f"/api/content/{snapshot['cid']}")
            assert content.status_code == 200, content.content
            assert cid_of(content.content) == snapshot["cid"] == content["X-Content-CID"]
            document = json.loads(content.content)
            assert document["previous_cid"] == previous  # the link is inside the hashed bytes
            assert document["entity_id"] == dfid
            documents[snapshot["cid"]] = document
            previous = snapshot["cid"]
    pushed_document = documents[in_circuit[0]["cid"]]
    assert pushed_document["circuit_id"] == circuit_id
    assert "weight_kg" in json.dumps(pushed_document)
    if node is not None:  # the node itself serves the same bytes under that CID
        for snapshot in in_circuit:
            assert cid_of(node.call("cat", arg=snapshot["cid"])) == snapshot["cid"]
    # The circuit's own chain too.
    circuit_snapshots = ok(auth_client.get(f"/circuits/{circuit_id}/snapshots"))["data"]
    assert circuit_snapshots["total_snapshots"] >= 1
    for snapshot in circuit_snapshots["snapshots"]:
        content = auth_client.get(f"/api/content/{snapshot['cid']}")
        assert content.status_code == 200 and cid_of(content.content) == snapshot["cid"]

    # The Merkle root over the item's events and a proof of one, checked with the root alone.
    root = ok(auth_client.get(f"/api/merkle/items/{dfid}/merkle-root"))["data"]
    events = ok(auth_client.get(f"/api/events/item/{dfid}"))
    enrichment = next(e for e in events if e["event_type"] == "Enriched")
    proof = ok(auth_client.get(f"/api/merkle/items/{dfid}/merkle-proof/{enrichment['event_id']}"))
    assert proof["leaf"]["event_id"] == enrichment["event_id"]
    assert merkle_root_from(proof["leaf"], proof["proof"]["siblings"]) == root["merkle_root"]
    forged = dict(proof["leaf"], metadata={"forged": True})
    assert merkle_root_from(forged, proof["proof"]["siblings"]) != root["merkle_root"]

    # A proof checked against another tree's root fails, here and on the server.
    other = ok(auth_client.post("/api/items", {"identifiers": [canonical()]}, format="json"))
    other_root = ok(auth_client.get(f"/api/merkle/items/{other['dfid']}/merkle-root"))["data"]
    assert other_root["merkle_root"] != root["merkle_root"]
    assert merkle_root_from(proof["leaf"], proof["proof"]["siblings"]) != other_root["merkle_root"]
    refused = auth_client.post(
        "/api/merkle/verify-proof",
        {"proof": proof["proof"], "expected_root": other_root["merkle_root"]},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["success"] is False
    assert refused.json()["error"] == "proof_for_another_tree"

    # An attestation about the item, checked with only the published public key.
    submitted = ok(
        auth_client.post(
            "/api/proofs/submit",
            {
                "circuit_type": "ownership_proof",
                "circuit_input": {
                    "asset_id": dfid,
                    "ownership_date": "2024-01-01",
                    "jurisdiction": "BR-MT",
                },
                "private_inputs": {"title_deed_hash": "d33d", "registration_number": "MT-77"},
            },
            format="json",
        )
    )
    stored = ok(auth_client.get(f"/api/proofs/{submitted['proof_id']}"))["proof"]
    key_document = ok(api_client.get("/.well-known/defarm-attestation-key"))
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_document["public_key"]))
    statement, signature = stored["statement"], base64.b64decode(stored["proof_data"])
    assert statement["public_inputs"]["asset_id"] == dfid
    assert statement["subject"] == user.pk
    key.verify(signature, canonical_json(statement))  # raises when it does not check
    with pytest.raises(InvalidSignature):
        key.verify(signature, canonical_json(dict(statement, subject="someone-else")))
    commitment = statement["commitments"]["registration_number"]
    salt = bytes.fromhex(submitted["openings"]["registration_number"])
    assert hashlib.sha256(salt + canonical_json("MT-77")).hexdigest() == commitment

    # A tampered stored blob is refused by content retrieval (local storage is a file).
    if adapter_type == "local":
        cid = in_circuit[0]["cid"]
        path = local_store_root() / cid[-2:] / cid
        path.write_bytes(path.read_bytes().replace(b"412.5", b"512.5"))
        tampered = auth_client.get(f"/api/content/{cid}")
        assert tampered.status_code == 502
        body = tampered.json()
        assert body["success"] is False and "does not match" in body["message"], body
        assert body["error"] == "content_integrity_failed"
        assert b"512.5" not in tampered.content
