"""Merkle roots and inclusion proofs of items (over their events) and circuits (over their
items), at the earlier engine's paths and in its shapes (``CONTRACT.md`` §8.17).

SHA-256 with RFC 6962's leaf/node domain separation and tree shape (``items.integrity.merkle``).
Nothing is stored: each answer is computed from the database. The private routes show what the
caller may see (others' items and circuits: 404); the ``/api/public/merkle`` ones only circuits
that anyone may read without a password and the items they publish."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from defarm.api.envelopes import success_data, success_with
from defarm.api.schema import data_envelope
from items.integrity import trees
from items.integrity.api import serializers
from items.integrity.merkle import InclusionProof
from items.integrity.verification import merkle_proof_verify

TAGS = ["merkle"]


def _proof(proof: InclusionProof) -> dict[str, Any]:
    return serializers.MerkleProofSerializer(proof).data


def _item_root(tree: trees.ItemTree) -> Response:
    answer = {
        "dfid": tree.dfid,
        "merkle_root": tree.merkle_root,
        "event_count": tree.event_count,
        "computed_at": timezone.now(),
    }
    return success_data(serializers.ItemRootSerializer(answer).data)


def _circuit_root(tree: trees.CircuitTree) -> Response:
    answer = {
        "circuit_id": tree.circuit_id,
        "merkle_root": tree.merkle_root,
        "item_count": len(tree.items),
        "items": tree.items,
        "computed_at": timezone.now(),
    }
    return success_data(serializers.CircuitRootSerializer(answer).data)


def _event_proof(tree: trees.ItemTree, event_id: str) -> Response:
    proof, leaf = tree.event_proof(event_id)
    return success_with(
        proof=_proof(proof), item_dfid=tree.dfid, event_id=leaf["event_id"], leaf=leaf
    )


def _item_proof(tree: trees.CircuitTree, dfid: str) -> Response:
    proof, leaf = tree.item_proof(dfid)
    return success_with(proof=_proof(proof), circuit_id=tree.circuit_id, item_dfid=dfid, leaf=leaf)


def _verify(request: Request) -> Response:
    body = serializers.VerifyProofSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    verdict = merkle_proof_verify(
        proof=body.validated_data["proof"],
        expected_root=body.validated_data["expected_root"],
        leaf=body.validated_data.get("leaf"),
    )
    answer = {"valid": verdict.valid, "message": verdict.message}
    if verdict.reason:
        answer["reason"] = verdict.reason
    return Response(answer)


ITEM_ROOT = data_envelope(serializers.ItemRootSerializer, name="MerkleItemRootEnvelope")
CIRCUIT_ROOT = data_envelope(serializers.CircuitRootSerializer, name="MerkleCircuitRootEnvelope")
ROOT_1 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
ROOT_7 = "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"
ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
PROOF_EXAMPLE = {
    "proof": {
        "leaf_hash": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "leaf_index": 4,
        "siblings": [
            {
                "hash": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                "position": "Left",
            }
        ],
        "root": "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "tree_size": 5,
    },
    "expected_root": "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
}
VERIFY_DESCRIPTION = """
Recomputes the root from the proof alone (leaf hash, sibling hashes and their sides; with
`tree_size`, the sides must be those of `leaf_index` in a tree of that size) and compares it
with `expected_root`. Nothing stored is read. Hashing: leaf `SHA-256(0x00 || data)`, node
`SHA-256(0x01 || left || right)` (RFC 6962). With `leaf` (a proof answer's document) the leaf
hash must also be that document's. A proof whose `root` is not `expected_root` was issued for
another tree: **400** `proof_for_another_tree`. A proof that does not lead to the root:
`valid: false` with a `reason`.
"""


# --- private ----------------------------------------------------------------------------------


class ItemMerkleRootView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Merkle root of an item's events",
        description="Over the item's events the caller sees, oldest first; each leaf is the "
        "canonical JSON of an event. The EPCIS events captured about the item's GS1 keys that "
        "the caller sees are leaves too, in time order: their leaf is the canonical JSON of "
        "`{dfid, event_id, event_type, event_time, record_time, epcis_event_hash}` (the "
        "standard's `ni:///sha-256;...?ver=CBV2.0` event hash). 404 when the caller does not "
        "see the item or it has no events.",
        responses=ITEM_ROOT,
    )
    def get(self, request: Request, dfid: str) -> Response:
        return _item_root(trees.item_tree_for_user(user=request.user, dfid=dfid))


class ItemEventProofView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Inclusion proof of an event in its item's tree",
        description="`event_id`: a DeFarm event id, or a captured EPCIS event's `eventID` "
        "(URL-encoded). 404 `event_not_in_tree` for an event that is not a leaf of this "
        "item's tree (another item's event, or one the caller does not see).",
        responses=serializers.EventProofAnswerSerializer,
    )
    def get(self, request: Request, dfid: str, event_id: str) -> Response:
        return _event_proof(trees.item_tree_for_user(user=request.user, dfid=dfid), event_id)


class CircuitMerkleRootView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Merkle root of a circuit's items",
        description="One leaf per item with events, in DFID order: the canonical JSON of "
        "{dfid, merkle_root, event_count}, the item's root over the events the circuit shows "
        "its members. Members only (others: 404).",
        responses=CIRCUIT_ROOT,
    )
    def get(self, request: Request, circuit_id: str) -> Response:
        return _circuit_root(
            trees.circuit_tree_for_member(user=request.user, circuit_id=circuit_id)
        )


class CircuitItemProofView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Inclusion proof of an item in its circuit's tree",
        responses=serializers.ItemProofAnswerSerializer,
    )
    def get(self, request: Request, circuit_id: str, dfid: str) -> Response:
        tree = trees.circuit_tree_for_member(user=request.user, circuit_id=circuit_id)
        return _item_proof(tree, dfid)


class CircuitSyncCheckView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Compare a remote circuit state with DeFarm's",
        description="In sync when `remote_root` is the circuit's root as DeFarm computes it now "
        "(answered as `local_root`; the `local_root` sent is accepted and not trusted). With "
        "`remote_items`, the items only here, only there, and with another root.",
        request=serializers.SyncCheckSerializer,
        responses=serializers.SyncCheckAnswerSerializer,
        examples=[
            OpenApiExample(
                "Compare",
                value={
                    "local_root": ROOT_8,
                    "remote_root": ROOT_7,
                    "remote_items": [
                        {
                            "dfid": "DFID-20240926-000001-2488",
                            "merkle_root": ROOT_1,
                            "event_count": 1,
                        }
                    ],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, circuit_id: str) -> Response:
        body = serializers.SyncCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tree = trees.circuit_tree_for_member(user=request.user, circuit_id=circuit_id)
        comparison = trees.circuit_sync_compare(
            tree=tree,
            remote_root=body.validated_data["remote_root"],
            remote_items=body.validated_data.get("remote_items"),
        )
        answer: dict[str, Any] = {
            "in_sync": comparison.in_sync,
            "local_root": comparison.local_root,
            "remote_root": comparison.remote_root,
            "message": "States are identical"
            if comparison.in_sync
            else f"States differ - {len(comparison.differing_items)} items affected",
        }
        for key in ("differing_items", "local_only", "remote_only", "modified"):
            if getattr(comparison, key):
                answer[key] = list(getattr(comparison, key))
        return Response(answer)


class VerifyProofView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Verify a Merkle inclusion proof",
        description=VERIFY_DESCRIPTION,
        request=serializers.VerifyProofSerializer,
        responses=serializers.VerifyProofAnswerSerializer,
        examples=[OpenApiExample("Proof", value=PROOF_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        return _verify(request)


# --- public -----------------------------------------------------------------------------------


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class PublicItemMerkleRootView(PublicView):
    @extend_schema(
        tags=TAGS,
        summary="Merkle root of a published item's public events",
        description="For an item published by a circuit anyone may read without a password; "
        "over its Public events those circuits show. 404 otherwise.",
        responses=ITEM_ROOT,
    )
    def get(self, request: Request, dfid: str) -> Response:
        return _item_root(trees.public_item_tree(dfid=dfid))


class PublicItemEventProofView(PublicView):
    @extend_schema(
        tags=TAGS,
        summary="Inclusion proof of a public event in a published item's tree",
        responses=serializers.EventProofAnswerSerializer,
    )
    def get(self, request: Request, dfid: str, event_id: str) -> Response:
        return _event_proof(trees.public_item_tree(dfid=dfid), event_id)


class PublicCircuitMerkleRootView(PublicView):
    @extend_schema(
        tags=TAGS,
        summary="Merkle root of a public circuit's published items",
        description="For a circuit anyone may read without a password (public, or scheduled "
        "from its date on): over its published items and their Public events. 404 "
        "`circuit_not_public` otherwise.",
        responses=CIRCUIT_ROOT,
    )
    def get(self, request: Request, circuit_id: str) -> Response:
        return _circuit_root(trees.public_circuit_tree(circuit_id=circuit_id))


class PublicCircuitItemProofView(PublicView):
    @extend_schema(
        tags=TAGS,
        summary="Inclusion proof of a published item in a public circuit's tree",
        responses=serializers.ItemProofAnswerSerializer,
    )
    def get(self, request: Request, circuit_id: str, dfid: str) -> Response:
        return _item_proof(trees.public_circuit_tree(circuit_id=circuit_id), dfid)


class PublicVerifyProofView(PublicView):
    @extend_schema(
        tags=TAGS,
        summary="Verify a Merkle inclusion proof (no sign-in)",
        description=VERIFY_DESCRIPTION,
        request=serializers.VerifyProofSerializer,
        responses=serializers.VerifyProofAnswerSerializer,
        examples=[OpenApiExample("Proof", value=PROOF_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        return _verify(request)
