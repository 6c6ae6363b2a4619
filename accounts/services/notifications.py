"""Notifications written by the services whose changes users should hear about."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.live import notifications_push
from accounts.models import Notification, User
from defarm.timeutils import unix_now


class NotificationType:
    JOIN_REQUEST_RECEIVED = "join_request_received"
    JOIN_REQUEST_APPROVED = "join_request_approved"
    JOIN_REQUEST_REJECTED = "join_request_rejected"
    MEMBER_ADDED = "member_added"
    MEMBER_REMOVED = "member_removed"
    ROLE_CHANGED = "role_changed"
    ITEM_PENDING_APPROVAL = "item_pending_approval"
    ITEM_APPROVED = "item_approved"
    ITEM_REJECTED = "item_rejected"
    CREDITS_ADJUSTED = "credits_adjusted"
    ACCOUNT_FROZEN = "account_frozen"
    ACCOUNT_UNFROZEN = "account_unfrozen"
    TIER_CHANGED = "tier_changed"
    STAFF_RIGHTS_CHANGED = "staff_rights_changed"
    ADAPTERS_CHANGED = "adapters_changed"


def notification_create(
    *,
    user: User | str,
    notification_type: str,
    title: str,
    message: str,
    data: dict[str, Any] | None = None,
) -> Notification:
    """Notify one user (a ``User`` or its ``user_id``); their open sockets get it once the
    transaction commits."""
    user_id = user if isinstance(user, str) else user.pk
    notification = Notification.objects.create(
        user_id=user_id,
        notification_type=notification_type,
        title=title,
        message=message,
        data=data,
    )
    transaction.on_commit(lambda: notifications_push([notification]))
    return notification


def notifications_create_many(
    *,
    users: Iterable[User | str],
    notification_type: str,
    title: str,
    message: str,
    data: dict[str, Any] | None = None,
) -> list[Notification]:
    """Notify several users with one bulk insert; their open sockets get it once the
    transaction commits."""
    user_ids = {user if isinstance(user, str) else user.pk for user in users}
    notifications = Notification.objects.bulk_create(
        Notification(
            user_id=user_id,
            notification_type=notification_type,
            title=title,
            message=message,
            data=data,
        )
        for user_id in sorted(user_ids)
    )
    transaction.on_commit(lambda: notifications_push(notifications))
    return notifications


def notifications_create_each(
    *,
    users: Iterable[User | str],
    notification_type: str,
    notices: Iterable[tuple[str, str, dict[str, Any] | None]],
) -> list[Notification]:
    """Notify several users of several things (``(title, message, data)`` each), every user
    of every notice, with one bulk insert; their open sockets get them once the transaction
    commits."""
    user_ids = sorted({user if isinstance(user, str) else user.pk for user in users})
    notifications = Notification.objects.bulk_create(
        Notification(
            user_id=user_id,
            notification_type=notification_type,
            title=title,
            message=message,
            data=data,
        )
        for title, message, data in notices
        for user_id in user_ids
    )
    transaction.on_commit(lambda: notifications_push(notifications))
    return notifications


def notification_mark_read(*, notification: Notification) -> Notification:
    if not notification.is_read:
        notification.is_read = True
        notification.read_at_ts = unix_now()
        notification.save(update_fields=["is_read", "read_at_ts"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many changed."""
    return Notification.objects.filter(user=user, is_read=False).update(
        is_read=True, read_at_ts=unix_now()
    )


def notification_delete(*, notification: Notification) -> None:
    notification.delete()
