"""Checking a Merkle inclusion proof from what the caller sends alone: nothing stored is
read, so a verifier needs to trust neither DeFarm nor the party that handed it the proof, only
the root it compares against."""

from dataclasses import dataclass
from typing import Any

from defarm.api.exceptions import ApiError
from items.integrity.merkle import canonical_json, leaf_hash, proof_is_valid

VALID_MESSAGE = "Proof is valid - leaf exists in tree with expected root"
INVALID_MESSAGE = "Proof is invalid - verification failed"


@dataclass(frozen=True)
class ProofVerdict:
    valid: bool
    message: str
    reason: str | None = None


def merkle_proof_verify(
    *, proof: dict[str, Any], expected_root: str, leaf: Any = None
) -> ProofVerdict:
    """Whether ``proof`` (``leaf_hash``, ``leaf_index``, ``siblings``, ``root``, optional
    ``tree_size``) shows its leaf in the tree whose root is ``expected_root``.

    A proof issued for another tree (its ``root`` is not ``expected_root``) is an error (400
    ``proof_for_another_tree``), not a verdict. With ``leaf`` (the JSON document a leaf of
    DeFarm's trees commits to) the leaf hash must also be that document's."""
    expected = expected_root.lower()
    if proof["root"].lower() != expected:
        raise ApiError(
            "The proof was issued for another tree: its root is not the expected root.",
            code="proof_for_another_tree",
            details={"proof_root": proof["root"].lower(), "expected_root": expected},
        )
    if leaf is not None and leaf_hash(canonical_json(leaf)).hex() != proof["leaf_hash"].lower():
        return ProofVerdict(False, INVALID_MESSAGE, "The leaf hash is not the given leaf's.")
    valid = proof_is_valid(
        leaf_hash_hex=proof["leaf_hash"].lower(),
        siblings=[(sibling["hash"].lower(), sibling["position"]) for sibling in proof["siblings"]],
        expected_root=expected,
        leaf_index=proof["leaf_index"],
        tree_size=proof.get("tree_size"),
    )
    if valid:
        return ProofVerdict(True, VALID_MESSAGE)
    return ProofVerdict(False, INVALID_MESSAGE, "The path does not lead to the expected root.")
