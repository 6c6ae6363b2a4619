"""Content identifiers: the CIDv1 an IPFS node gives a single raw block of bytes.

CIDv1 = multibase(base32 lower-case, prefix ``b``) of
``<version 1><codec raw 0x55><multihash: sha2-256 0x12, length 0x20, digest>``.
"""

import base64
import hashlib

CID_VERSION_1 = 0x01
CODEC_RAW = 0x55
MULTIHASH_SHA2_256 = 0x12
SHA2_256_LENGTH = 0x20
MULTIBASE_BASE32_LOWER = "b"

_RAW_SHA256_PREFIX = bytes([CID_VERSION_1, CODEC_RAW, MULTIHASH_SHA2_256, SHA2_256_LENGTH])


def cid_v1_raw(data: bytes) -> str:
    """The CIDv1 (raw codec, sha2-256, base32) of ``data``, e.g. ``bafkrei...``."""
    digest = hashlib.sha256(data).digest()
    encoded = base64.b32encode(_RAW_SHA256_PREFIX + digest).decode("ascii")
    return MULTIBASE_BASE32_LOWER + encoded.lower().rstrip("=")


def cid_v1_raw_digest(cid: str) -> bytes:
    """The sha2-256 digest a raw CIDv1 names; ValueError when ``cid`` is not one."""
    if not cid.startswith(MULTIBASE_BASE32_LOWER):
        raise ValueError(f"{cid!r} is not a base32 CIDv1.")
    body = cid[1:].upper()
    try:
        decoded = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError as error:
        raise ValueError(f"{cid!r} is not valid base32.") from error
    if len(decoded) != len(_RAW_SHA256_PREFIX) + SHA2_256_LENGTH or not decoded.startswith(
        _RAW_SHA256_PREFIX
    ):
        raise ValueError(f"{cid!r} is not a raw sha2-256 CIDv1.")
    return decoded[len(_RAW_SHA256_PREFIX) :]


def cid_v1_raw_matches(cid: str, data: bytes) -> bool:
    try:
        return cid_v1_raw_digest(cid) == hashlib.sha256(data).digest()
    except ValueError:
        return False
