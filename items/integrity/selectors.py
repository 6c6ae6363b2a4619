"""Reads of attestations, limited to what the caller may see: their own (staff: all)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from rest_framework import exceptions

from accounts.models import User
from items.integrity.models import Attestation, AttestationStatus

EFFECTIVE_STATUSES = ("pending", "verified", "failed", "expired")


def attestations_visible_to(*, user: User) -> QuerySet[Attestation]:
    attestations = Attestation.objects.all()
    return attestations if user.is_admin else attestations.filter(prover=user)


def attestation_get_visible(*, user: User, attestation_id) -> Attestation:
    try:
        attestation_uuid = uuid.UUID(str(attestation_id))
    except ValueError:
        attestation_uuid = None
    attestation = (
        attestations_visible_to(user=user).filter(pk=attestation_uuid).first()
        if attestation_uuid
        else None
    )
    if attestation is None:
        raise exceptions.NotFound(f"Proof {attestation_id} not found.")
    return attestation


def _status_condition(status: str, now: datetime) -> Q:
    """Expired: past ``valid_until`` and not Failed; the other statuses only while valid."""
    expired = Q(valid_until__lt=now) & ~Q(status=AttestationStatus.FAILED)
    if status == "expired":
        return expired
    if status == "failed":
        return Q(status=AttestationStatus.FAILED)
    stored = AttestationStatus.PENDING if status == "pending" else AttestationStatus.VERIFIED
    return Q(status=stored) & ~expired


def attestations_list(
    *,
    user: User,
    prover_id: str | None = None,
    claim_type: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Attestation]:
    """The caller's attestations (staff: anyone's, or ``prover_id``'s), newest first."""
    attestations = attestations_visible_to(user=user)
    if prover_id:
        attestations = attestations.filter(prover_id=prover_id)
    if claim_type:
        attestations = attestations.filter(claim_type=claim_type)
    if status:
        attestations = attestations.filter(_status_condition(status, timezone.now()))
    if start:
        attestations = attestations.filter(created_at__gte=start)
    if end:
        attestations = attestations.filter(created_at__lte=end)
    return attestations.order_by("-created_at", "attestation_id")


@dataclass(frozen=True)
class AttestationStatistics:
    total: int
    pending: int
    verified: int
    failed: int
    expired: int
    by_claim_type: dict[str, int]


def attestation_statistics(*, user: User) -> AttestationStatistics:
    """Counts over the caller's attestations (staff: all): two queries."""
    now = timezone.now()
    attestations = attestations_visible_to(user=user)
    counts = attestations.aggregate(
        total=Count("pk"),
        **{name: Count("pk", filter=_status_condition(name, now)) for name in EFFECTIVE_STATUSES},
    )
    by_type = {
        row["claim_type"]: row["count"]
        for row in attestations.order_by().values("claim_type").annotate(count=Count("pk"))
    }
    return AttestationStatistics(by_claim_type=by_type, **counts)


def attestation_effective_status(attestation: Attestation) -> str:
    """The stored status, or ``Expired`` once ``valid_until`` has passed (unless Failed)."""
    if (
        attestation.status != AttestationStatus.FAILED
        and attestation.valid_until is not None
        and attestation.valid_until < timezone.now()
    ):
        return "Expired"
    return attestation.status
