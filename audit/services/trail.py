"""The audit trail: appending rows to the hash chain, erasing a person's data from it, and
pruning it by retention, without ever breaking what ``audit_chain_verify`` proves.

Each row's ``content_hash`` is SHA-256 of its canonical content (sorted-key JSON of the
engine's fields plus whom it is about and its circuit); its ``entry_hash`` is SHA-256 of
``"<sequence>:<previous_hash>:<content_hash>"``, where ``previous_hash`` is the row before's
``entry_hash`` (64 zeros for the first row, or the checkpoint once retention pruned the
chain's start). Appends lock the one ``AuditChainHead`` row, so concurrent writers queue and
the chain never forks.
"""

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Case, F, JSONField, Q, Value, When
from django.utils import timezone

from accounts.models import Tier, User
from audit.context import request_metadata
from audit.models import (
    AuditChainHead,
    AuditEvent,
    AuditEventType,
    AuditOutcome,
    AuditSeverity,
)

logger = logging.getLogger("defarm.audit")

METADATA_KEYS = ("user_agent", "ip_address", "location", "device_id", "session_duration")
COMPLIANCE_KEYS = ("gdpr", "ccpa", "hipaa", "sox")
ERASURE_ACTION = "audit.erasure"
RETENTION_ACTION = "audit.retention"
REDACTION_ACTIONS = (ERASURE_ACTION, RETENTION_ACTION)
EXPIRED_USER_ID = "expired"

# Days each tier's audit rows are kept (the engine's ``max_audit_retention_days``); rows that
# are not about a known user (failed logins of unknown names, system rows) keep the
# Enterprise term.
AUDIT_RETENTION_DAYS: dict[str, int] = {
    Tier.BASIC: 30,
    Tier.PROFESSIONAL: 90,
    Tier.ENTERPRISE: 365,
    Tier.ADMIN: 3650,
}
UNOWNED_RETENTION_DAYS = AUDIT_RETENTION_DAYS[Tier.ENTERPRISE]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _timestamp_micros(value: datetime) -> int:
    return (value - datetime(1970, 1, 1, tzinfo=value.tzinfo)) // timedelta(microseconds=1)


def audit_event_content(event: AuditEvent) -> dict[str, Any]:
    """The fields the content hash covers, as plain JSON values."""
    return {
        "event_id": str(event.event_id),
        "user_id": event.user_id,
        "subject_user_id": event.subject_user_id,
        "circuit_id": str(event.circuit_id) if event.circuit_id else None,
        "event_type": event.event_type,
        "action": event.action,
        "resource": event.resource,
        "resource_id": event.resource_id,
        "outcome": event.outcome,
        "severity": event.severity,
        "timestamp": _timestamp_micros(event.timestamp),
        "details": event.details,
        "metadata": event.metadata,
        "signature": event.signature,
        "compliance": event.compliance,
    }


def audit_content_hash(event: AuditEvent) -> str:
    canonical = json.dumps(
        audit_event_content(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return _sha256(canonical)


def audit_entry_hash(*, sequence: int, previous_hash: str, content_hash: str) -> str:
    return _sha256(f"{sequence}:{previous_hash}:{content_hash}")


def _metadata_clean(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """The engine's five metadata fields; the request's address and user agent fill the
    ones the caller left out."""
    given = {key: (metadata or {}).get(key) for key in METADATA_KEYS}
    observed = request_metadata()
    for key in ("ip_address", "user_agent"):
        if given[key] in (None, ""):
            given[key] = observed.get(key)
    return given


def _compliance_clean(compliance: dict[str, Any] | None) -> dict[str, Any]:
    return {key: (compliance or {}).get(key) for key in COMPLIANCE_KEYS}


def _chain_head_lock() -> AuditChainHead:
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def _append(event: AuditEvent, head: AuditChainHead) -> AuditEvent:
    event.sequence = head.sequence + 1
    event.previous_hash = head.entry_hash
    event.content_hash = audit_content_hash(event)
    event.entry_hash = audit_entry_hash(
        sequence=event.sequence, previous_hash=event.previous_hash, content_hash=event.content_hash
    )
    event.save(force_insert=True)
    head.sequence = event.sequence
    head.entry_hash = event.entry_hash
    head.save(update_fields=["sequence", "entry_hash", "updated_at"])
    return event


def audit_record(
    *,
    user_id: str,
    event_type: str,
    action: str,
    resource: str,
    outcome: str = AuditOutcome.SUCCESS,
    severity: str = AuditSeverity.LOW,
    resource_id: str | None = None,
    details: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    compliance: dict[str, Any] | None = None,
    signature: str | None = None,
    subject_user_id: str | None = None,
    circuit_id: uuid.UUID | str | None = None,
    event_id: uuid.UUID | None = None,
    timestamp: datetime | None = None,
) -> AuditEvent:
    """Append one row to the audit trail (in the caller's transaction, if any).

    ``user_id`` is who acted (a user id, or ``anonymous`` / ``system``); ``subject_user_id``
    whom the row is about when that is someone else (the account a staff member changed,
    the account a failed login named).
    """
    event = AuditEvent(
        event_id=event_id or uuid.uuid4(),
        user_id=user_id,
        subject_user_id=subject_user_id,
        circuit_id=circuit_id,
        event_type=event_type,
        action=action,
        resource=resource,
        resource_id=resource_id,
        outcome=outcome,
        severity=severity,
        timestamp=timestamp or timezone.now(),
        details=dict(details or {}),
        metadata=_metadata_clean(metadata),
        compliance=_compliance_clean(compliance),
        signature=signature,
    )
    with transaction.atomic():
        return _append(event, _chain_head_lock())


def audit_record_safely(**fields: Any) -> AuditEvent | None:
    """``audit_record`` for DeFarm's own hooks: a failing audit write is logged, and never
    turns the answer the caller was getting into a server error."""
    try:
        return audit_record(**fields)
    except DatabaseError:
        logger.exception("Could not write the audit row %s", fields.get("action"))
        return None


def audit_events_import(*, events: Iterable[AuditEvent]) -> tuple[int, int]:
    """Append rows received from another system (the engine's ``events/sync``), keeping
    their ids and timestamps; ids already in the trail are skipped. Returns
    ``(imported, skipped)``."""
    events = list(events)
    with transaction.atomic():
        head = _chain_head_lock()
        known = set(
            AuditEvent.objects.filter(
                event_id__in=[event.event_id for event in events]
            ).values_list("event_id", flat=True)
        )
        imported = 0
        for event in events:
            if event.event_id in known:
                continue
            event.metadata = _metadata_clean(event.metadata)
            event.compliance = _compliance_clean(event.compliance)
            _append(event, head)
            known.add(event.event_id)
            imported += 1
    return imported, len(events) - imported


def sequence_ranges(sequences: Iterable[int]) -> list[list[int]]:
    """``[1, 2, 3, 7]`` -> ``[[1, 3], [7, 7]]``."""
    ranges: list[list[int]] = []
    for sequence in sorted(set(sequences)):
        if ranges and ranges[-1][1] == sequence - 1:
            ranges[-1][1] = sequence
        else:
            ranges.append([sequence, sequence])
    return ranges


def _details_kept_or(value: Any):
    """Redaction rows keep their details (the ranges they vouch for hold no personal data)."""
    return Case(
        When(action__in=REDACTION_ACTIONS, then=F("details")),
        default=Value(value, output_field=JSONField()),
        output_field=JSONField(),
    )


def user_pseudonym(user_id: str) -> str:
    return f"erased-{_sha256(user_id)[:16]}"


@transaction.atomic
def audit_events_erase_user(*, user_id: str, actor: User) -> AuditEvent:
    """Anonymise every audit row by or about ``user_id`` (GDPR erasure): the id becomes a
    pseudonym and the free-form fields (details, metadata, signature) are emptied. The
    hashes stay; the erasure row appended last names the sequences it redacted, which is
    what lets ``audit_chain_verify`` accept them."""
    head = _chain_head_lock()
    erasure_id = uuid.uuid4()
    pseudonym = user_pseudonym(user_id)
    rows = AuditEvent.objects.filter(Q(user_id=user_id) | Q(subject_user_id=user_id))
    sequences = list(rows.values_list("sequence", flat=True))
    rows.update(
        user_id=Case(When(user_id=user_id, then=Value(pseudonym)), default=F("user_id")),
        subject_user_id=Case(
            When(subject_user_id=user_id, then=Value(pseudonym)), default=F("subject_user_id")
        ),
        resource_id=Case(
            When(resource_id=user_id, then=Value(pseudonym)), default=F("resource_id")
        ),
        details=_details_kept_or({}),
        metadata={},
        signature=None,
        redacted_by=erasure_id,
    )
    event = AuditEvent(
        event_id=erasure_id,
        user_id=actor.pk,
        subject_user_id=pseudonym,
        event_type=AuditEventType.COMPLIANCE,
        action=ERASURE_ACTION,
        resource="user",
        resource_id=pseudonym,
        outcome=AuditOutcome.SUCCESS,
        severity=AuditSeverity.MEDIUM,
        timestamp=timezone.now(),
        details={"redacted_sequences": sequence_ranges(sequences), "rows": len(sequences)},
        metadata=_metadata_clean(None),
        compliance=_compliance_clean({"gdpr": True}),
    )
    return _append(event, head)


@dataclass(frozen=True)
class RetentionResult:
    expired: int
    deleted: int
    checkpoint_sequence: int
    event: AuditEvent | None


def _expired_rows(now: datetime):
    expired = Q()
    for tier, days in AUDIT_RETENTION_DAYS.items():
        expired |= Q(
            user_id__in=User.objects.filter(tier=tier).values("pk"),
            timestamp__lt=now - timedelta(days=days),
        )
    expired |= Q(timestamp__lt=now - timedelta(days=UNOWNED_RETENTION_DAYS)) & ~Q(
        user_id__in=User.objects.values("pk")
    )
    return AuditEvent.objects.filter(expired)


@transaction.atomic
def audit_retention_apply(*, now: datetime | None = None) -> RetentionResult:
    """Apply each tier's retention: rows past their term are emptied to stubs (kept in the
    chain, hashes intact, vouched for by one retention row), then the run of stubs at the
    chain's start is deleted and the checkpoint moves past it."""
    now = now or timezone.now()
    head = _chain_head_lock()
    retention_id = uuid.uuid4()
    expired = _expired_rows(now).exclude(user_id=EXPIRED_USER_ID)
    sequences = list(expired.values_list("sequence", flat=True))
    event = None
    if sequences:
        AuditEvent.objects.filter(sequence__in=sequences).update(
            user_id=EXPIRED_USER_ID,
            subject_user_id=None,
            resource_id=None,
            details=_details_kept_or({}),
            metadata={},
            signature=None,
            redacted_by=retention_id,
        )
        event = AuditEvent(
            event_id=retention_id,
            user_id="system",
            event_type=AuditEventType.COMPLIANCE,
            action=RETENTION_ACTION,
            resource="audit_events",
            outcome=AuditOutcome.SUCCESS,
            severity=AuditSeverity.LOW,
            timestamp=now,
            details={"redacted_sequences": sequence_ranges(sequences), "rows": len(sequences)},
            metadata=_metadata_clean(None),
            compliance=_compliance_clean(None),
        )
        _append(event, head)
    retention_ids = set(
        AuditEvent.objects.filter(action=RETENTION_ACTION).values_list("event_id", flat=True)
    )
    deleted_through, deleted_hash = head.checkpoint_sequence, head.checkpoint_hash
    rows = (
        AuditEvent.objects.filter(sequence__gt=head.checkpoint_sequence)
        .order_by("sequence")
        .values_list("sequence", "redacted_by", "entry_hash")
    )
    for sequence, redacted_by, entry_hash in rows.iterator(chunk_size=2000):
        if redacted_by not in retention_ids or sequence != deleted_through + 1:
            break
        deleted_through, deleted_hash = sequence, entry_hash
    deleted = 0
    if deleted_through > head.checkpoint_sequence:
        deleted, _ = AuditEvent.objects.filter(sequence__lte=deleted_through).delete()
        head.checkpoint_sequence, head.checkpoint_hash = deleted_through, deleted_hash
        head.save(update_fields=["checkpoint_sequence", "checkpoint_hash", "updated_at"])
    return RetentionResult(
        expired=len(sequences),
        deleted=deleted,
        checkpoint_sequence=head.checkpoint_sequence,
        event=event,
    )
