"""Writes of attestations: submit (evaluate, commit, sign, store), verify, delete."""

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from items.integrity import signing
from items.integrity.claims import TEMPLATES, claim_evaluate
from items.integrity.merkle import canonical_json
from items.integrity.models import Attestation, AttestationStatus

STATEMENT_VERSION = "defarm-attestation/1"
COMMITMENT_SCHEME = "sha256(salt || canonical_json(value))"
SALT_BYTES = 32


def commitment_of(*, salt: bytes, value: Any) -> str:
    """The commitment to one private input: SHA-256 of its 32-byte salt followed by the
    canonical JSON of its value, in hex."""
    return hashlib.sha256(salt + canonical_json(value)).hexdigest()


def statement_bytes(statement: dict[str, Any]) -> bytes:
    """What the signature covers: the statement's canonical JSON."""
    return canonical_json(statement)


@dataclass(frozen=True)
class Submitted:
    attestation: Attestation
    openings: dict[str, str]  # private input name -> salt (hex), given to the submitter once


@transaction.atomic
def attestation_submit(
    *,
    user: User,
    claim_type: str,
    public_inputs: dict[str, Any],
    private_inputs: dict[str, Any],
) -> Submitted:
    """Evaluate the claim on the inputs, commit to each private input with a fresh salt, sign
    the statement and store it. The private values and their salts are never stored."""
    now = timezone.now()
    evaluation = claim_evaluate(
        claim_type=claim_type,
        public_inputs=public_inputs,
        private_inputs=private_inputs,
        user=user,
        now=now,
    )
    salts = {name: os.urandom(SALT_BYTES) for name in sorted(private_inputs)}
    commitments = {
        name: commitment_of(salt=salt, value=private_inputs[name]) for name, salt in salts.items()
    }
    attestation = Attestation(prover=user, claim_type=claim_type, created_at=now)
    statement = {
        "version": STATEMENT_VERSION,
        "attestation_id": str(attestation.attestation_id),
        "issuer": "DeFarm",
        "key_id": signing.key_id(),
        "signature_algorithm": signing.ALGORITHM,
        "subject": user.pk,
        "claim_type": claim_type,
        "predicate": TEMPLATES[claim_type].predicate,
        "claim": evaluation.claim,
        "result": True,
        "public_inputs": public_inputs,
        "commitments": commitments,
        "commitment_scheme": COMMITMENT_SCHEME,
        "issued_at": now.isoformat().replace("+00:00", "Z"),
        "valid_until": (
            evaluation.valid_until.isoformat().replace("+00:00", "Z")
            if evaluation.valid_until
            else None
        ),
    }
    attestation.statement = statement
    attestation.signature = signing.sign(statement_bytes(statement))
    attestation.key_id = statement["key_id"]
    attestation.valid_until = evaluation.valid_until
    attestation.save(force_insert=True)
    return Submitted(attestation, {name: salt.hex() for name, salt in salts.items()})


@dataclass(frozen=True)
class Verification:
    is_valid: bool
    signature_valid: bool
    expired: bool
    openings_valid: dict[str, bool]
    verified_at: Any
    reason: str | None


def _openings_check(
    statement: dict[str, Any], openings: dict[str, dict[str, Any]]
) -> dict[str, bool]:
    commitments = statement.get("commitments") or {}
    checked = {}
    for name, opening in openings.items():
        try:
            salt = bytes.fromhex(str(opening.get("salt", "")))
        except ValueError:
            checked[name] = False
            continue
        checked[name] = (
            name in commitments
            and commitment_of(salt=salt, value=opening.get("value")) == commitments[name]
        )
    return checked


@transaction.atomic
def attestation_verify(
    *,
    attestation: Attestation,
    verification_key: str | None = None,
    openings: dict[str, dict[str, Any]] | None = None,
) -> Verification:
    """Check the stored statement's signature with DeFarm's public key (or the base64 key
    given), and each opening given against its commitment; a check under DeFarm's key records
    the outcome (Verified or Failed). Valid: signature right, not expired, every opening right."""
    attestation = Attestation.objects.select_for_update().get(pk=attestation.pk)
    public_key = verification_key or signing.public_key_base64()
    signature_valid = signing.signature_is_valid(
        public_key_b64=public_key,
        message=statement_bytes(attestation.statement),
        signature_b64=attestation.signature,
    )
    now = timezone.now()
    expired = attestation.valid_until is not None and attestation.valid_until < now
    openings_valid = _openings_check(attestation.statement, openings or {})
    reason = None
    if not signature_valid:
        reason = "The signature does not match the statement under this public key."
    elif expired:
        reason = "The attestation expired."
    elif not all(openings_valid.values()):
        reason = "An opening does not match its commitment."
    if verification_key is None or verification_key == signing.public_key_base64():
        # Only a check under DeFarm's own key changes the recorded status.
        attestation.status = (
            AttestationStatus.VERIFIED if signature_valid else AttestationStatus.FAILED
        )
        attestation.verification_result = signature_valid
        attestation.verified_at = now
        attestation.save(
            update_fields=["status", "verification_result", "verified_at", "updated_at"]
        )
    return Verification(
        is_valid=reason is None,
        signature_valid=signature_valid,
        expired=expired,
        openings_valid=openings_valid,
        verified_at=now,
        reason=reason,
    )


@transaction.atomic
def attestation_delete(*, attestation: Attestation) -> None:
    attestation.delete()
