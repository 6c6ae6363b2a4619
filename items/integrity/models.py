import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class ClaimType(models.TextChoices):
    """What an attestation states (the earlier engine's "circuit types" of its proofs)."""

    ORGANIC_CERTIFICATION = "organic_certification", "OrganicCertification"
    PESTICIDE_THRESHOLD = "pesticide_threshold", "PesticideThreshold"
    QUALITY_GRADE = "quality_grade", "QualityGrade"
    OWNERSHIP_PROOF = "ownership_proof", "OwnershipProof"
    TIMESTAMP_FRESHNESS = "timestamp_freshness", "TimestampFreshness"


class AttestationStatus(models.TextChoices):
    PENDING = "Pending"  # signed, its signature not checked since
    VERIFIED = "Verified"  # its signature checked against DeFarm's key
    FAILED = "Failed"  # its signature did not check (altered row, or another key)


class Attestation(models.Model):
    """A claim DeFarm evaluated and signed (Ed25519) for the user who submitted it.

    The private inputs are never stored: only their salted SHA-256 commitments, inside the
    signed ``statement``. ``statement`` is the signed document; the signature covers its
    canonical JSON (keys sorted, no whitespace, UTF-8). Not a zero-knowledge proof: DeFarm saw
    the private inputs when it evaluated the claim, and vouches for the result with its key.
    """

    attestation_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    prover = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="prover_id",
        on_delete=models.CASCADE,
        related_name="attestations",
    )
    claim_type = models.CharField(max_length=64, choices=ClaimType.choices)
    statement = models.JSONField()
    signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=32)
    status = models.CharField(
        max_length=16, choices=AttestationStatus.choices, default=AttestationStatus.PENDING
    )
    verification_result = models.BooleanField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "attestations"
        ordering = ["-created_at", "attestation_id"]
        indexes = [
            models.Index(fields=["prover", "-created_at"], name="attestations_prover_idx"),
            models.Index(fields=["claim_type"], name="attestations_claim_type_idx"),
            models.Index(fields=["status"], name="attestations_status_idx"),
            models.Index(fields=["-created_at"], name="attestations_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_claim_type_display()} {self.attestation_id}"
