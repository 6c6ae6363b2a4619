"""Records of what happened: staff actions and application log rows."""

from typing import Any

from accounts.models import User
from accounts.services.user_activity import (
    ActivityType,
    Category,
    ResourceType,
    user_activity_record,
)
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
    user_activity_record(
        user=admin,
        activity_type=_staff_activity_type(action_type),
        category=Category.ADMIN,
        resource_type=_staff_resource_type(action_type),
        resource_id=target_id or "",
        action=action_type,
        description=f"Staff action {action_type}" + (f" on {target_id}" if target_id else ""),
        metadata=data,
    )
    return action


def _staff_activity_type(action_type: str) -> str:
    if action_type.endswith("_create"):
        return ActivityType.CREATE
    if action_type.endswith("_delete") or action_type.endswith("_cleanup"):
        return ActivityType.DELETE
    return ActivityType.UPDATE


def _staff_resource_type(action_type: str) -> str:
    if action_type.startswith("adapter"):
        return ResourceType.ADAPTER
    if action_type.startswith("api_key"):
        return ResourceType.API_KEY
    if action_type.startswith(("circuit", "member", "role", "join_request", "webhook")):
        return ResourceType.CIRCUIT
    if action_type.startswith(("item", "pending_item", "conflict")):
        return ResourceType.ITEM
    return ResourceType.USER


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
