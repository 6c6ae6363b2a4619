"""Compliance reports, computed from DeFarm's data when asked for and kept.

- Data-subject reports (``GdprDataSubject``, ``CcpaConsumer``, and the engine's ``GDPR``
  route): everything DeFarm holds about one user (``audit.selectors.subjects``), with the
  audit rows about them in the period; a finding lists reads of their data by others.
- ``AuditTrail``: the audit rows the requester may see in the period and scope, with the
  chain's proof (staff); findings for failed or blocked high and critical rows.
- ``SecurityIncident`` (staff): incidents opened in the period; findings for the high and
  critical ones still open.
- ``SoxFinancial`` (staff): credit movements and staff actions in the period.
- ``FoodSafety``: for an item, the recall trace (``audit.selectors.recall``); without an
  item, the requester's traceability activity in the period.

The status: ``non_compliant`` with a high or critical finding, ``attention_required`` with
any other finding, ``compliant`` without findings.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from rest_framework import exceptions

from accounts.models import CreditTransaction, User
from audit.models import (
    AdminAction,
    AuditEvent,
    AuditEventType,
    AuditOutcome,
    AuditSeverity,
    ComplianceReport,
    ReportType,
    SecurityIncident,
)
from audit.selectors.events import audit_chain_verify, audit_events_visible_to
from audit.selectors.recall import item_recall_trace
from audit.selectors.subjects import row_as_json, user_personal_data
from audit.services.trail import audit_record
from circuits.models import Circuit
from items.models import Event, Item
from items.selectors import items_visible_to

DATA_SUBJECT_TYPES = {ReportType.GDPR_DATA_SUBJECT, ReportType.CCPA_CONSUMER, ReportType.GDPR}
STAFF_ONLY_TYPES = {ReportType.SECURITY_INCIDENT, ReportType.SOX_FINANCIAL}
SERIOUS = {AuditSeverity.HIGH, AuditSeverity.CRITICAL}


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _finding(
    *, finding_type: str, description: str, severity: str, evidence: list, recommendation: str
) -> dict[str, Any]:
    return {
        "finding_id": str(uuid.uuid4()),
        "finding_type": finding_type,
        "description": description,
        "severity": severity,
        "evidence": [str(event_id) for event_id in evidence],
        "recommendation": recommendation,
    }


def _status(findings: list[dict[str, Any]]) -> str:
    if any(f["severity"] in SERIOUS for f in findings):
        return "non_compliant"
    return "attention_required" if findings else "compliant"


def _event_document(event: AuditEvent) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "sequence": event.sequence,
        "user_id": event.user_id,
        "subject_user_id": event.subject_user_id,
        "event_type": event.event_type,
        "action": event.action,
        "resource": event.resource,
        "resource_id": event.resource_id,
        "outcome": event.outcome,
        "severity": event.severity,
        "timestamp": event.timestamp.isoformat(),
        "details": event.details,
        "compliance": event.compliance,
        "entry_hash": event.entry_hash,
    }


def _data_subject(
    *, subject: User, start: datetime, end: datetime, regulation: str
) -> tuple[dict, list, int]:
    about = AuditEvent.objects.filter(
        Q(user_id=subject.pk) | Q(subject_user_id=subject.pk),
        timestamp__gte=start,
        timestamp__lte=end,
    )
    reads_by_others = list(
        about.filter(subject_user_id=subject.pk, event_type=AuditEventType.DATA)
        .exclude(user_id=subject.pk)
        .order_by("sequence")
        .values_list("event_id", flat=True)
    )
    findings = []
    if reads_by_others:
        findings.append(
            _finding(
                finding_type="personal_data_accessed",
                description=(
                    f"The subject's personal data was read {len(reads_by_others)} times by "
                    "others in the period."
                ),
                severity=AuditSeverity.LOW,
                evidence=reads_by_others,
                recommendation="Check that each read had a lawful basis.",
            )
        )
    content = {
        "regulation": regulation,
        "subject_user_id": subject.pk,
        "data": user_personal_data(user=subject),
    }
    return content, findings, about.count()


def _audit_trail(
    *, requester: User, start: datetime, end: datetime, scope: dict[str, Any]
) -> tuple[dict, list, int]:
    events = audit_events_visible_to(user=requester).filter(
        timestamp__gte=start, timestamp__lte=end
    )
    if scope.get("user_id"):
        events = events.filter(user_id=scope["user_id"])
    if scope.get("event_types"):
        events = events.filter(event_type__in=scope["event_types"])
    if scope.get("resource_types"):
        events = events.filter(resource__in=scope["resource_types"])
    events = list(events.order_by("sequence"))
    serious = [
        e.event_id
        for e in events
        if e.severity in SERIOUS and e.outcome in {AuditOutcome.FAILURE, AuditOutcome.BLOCKED}
    ]
    findings = []
    if serious:
        findings.append(
            _finding(
                finding_type="serious_failures",
                description=f"{len(serious)} high or critical events failed or were blocked.",
                severity=AuditSeverity.HIGH,
                evidence=serious,
                recommendation="Review each event; open an incident where none exists.",
            )
        )
    content: dict[str, Any] = {"events": [_event_document(e) for e in events]}
    if requester.is_admin:
        proof = audit_chain_verify()
        content["chain"] = {
            "valid": proof.valid,
            "checked": proof.checked,
            "head_sequence": proof.head_sequence,
            "first_broken": proof.first_broken.__dict__ if proof.first_broken else None,
        }
        if not proof.valid:
            findings.append(
                _finding(
                    finding_type="audit_chain_broken",
                    description=f"The audit chain is broken: {proof.first_broken.reason}.",
                    severity=AuditSeverity.CRITICAL,
                    evidence=[proof.first_broken.event_id] if proof.first_broken.event_id else [],
                    recommendation="Treat the trail as tampered with; open an incident.",
                )
            )
    return content, findings, len(events)


def _security_incidents(*, start_ts: int, end_ts: int) -> tuple[dict, list, int]:
    incidents = list(
        SecurityIncident.objects.filter(created_at_ts__gte=start_ts, created_at_ts__lte=end_ts)
    )
    open_serious = [
        i for i in incidents if i.severity in SERIOUS and i.status in {"Open", "InProgress"}
    ]
    findings = [
        _finding(
            finding_type="open_serious_incident",
            description=f"Incident {i.incident_id} ({i.severity}) is still {i.status}.",
            severity=i.severity,
            evidence=i.related_event_ids,
            recommendation="Assign and resolve it.",
        )
        for i in open_serious
    ]
    content = {"incidents": [row_as_json(i) for i in incidents]}
    return content, findings, len(incidents)


def _sox_financial(*, start_ts: int, end_ts: int) -> tuple[dict, list, int]:
    start, end = _at(start_ts), _at(end_ts)
    transactions = CreditTransaction.objects.filter(
        created_at_ts__gte=start_ts, created_at_ts__lte=end_ts
    ).order_by("created_at_ts", "transaction_id")
    staff_actions = AdminAction.objects.filter(
        performed_at_ts__gte=start_ts, performed_at_ts__lte=end_ts
    ).order_by("performed_at_ts", "action_id")
    staff_events = list(
        AuditEvent.objects.filter(
            action__startswith="staff.", timestamp__gte=start, timestamp__lte=end
        ).values_list("event_id", flat=True)
    )
    findings = []
    if staff_events:
        findings.append(
            _finding(
                finding_type="staff_changes",
                description=f"{len(staff_events)} changes were made by staff in the period.",
                severity=AuditSeverity.LOW,
                evidence=staff_events,
                recommendation="Check each staff change was authorised.",
            )
        )
    content = {
        "credit_transactions": [row_as_json(t) for t in transactions],
        "staff_actions": [row_as_json(a) for a in staff_actions],
    }
    return content, findings, len(staff_events)


def _food_safety(
    *, requester: User, item: Item | None, start_ts: int, end_ts: int
) -> tuple[dict, list, int]:
    if item is not None:
        trace = item_recall_trace(item=item, viewer=requester)
        return {"recall": trace}, [], len(trace["events"])
    items = items_visible_to(user=requester)
    events = Event.objects.filter(
        item__in=items, timestamp__gte=start_ts, timestamp__lte=end_ts
    ).order_by("timestamp", "event_id")
    by_type: dict[str, int] = {}
    for event_type in events.values_list("event_type", flat=True):
        by_type[event_type] = by_type.get(event_type, 0) + 1
    content = {
        "items_created": items.filter(
            created_at_ts__gte=start_ts, created_at_ts__lte=end_ts
        ).count(),
        "events_by_type": dict(sorted(by_type.items())),
        "circuits": Circuit.objects.filter(
            circuit_id__in=items.values("circuit_items__circuit_id")
        ).count(),
    }
    return content, [], sum(by_type.values())


def report_subject_for(*, requester: User, user_id: str | None) -> User:
    """The report's subject: the requester, or (staff only) the user named."""
    if not user_id or user_id == requester.pk:
        return requester
    if not requester.is_admin:
        raise exceptions.PermissionDenied("A data-subject report is about yourself only.")
    subject = User.objects.filter(pk=user_id).first()
    if subject is None:
        raise exceptions.NotFound(f"User {user_id} not found.")
    return subject


@transaction.atomic
def compliance_report_create(
    *,
    requester: User,
    report_type: str,
    period_start_ts: int,
    period_end_ts: int,
    scope: dict[str, Any] | None = None,
    export_format: str = "Json",
    include_evidence: bool = False,
    item: Item | None = None,
) -> ComplianceReport:
    """Compute and keep one report (see the module for each type)."""
    scope = dict(scope or {})
    if report_type in STAFF_ONLY_TYPES and not requester.is_admin:
        raise exceptions.PermissionDenied("Only staff may request this report.")
    if period_end_ts < period_start_ts:
        raise exceptions.ValidationError({"period_end": ["The period ends before it starts."]})
    start, end = _at(period_start_ts), _at(period_end_ts)
    subject = None
    if report_type in DATA_SUBJECT_TYPES:
        subject = report_subject_for(requester=requester, user_id=scope.get("user_id"))
        scope["user_id"] = subject.pk
        regulation = "CCPA" if report_type == ReportType.CCPA_CONSUMER else "GDPR"
        content, findings, total = _data_subject(
            subject=subject, start=start, end=end, regulation=regulation
        )
    elif report_type == ReportType.AUDIT_TRAIL:
        content, findings, total = _audit_trail(
            requester=requester, start=start, end=end, scope=scope
        )
    elif report_type == ReportType.SECURITY_INCIDENT:
        content, findings, total = _security_incidents(
            start_ts=period_start_ts, end_ts=period_end_ts
        )
    elif report_type == ReportType.SOX_FINANCIAL:
        content, findings, total = _sox_financial(start_ts=period_start_ts, end_ts=period_end_ts)
    else:
        content, findings, total = _food_safety(
            requester=requester, item=item, start_ts=period_start_ts, end_ts=period_end_ts
        )
    if not include_evidence:
        for finding in findings:
            finding["evidence_count"] = len(finding["evidence"])
            finding["evidence"] = []
    report = ComplianceReport.objects.create(
        report_type=report_type,
        period_start_ts=period_start_ts,
        period_end_ts=period_end_ts,
        scope=scope,
        export_format=export_format,
        include_evidence=include_evidence,
        requested_by=requester,
        subject_user=subject,
        dfid=item.dfid if item else None,
        findings=findings,
        content=content,
        summary=f"Compliance report for {total} events",
        total_events=total,
        compliance_status=_status(findings),
    )
    personal = subject is not None or (item is not None and requester.is_admin)
    audit_record(
        user_id=requester.pk,
        subject_user_id=subject.pk if subject and subject.pk != requester.pk else None,
        event_type=AuditEventType.DATA if personal else AuditEventType.COMPLIANCE,
        action=f"report.{report_type}",
        resource="compliance_report",
        resource_id=str(report.report_id),
        severity=AuditSeverity.MEDIUM if personal else AuditSeverity.LOW,
        details={"dfid": item.dfid if item else None, "total_events": total},
        compliance={"gdpr": True} if report_type in DATA_SUBJECT_TYPES else None,
    )
    return report
