"""Records of what happened: staff actions and application log rows."""

from typing import Any

from accounts.models import User
from audit.models import AdminAction, AuditEventType, AuditSeverity, Log
from audit.services.trail import audit_record


def admin_action_record(
    *,
    admin: User,
    action_type: str,
    target_id: str | None,
    data: dict[str, Any] | None = None,
) -> AdminAction:
    """Record a staff change (who, what, on whom) in ``admin_actions`` and in the audit
    trail; call it in the change's transaction."""
    action = AdminAction.objects.create(
        admin=admin, action_type=action_type, target_id=target_id, action_data=data
    )
    subject = target_id if target_id and User.objects.filter(pk=target_id).exists() else None
    audit_record(
        user_id=admin.pk,
        subject_user_id=subject,
        event_type=AuditEventType.SECURITY,
        action=f"staff.{action_type}",
        resource="admin_action",
        resource_id=target_id,
        severity=AuditSeverity.MEDIUM,
        details={"action_id": str(action.action_id), "data": data or {}},
    )
    return action


def log_write(
    *,
    level: str,
    engine: str,
    event_type: str,
    message: str,
    context: dict[str, Any] | None = None,
) -> Log:
    return Log.objects.create(
        level=level, engine=engine, event_type=event_type, message=message, context_data=context
    )
