"""The Merkle module against RFC 6962's reference tree: the eight test leaves of the Certificate
Transparency reference implementation and the roots of their first 1..8 leaves, plus two of
its published inclusion proofs."""

import hashlib

import pytest

from items.integrity import merkle

CT_LEAVES = [
    bytes.fromhex(value)
    for value in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Inclusion proofs in the 8-leaf tree (leaf index -> audit path), from the same test data.
CT_PATHS = {
    0: [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    5: [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}


def test_empty_tree_root_is_sha256_of_nothing():
    assert merkle.merkle_root([]).hex() == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_tree(size):
    assert merkle.merkle_root(CT_LEAVES[:size]).hex() == CT_ROOTS[size - 1]
    assert merkle.MerkleTree.from_leaves(CT_LEAVES[:size]).root == CT_ROOTS[size - 1]


@pytest.mark.parametrize("index", sorted(CT_PATHS))
def test_audit_paths_match_the_reference_proofs(index):
    proof = merkle.MerkleTree.from_leaves(CT_LEAVES).proof(index)
    assert [sibling.hash for sibling in proof.siblings] == CT_PATHS[index]
    assert proof.root == CT_ROOTS[7]
    assert proof.tree_size == 8


def test_leaf_and_node_hashes_are_domain_separated():
    data = b"\x01" + bytes(64)
    assert merkle.leaf_hash(data) != merkle.node_hash(bytes(32), bytes(32))
    assert merkle.leaf_hash(b"") == bytes.fromhex(CT_ROOTS[0])


@pytest.mark.parametrize("size", range(1, 9))
def test_every_proof_of_every_size_verifies_from_its_arguments(size):
    tree = merkle.MerkleTree.from_leaves(CT_LEAVES[:size])
    for index in range(size):
        proof = tree.proof(index)
        siblings = [(s.hash, s.position) for s in proof.siblings]
        assert merkle.proof_is_valid(
            leaf_hash_hex=proof.leaf_hash,
            siblings=siblings,
            expected_root=CT_ROOTS[size - 1],
            leaf_index=index,
            tree_size=size,
        )
        assert [s.position for s in proof.siblings] == merkle.path_positions(index, size)


def test_non_power_of_two_tree_promotes_the_last_leaf_without_padding():
    # RFC 6962: five leaves split 4 + 1; the fifth leaf's path is a single sibling, the root
    # of the first four.
    proof = merkle.MerkleTree.from_leaves(CT_LEAVES[:5]).proof(4)
    assert [(s.hash, s.position) for s in proof.siblings] == [(CT_ROOTS[3], "Left")]


def test_tampered_proofs_fail():
    tree = merkle.MerkleTree.from_leaves(CT_LEAVES)
    proof = tree.proof(5)
    siblings = [(s.hash, s.position) for s in proof.siblings]
    good = {"leaf_hash_hex": proof.leaf_hash, "siblings": siblings, "expected_root": tree.root}
    assert merkle.proof_is_valid(**good)
    flipped = [(siblings[0][0], "Right"), *siblings[1:]]
    assert not merkle.proof_is_valid(**{**good, "siblings": flipped})
    other_leaf = merkle.leaf_hash(b"not in the tree").hex()
    assert not merkle.proof_is_valid(**{**good, "leaf_hash_hex": other_leaf})
    assert not merkle.proof_is_valid(**{**good, "expected_root": CT_ROOTS[6]})
    # the right path but claimed for another position or tree size
    assert not merkle.proof_is_valid(**good, leaf_index=4, tree_size=8)
    assert not merkle.proof_is_valid(**good, leaf_index=5, tree_size=6)
    assert not merkle.proof_is_valid(**good, leaf_index=9, tree_size=8)


def test_malformed_hashes_are_refused():
    with pytest.raises(ValueError):
        merkle.root_from_proof(leaf_hash_hex="zz" * 32, siblings=[])
    with pytest.raises(ValueError):
        merkle.root_from_proof(leaf_hash_hex=CT_ROOTS[0], siblings=[("ab", "Left")])
    with pytest.raises(ValueError):
        merkle.root_from_proof(leaf_hash_hex=CT_ROOTS[0], siblings=[(CT_ROOTS[1], "Up")])


def test_canonical_json_is_key_order_independent():
    assert merkle.canonical_json({"b": 1, "a": "é"}) == merkle.canonical_json({"a": "é", "b": 1})
    assert merkle.canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
