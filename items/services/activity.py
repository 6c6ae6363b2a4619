"""The user-activity rows the item and event services write (one INSERT each)."""

from typing import Any

from accounts.models import User
from accounts.services.user_activity import (
    ActivityType,
    Category,
    ResourceType,
    user_activity_record,
)

__all__ = ["ActivityType", "event_activity_record", "item_activity_record"]


def item_activity_record(
    *,
    user: User,
    activity_type: str,
    dfid: str,
    action: str,
    description: str,
    metadata: Any = None,
) -> None:
    user_activity_record(
        user=user,
        activity_type=activity_type,
        category=Category.ITEMS,
        resource_type=ResourceType.ITEM,
        resource_id=dfid,
        action=action,
        description=description,
        metadata=metadata,
    )


def event_activity_record(*, user: User, event_id: str, dfid: str | None, event_type: str) -> None:
    user_activity_record(
        user=user,
        activity_type=ActivityType.CREATE,
        category=Category.EVENTS,
        resource_type=ResourceType.EVENT,
        resource_id=event_id,
        action="event_create",
        description=f"Recorded a {event_type} event" + (f" on {dfid}" if dfid else ""),
        metadata={"dfid": dfid, "event_type": event_type},
    )
