"""Merkle hash trees as RFC 6962 (Certificate Transparency) defines them, with SHA-256.

A leaf's hash is ``SHA-256(0x00 || data)`` and an inner node's ``SHA-256(0x01 || left ||
right)``: the two prefixes keep a leaf from ever being taken for an inner node (a second
preimage). A tree of ``n`` leaves splits at ``k``, the largest power of two below ``n``: the left
subtree holds the first ``k`` leaves, the right one the rest (RFC 6962 §2.1), so no leaf is
duplicated or padded. An inclusion proof is the audit path of §2.1.1, each sibling hash labelled
with its side so that a verifier needs nothing else to recompute the root.

Pure functions: no database, no Django.
"""

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_HEX_LENGTH = 64
ALGORITHM = "sha256-rfc6962"

Position = Literal["Left", "Right"]


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value that is hashed: keys sorted, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def root_of_hashes(hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash over leaves whose leaf hashes are ``hashes`` (the empty tree's
    root is SHA-256 of nothing)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(root_of_hashes(hashes[:k]), root_of_hashes(hashes[k:]))


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 over the leaves' data."""
    return root_of_hashes([leaf_hash(data) for data in leaves])


def audit_path(hashes: Sequence[bytes], index: int) -> list[tuple[bytes, Position]]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1, from the leaf up, each sibling with its side."""
    if not 0 <= index < len(hashes):
        raise IndexError(f"Leaf index {index} is outside a tree of {len(hashes)} leaves.")
    if len(hashes) == 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return [*audit_path(hashes[:k], index), (root_of_hashes(hashes[k:]), "Right")]
    return [*audit_path(hashes[k:], index - k), (root_of_hashes(hashes[:k]), "Left")]


def path_positions(index: int, size: int) -> list[Position]:
    """The sides of the siblings on the path of leaf ``index`` in a tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise IndexError(f"Leaf index {index} is outside a tree of {size} leaves.")
    if size == 1:
        return []
    k = _split(size)
    if index < k:
        return [*path_positions(index, k), "Right"]
    return [*path_positions(index - k, size - k), "Left"]


@dataclass(frozen=True)
class Sibling:
    hash: str
    position: Position


@dataclass(frozen=True)
class InclusionProof:
    """That the leaf ``leaf_hash`` is the ``leaf_index``-th of the ``tree_size`` leaves of the
    tree whose root is ``root`` (hashes as lower-case hex)."""

    leaf_hash: str
    leaf_index: int
    siblings: tuple[Sibling, ...]
    root: str
    tree_size: int


@dataclass(frozen=True)
class MerkleTree:
    """A tree built over leaves given as data; ``leaf_hashes[i]`` is leaf ``i``'s hash."""

    leaf_hashes: tuple[bytes, ...]

    @classmethod
    def from_leaves(cls, leaves: Sequence[bytes]) -> "MerkleTree":
        return cls(tuple(leaf_hash(data) for data in leaves))

    @property
    def size(self) -> int:
        return len(self.leaf_hashes)

    @property
    def root(self) -> str:
        return root_of_hashes(self.leaf_hashes).hex()

    def proof(self, index: int) -> InclusionProof:
        path = audit_path(self.leaf_hashes, index)
        return InclusionProof(
            leaf_hash=self.leaf_hashes[index].hex(),
            leaf_index=index,
            siblings=tuple(Sibling(hash=node.hex(), position=side) for node, side in path),
            root=self.root,
            tree_size=self.size,
        )


def _hash_bytes(value: str) -> bytes:
    if len(value) != HASH_HEX_LENGTH:
        raise ValueError(f"{value!r} is not a SHA-256 hash (64 hexadecimal characters).")
    return bytes.fromhex(value)


def root_from_proof(*, leaf_hash_hex: str, siblings: Sequence[tuple[str, Position]]) -> str:
    """The root the audit path leads to from the leaf; ValueError on a malformed hash."""
    current = _hash_bytes(leaf_hash_hex)
    for sibling_hex, position in siblings:
        sibling = _hash_bytes(sibling_hex)
        if position == "Left":
            current = node_hash(sibling, current)
        elif position == "Right":
            current = node_hash(current, sibling)
        else:
            raise ValueError(f"{position!r} is not a sibling position (Left or Right).")
    return current.hex()


def proof_is_valid(
    *,
    leaf_hash_hex: str,
    siblings: Sequence[tuple[str, Position]],
    expected_root: str,
    leaf_index: int | None = None,
    tree_size: int | None = None,
) -> bool:
    """Whether the path leads from the leaf to ``expected_root``; with ``leaf_index`` and
    ``tree_size`` also whether the sides are those of that leaf in a tree of that size.
    Computed from the arguments alone."""
    if leaf_index is not None and tree_size is not None:
        try:
            expected_sides = path_positions(leaf_index, tree_size)
        except IndexError:
            return False
        if expected_sides != [position for _, position in siblings]:
            return False
    computed = root_from_proof(leaf_hash_hex=leaf_hash_hex, siblings=siblings)
    return hmac.compare_digest(computed, _hash_bytes(expected_root).hex())
