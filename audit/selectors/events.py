"""Reads of the audit trail: who may see which rows, the engine's query, the chain's proof."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from accounts.models import User
from audit.models import (
    SEVERITY_RANK,
    AuditChainHead,
    AuditEvent,
    AuditEventType,
    AuditOutcome,
    AuditSeverity,
)
from audit.services.trail import (
    COMPLIANCE_KEYS,
    REDACTION_ACTIONS,
    audit_content_hash,
    audit_entry_hash,
)
from circuits.models import Circuit, CircuitMember
from circuits.permissions import Permission


def circuits_audited_by(*, user: User) -> set[uuid.UUID]:
    """Circuits whose trail ``user`` may read: owned, or held with the Audit permission."""
    owned = set(Circuit.objects.filter(owner=user).values_list("circuit_id", flat=True))
    memberships = CircuitMember.objects.filter(member=user).values_list("circuit_id", "permissions")
    held = {circuit_id for circuit_id, perms in memberships if Permission.AUDIT in (perms or [])}
    return owned | held


def audit_events_visible_to(*, user: User) -> QuerySet[AuditEvent]:
    """Staff see every row; a user sees the rows by or about itself and the trails of the
    circuits it audits."""
    events = AuditEvent.objects.all()
    if user.is_admin:
        return events
    visible = Q(user_id=user.pk) | Q(subject_user_id=user.pk)
    circuits = circuits_audited_by(user=user)
    if circuits:
        visible |= Q(circuit_id__in=circuits)
    return events.filter(visible)


SORT_FIELDS = ("timestamp", "severity", "event_type")


@dataclass(frozen=True)
class AuditQuery:
    """The engine's ``AuditQueryRequest`` as DeFarm filters it (enums already parsed)."""

    user_id: str | None = None
    event_types: list[str] | None = None
    actions: list[str] | None = None
    resources: list[str] | None = None
    outcomes: list[str] | None = None
    severities: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    compliance: dict[str, bool] = field(default_factory=dict)
    circuit_id: uuid.UUID | None = None
    sort_by: str = "timestamp"
    descending: bool = True


def _severity_rank() -> Case:
    return Case(
        *(When(severity=name, then=Value(rank)) for name, rank in SEVERITY_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def audit_events_query(*, events: QuerySet[AuditEvent], query: AuditQuery) -> QuerySet:
    """Filter and sort ``events`` as the engine's query does; ties keep chain order."""
    conditions = Q()
    if query.user_id is not None:
        conditions &= Q(user_id=query.user_id)
    if query.event_types:
        conditions &= Q(event_type__in=query.event_types)
    if query.actions:
        conditions &= Q(action__in=query.actions)
    if query.resources:
        conditions &= Q(resource__in=query.resources)
    if query.outcomes:
        conditions &= Q(outcome__in=query.outcomes)
    if query.severities:
        conditions &= Q(severity__in=query.severities)
    if query.start is not None:
        conditions &= Q(timestamp__gte=query.start)
    if query.end is not None:
        conditions &= Q(timestamp__lte=query.end)
    if query.circuit_id is not None:
        conditions &= Q(circuit_id=query.circuit_id)
    for flag, wanted in query.compliance.items():
        conditions &= Q(**{f"compliance__{flag}": wanted})
    events = events.filter(conditions)
    prefix = "-" if query.descending else ""
    if query.sort_by == "severity":
        events = events.annotate(severity_rank=_severity_rank())
        order = [f"{prefix}severity_rank", f"{prefix}sequence"]
    elif query.sort_by == "event_type":
        order = [f"{prefix}event_type", f"{prefix}sequence"]
    else:
        order = [f"{prefix}timestamp", f"{prefix}sequence"]
    return events.order_by(*order)


def compliance_events_in_period(
    *, events: QuerySet[AuditEvent], start: datetime, end: datetime
) -> QuerySet[AuditEvent]:
    """Compliance rows, or rows carrying any compliance flag, in the period (engine rule)."""
    flagged = Q(event_type=AuditEventType.COMPLIANCE)
    for flag in COMPLIANCE_KEYS:
        flagged |= Q(**{f"compliance__{flag}": True}) | Q(**{f"compliance__{flag}": False})
    return events.filter(flagged, timestamp__gte=start, timestamp__lte=end).order_by(
        "timestamp", "sequence"
    )


# --- The chain's proof ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    event_id: str | None
    sequence: int
    reason: str


@dataclass(frozen=True)
class ChainVerification:
    valid: bool
    checked: int
    head_sequence: int
    head_hash: str
    checkpoint_sequence: int
    first_broken: ChainBreak | None


def _redaction_cover() -> dict[uuid.UUID, tuple[int, list[list[int]]]]:
    rows = AuditEvent.objects.filter(action__in=REDACTION_ACTIONS).values_list(
        "event_id", "sequence", "details"
    )
    return {
        event_id: (sequence, (details or {}).get("redacted_sequences") or [])
        for event_id, sequence, details in rows
    }


def _covered(cover: dict, row: AuditEvent) -> bool:
    redaction = cover.get(row.redacted_by)
    if redaction is None or redaction[0] <= row.sequence:
        return False
    return any(start <= row.sequence <= end for start, end in redaction[1])


def audit_chain_verify() -> ChainVerification:
    """Walk the chain from its checkpoint and name the first row that does not hold:
    a missing row, a wrong link, content that no longer matches its hash, a redaction no
    redaction row vouches for, or a chain that ends before its head."""
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead()
    cover = _redaction_cover()
    expected_sequence = head.checkpoint_sequence + 1
    running_hash = head.checkpoint_hash
    checked = 0
    broken: ChainBreak | None = None
    rows = AuditEvent.objects.filter(sequence__gt=head.checkpoint_sequence).order_by("sequence")
    for row in rows.iterator(chunk_size=2000):
        checked += 1
        reason = None
        if row.sequence != expected_sequence:
            reason = f"rows {expected_sequence} to {row.sequence - 1} are missing"
        elif row.previous_hash != running_hash:
            reason = "its previous hash is not the hash of the row before"
        elif row.redacted_by is None and audit_content_hash(row) != row.content_hash:
            reason = "its content does not match its content hash (altered)"
        elif row.redacted_by is not None and not _covered(cover, row):
            reason = "it is redacted but no erasure or retention row names it"
        elif row.entry_hash != audit_entry_hash(
            sequence=row.sequence, previous_hash=row.previous_hash, content_hash=row.content_hash
        ):
            reason = "its entry hash does not match its sequence, link and content hash"
        if reason is not None:
            broken = ChainBreak(event_id=str(row.event_id), sequence=row.sequence, reason=reason)
            break
        running_hash = row.entry_hash
        expected_sequence += 1
    if broken is None and (
        expected_sequence - 1 != head.sequence or running_hash != head.entry_hash
    ):
        broken = ChainBreak(
            event_id=None,
            sequence=expected_sequence,
            reason=f"the chain ends at {expected_sequence - 1} but its head is {head.sequence}",
        )
    return ChainVerification(
        valid=broken is None,
        checked=checked,
        head_sequence=head.sequence,
        head_hash=head.entry_hash,
        checkpoint_sequence=head.checkpoint_sequence,
        first_broken=broken,
    )


# --- Dashboard ------------------------------------------------------------------------------

RISK_WEIGHTS = {
    AuditSeverity.LOW: 1,
    AuditSeverity.MEDIUM: 2,
    AuditSeverity.HIGH: 5,
    AuditSeverity.CRITICAL: 10,
}
REPEATED_FAILURES = 5
TOP_USERS = 10


def audit_dashboard_metrics(
    *, events: QuerySet[AuditEvent], incidents: QuerySet, now: datetime | None = None
) -> dict[str, Any]:
    """Counts over ``events`` and ``incidents`` (what the caller may see).

    ``risk_score`` of a user: the severity weights (low 1, medium 2, high 5, critical 10) of
    its failed or blocked rows over ten times its row count, 0 to 1. Anomalies: a user with
    ``REPEATED_FAILURES`` or more failed or blocked security rows in the last 24 hours, and
    every critical row of the last 24 hours.
    """
    from audit.models import IncidentStatus

    now = now or timezone.now()
    day_ago, week_ago = now - timedelta(hours=24), now - timedelta(days=7)
    failed = Q(outcome__in=[AuditOutcome.FAILURE, AuditOutcome.BLOCKED])
    totals = events.aggregate(
        total=Count("pk"),
        last_24h=Count("pk", filter=Q(timestamp__gte=day_ago)),
        last_7d=Count("pk", filter=Q(timestamp__gte=week_ago)),
        **{
            f"{flag}_events": Count("pk", filter=Q(**{f"compliance__{flag}": True}))
            for flag in COMPLIANCE_KEYS
        },
    )
    incident_counts = incidents.aggregate(
        open=Count("pk", filter=Q(status__in=[IncidentStatus.OPEN, IncidentStatus.IN_PROGRESS])),
        critical=Count(
            "pk",
            filter=Q(severity=AuditSeverity.CRITICAL)
            & ~Q(status__in=[IncidentStatus.RESOLVED, IncidentStatus.CLOSED]),
        ),
        resolved=Count("pk", filter=Q(status__in=[IncidentStatus.RESOLVED, IncidentStatus.CLOSED])),
    )
    weight = Case(
        *(When(failed & Q(severity=name), then=Value(w)) for name, w in RISK_WEIGHTS.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    top = (
        events.values("user_id")
        .annotate(event_count=Count("pk"), risk=Sum(weight))
        .order_by("-event_count", "user_id")[:TOP_USERS]
    )
    top_users = [
        {
            "user_id": row["user_id"],
            "event_count": row["event_count"],
            "risk_score": round(min(1.0, (row["risk"] or 0) / (10 * row["event_count"])), 4),
        }
        for row in top
    ]
    anomalies = [
        {
            "anomaly_type": "repeated_failures",
            "description": (
                f"{row['failures']} failed or blocked security events by {row['user_id']} "
                "in the last 24 hours"
            ),
            "severity": AuditSeverity.HIGH,
            "detected_at": now,
        }
        for row in events.filter(failed, event_type=AuditEventType.SECURITY, timestamp__gte=day_ago)
        .values("user_id")
        .annotate(failures=Count("pk"))
        .filter(failures__gte=REPEATED_FAILURES)
        .order_by("-failures", "user_id")[:TOP_USERS]
    ]
    anomalies += [
        {
            "anomaly_type": "critical_event",
            "description": f"{row['action']} on {row['resource']} by {row['user_id']}",
            "severity": AuditSeverity.CRITICAL,
            "detected_at": row["timestamp"],
        }
        for row in events.filter(severity=AuditSeverity.CRITICAL, timestamp__gte=day_ago)
        .order_by("-sequence")
        .values("user_id", "action", "resource", "timestamp")[:TOP_USERS]
    ]
    return {
        "total_events": totals["total"],
        "events_last_24h": totals["last_24h"],
        "events_last_7d": totals["last_7d"],
        "security_incidents": incident_counts,
        "compliance_status": {
            f"{flag}_events": totals[f"{flag}_events"] for flag in COMPLIANCE_KEYS
        },
        "top_users": top_users,
        "anomalies": anomalies,
    }
