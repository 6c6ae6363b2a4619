from audit.models import AuditEventType, AuditOutcome, AuditSeverity
from audit.services.trail import audit_record

BASE = "/audit/audit"


def record(user_id: str, **fields):
    """One audit row by ``user_id`` (defaults: a low, successful User event)."""
    fields.setdefault("event_type", AuditEventType.USER)
    fields.setdefault("action", "read")
    fields.setdefault("resource", "item")
    fields.setdefault("outcome", AuditOutcome.SUCCESS)
    fields.setdefault("severity", AuditSeverity.LOW)
    return audit_record(user_id=user_id, **fields)
