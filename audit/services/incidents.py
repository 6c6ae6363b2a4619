"""Security incidents: reported, opened from security events, assigned, resolved, closed.

Automatic incidents (the rule ``incident_opens_for`` states): a security event opens an
incident when its severity is Critical, or when it is High and its outcome is Failure or
Blocked. Lower severities (a single failed login, a refused key) stay events; the
dashboard's anomalies count them.
"""

import uuid
from typing import Any

from django.db import transaction
from rest_framework import exceptions

from accounts.models import User
from audit.models import (
    AuditEvent,
    AuditEventType,
    AuditOutcome,
    AuditSeverity,
    IncidentCategory,
    IncidentStatus,
    SecurityIncident,
)
from audit.services.trail import audit_record
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now

_CATEGORY_WORDS: list[tuple[tuple[str, ...], str]] = [
    (("breach", "leak", "exposure"), IncidentCategory.DATA_BREACH),
    (("unauthorized", "intrusion"), IncidentCategory.UNAUTHORIZED_ACCESS),
    (("malware", "compromise"), IncidentCategory.SYSTEM_COMPROMISE),
    (("policy", "violation"), IncidentCategory.POLICY_VIOLATION),
    (("dos", "denial"), IncidentCategory.DENIAL_OF_SERVICE),
]


def incident_opens_for(*, severity: str, outcome: str) -> bool:
    """Whether a security event of this severity and outcome opens an incident."""
    if severity == AuditSeverity.CRITICAL:
        return True
    return severity == AuditSeverity.HIGH and outcome in {
        AuditOutcome.FAILURE,
        AuditOutcome.BLOCKED,
    }


def incident_category_for(action: str) -> str:
    """The engine's rule: the category named by a word of the action, else unauthorized
    access."""
    lowered = action.lower()
    for words, category in _CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return category
    return IncidentCategory.UNAUTHORIZED_ACCESS


def _trail(incident: SecurityIncident, *, actor_id: str, action: str, **details: Any) -> None:
    audit_record(
        user_id=actor_id,
        event_type=AuditEventType.SECURITY,
        action=f"incident.{action}",
        resource="security_incident",
        resource_id=str(incident.incident_id),
        severity=incident.severity,
        details={"status": incident.status, **details},
    )


@transaction.atomic
def incident_create(
    *,
    reporter: User | None,
    title: str,
    description: str,
    severity: str,
    category: str,
    affected_users: list[str] | None = None,
    affected_resources: list[str] | None = None,
    related_event_ids: list[uuid.UUID] | None = None,
    source_event: AuditEvent | None = None,
) -> SecurityIncident:
    incident = SecurityIncident.objects.create(
        title=title,
        description=description,
        severity=severity,
        category=category,
        affected_users=list(dict.fromkeys(affected_users or [])),
        affected_resources=list(dict.fromkeys(affected_resources or [])),
        related_event_ids=[str(event_id) for event_id in dict.fromkeys(related_event_ids or [])],
        reported_by=reporter,
        source_event_id=source_event.event_id if source_event else None,
    )
    _trail(
        incident,
        actor_id=reporter.pk if reporter else "system",
        action="opened",
        source_event_id=str(source_event.event_id) if source_event else None,
    )
    return incident


def incident_open_for_security_event(*, event: AuditEvent) -> SecurityIncident | None:
    """Open the incident a security event calls for (see the module's rule), else None."""
    if not incident_opens_for(severity=event.severity, outcome=event.outcome):
        return None
    return incident_create(
        reporter=None,
        title=f"Security Event: {event.action} on {event.resource}",
        description=(
            f"Opened automatically for a {event.severity.lower()} security event. "
            f"User: {event.user_id}, Resource: {event.resource}, Outcome: {event.outcome}"
        ),
        severity=event.severity,
        category=incident_category_for(event.action),
        affected_users=[event.user_id],
        affected_resources=[event.resource],
        related_event_ids=[event.event_id],
        source_event=event,
    )


def _locked(incident: SecurityIncident) -> SecurityIncident:
    return SecurityIncident.objects.select_for_update().get(pk=incident.pk)


def _staff_user(reference: str) -> User:
    assignee = User.objects.filter(pk=reference).first() or (
        User.objects.filter(username=reference).first()
    )
    if assignee is None or not assignee.is_admin or not assignee.is_active:
        raise exceptions.ValidationError(
            {"assignee": [f"{reference!r} is not an active staff user."]}
        )
    return assignee


@transaction.atomic
def incident_assign(*, incident: SecurityIncident, actor: User, assignee: str) -> SecurityIncident:
    """Assign to a staff user (id or username); an Open incident becomes InProgress."""
    incident = _locked(incident)
    if incident.status == IncidentStatus.CLOSED:
        raise Conflict("A closed incident cannot be reassigned.", code="incident_closed")
    staff = _staff_user(assignee)
    now = unix_now()
    incident.assigned_to = staff
    incident.assigned_by = actor
    incident.assigned_at_ts = now
    if incident.status == IncidentStatus.OPEN:
        incident.status = IncidentStatus.IN_PROGRESS
    incident.updated_at_ts = now
    incident.save()
    _trail(incident, actor_id=actor.pk, action="assigned", assignee=staff.pk)
    return incident


@transaction.atomic
def incident_resolve(
    *, incident: SecurityIncident, actor: User, resolution: str = ""
) -> SecurityIncident:
    incident = _locked(incident)
    if incident.status in {IncidentStatus.RESOLVED, IncidentStatus.CLOSED}:
        raise Conflict(f"The incident is already {incident.status}.", code="incident_not_open")
    now = unix_now()
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_by = actor
    incident.resolved_at_ts = now
    incident.resolution = resolution
    incident.updated_at_ts = now
    incident.save()
    _trail(incident, actor_id=actor.pk, action="resolved", resolution=resolution)
    return incident


@transaction.atomic
def incident_close(*, incident: SecurityIncident, actor: User) -> SecurityIncident:
    """Close a resolved incident (or one that needs no resolution); closed is final."""
    incident = _locked(incident)
    if incident.status == IncidentStatus.CLOSED:
        raise Conflict("The incident is already closed.", code="incident_not_open")
    now = unix_now()
    incident.status = IncidentStatus.CLOSED
    incident.closed_by = actor
    incident.closed_at_ts = now
    incident.updated_at_ts = now
    incident.save()
    _trail(incident, actor_id=actor.pk, action="closed")
    return incident
