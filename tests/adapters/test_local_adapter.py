import hashlib
import json

import pytest

from adapters.backends import LocalStorageAdapter, StorageFailed, canonical_json_bytes
from adapters.cid import cid_v1_raw, cid_v1_raw_matches

RFC4648_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def cid_from_spec(data: bytes) -> str:
    """CIDv1 written out from the multiformats spec, with a hand-rolled base32 encoder."""
    digest = hashlib.sha256(data).digest()
    raw = bytes([0x01]) + bytes([0x55]) + bytes([0x12, len(digest)]) + digest
    bits = "".join(f"{byte:08b}" for byte in raw)
    bits += "0" * (-len(bits) % 5)
    return "b" + "".join(RFC4648_BASE32[int(bits[i : i + 5], 2)] for i in range(0, len(bits), 5))


def test_cid_of_known_content_matches_ipfs():
    # Known IPFS ids (`ipfs add --cid-version=1 --raw-leaves`).
    assert cid_v1_raw(b"hello world") == (
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    )
    assert cid_v1_raw(b"hello world\n") == (
        "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    )


@pytest.mark.parametrize("data", [b"", b"hello world\n", b"\x00\xff" * 1000, "ñandú".encode()])
def test_cid_agrees_with_an_independent_encoding(data):
    assert cid_v1_raw(data) == cid_from_spec(data)
    assert cid_v1_raw(data).startswith("bafkrei")
    assert cid_v1_raw_matches(cid_v1_raw(data), data)
    assert not cid_v1_raw_matches(cid_v1_raw(data), data + b"x")


def test_local_round_trip_by_cid(tmp_path):
    store = LocalStorageAdapter(tmp_path)
    location = store.store(b"hello world\n")
    assert location["Local"]["id"] == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    assert store.retrieve(location) == b"hello world\n"
    # The same bytes give the same id and one file.
    assert store.store(b"hello world\n") == location
    assert len([path for path in tmp_path.rglob("*") if path.is_file()]) == 1


def test_local_stores_dicts_as_canonical_json(tmp_path):
    store = LocalStorageAdapter(tmp_path)
    first = store.store({"b": 1, "a": [1, 2], "c": "ñ"})
    second = store.store({"c": "ñ", "a": [1, 2], "b": 1})
    assert first == second
    data = store.retrieve(first)
    assert json.loads(data) == {"a": [1, 2], "b": 1, "c": "ñ"}
    assert data == canonical_json_bytes({"a": [1, 2], "b": 1, "c": "ñ"})
    assert first["Local"]["id"] == cid_from_spec(data)


def test_local_read_refuses_altered_content(tmp_path):
    store = LocalStorageAdapter(tmp_path)
    location = store.store(b"original")
    store.path_for(location["Local"]["id"]).write_bytes(b"tampered")
    with pytest.raises(StorageFailed, match="does not match"):
        store.retrieve(location)


def test_local_read_of_unknown_or_malformed_id(tmp_path):
    store = LocalStorageAdapter(tmp_path)
    with pytest.raises(StorageFailed):
        store.retrieve({"Local": {"id": cid_v1_raw(b"never stored")}})
    with pytest.raises(StorageFailed):
        store.retrieve({"Local": {"id": "../../etc/passwd"}})
