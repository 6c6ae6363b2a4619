"""Records of what happened: staff actions and application log rows."""

from typing import Any

from accounts.models import User
from audit.models import AdminAction, Log


def admin_action_record(
    *,
    admin: User,
    action_type: str,
    target_id: str | None,
    data: dict[str, Any] | None = None,
) -> AdminAction:
    """Record a staff change (who, what, on whom); call it in the change's transaction."""
    return AdminAction.objects.create(
        admin=admin, action_type=action_type, target_id=target_id, action_data=data
    )


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
