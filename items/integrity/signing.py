"""The Ed25519 key that signs attestations, and verification with a public key alone.

In production the key is ``ATTESTATION_SIGNING_KEY``: the base64 of a 32-byte Ed25519 seed
(``python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"``). Without
it DeFarm does not start, as with its other secrets. In development (``DEBUG``) a key is
generated once and kept in ``DEFARM_DATA_DIR/attestation_signing_key``; the test suite uses a
key of its own process.

The public key is served at ``/.well-known/defarm-attestation-key``; anyone can check a
signature with it, without DeFarm.
"""

import base64
import binascii
import hashlib
import os
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SEED_BYTES = 32
ALGORITHM = "Ed25519"
DEVELOPMENT_KEY_FILE = "attestation_signing_key"


def _seed_from_base64(value: str) -> bytes:
    try:
        seed = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured("ATTESTATION_SIGNING_KEY is not valid base64.") from error
    if len(seed) != SEED_BYTES:
        raise ImproperlyConfigured(
            f"ATTESTATION_SIGNING_KEY must be the base64 of {SEED_BYTES} bytes, not {len(seed)}."
        )
    return seed


def _development_seed() -> bytes:
    """A key kept in the data directory across restarts (development only)."""
    path = settings.DATA_DIR / DEVELOPMENT_KEY_FILE
    if path.exists():
        return _seed_from_base64(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = os.urandom(SEED_BYTES)
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(seed).decode())
    try:
        # Atomic: of several processes starting together, the first link wins and every
        # process then reads that key.
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return _seed_from_base64(path.read_text().strip())


@cache
def signing_key() -> Ed25519PrivateKey:
    configured = settings.ATTESTATION_SIGNING_KEY
    if configured:
        return Ed25519PrivateKey.from_private_bytes(_seed_from_base64(configured))
    if settings.TESTING:
        return Ed25519PrivateKey.generate()
    if settings.DEBUG:
        return Ed25519PrivateKey.from_private_bytes(_development_seed())
    raise ImproperlyConfigured("ATTESTATION_SIGNING_KEY is not set.")


def public_key_bytes() -> bytes:
    return signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_base64() -> str:
    return base64.b64encode(public_key_bytes()).decode()


def public_key_pem() -> str:
    return (
        signing_key()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def key_id_of(public_key: bytes) -> str:
    """A short name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def key_id() -> str:
    return key_id_of(public_key_bytes())


def sign(message: bytes) -> str:
    """The base64 Ed25519 signature of ``message``."""
    return base64.b64encode(signing_key().sign(message)).decode()


def signature_is_valid(*, public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    """Whether ``signature_b64`` signs ``message`` under the raw Ed25519 public key
    ``public_key_b64``; False for a malformed key or signature."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(public_key_b64, validate=True)
        )
        public_key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
