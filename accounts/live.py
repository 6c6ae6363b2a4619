"""Live delivery of notifications to the WebSocket ``/api/notifications/ws``.

Each connected socket joins its user's group on the channel layer (``CHANNEL_LAYERS``: Redis
when ``REDIS_URL`` is set, shared by every process and replica; the process's memory
otherwise). ``notifications_push`` sends each notification to its user's group once the
transaction that wrote it has committed; sockets of other users never receive it.

``account_sockets_recheck_on_commit`` tells the same sockets, once a change of the account
commits, to check their credentials again (a freeze, a password change or reset ending every
session, a revoked API key): those the change refused are closed as a refused connection is.
"""

import hashlib
import json
import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from accounts.models import Notification

logger = logging.getLogger("defarm.notifications")

NOTIFICATION_MESSAGE = "notification.created"
ACCOUNT_CHANGED_MESSAGE = "account.changed"


def notifications_group(user_id: str) -> str:
    """The channel-layer group of one user's sockets (group names allow only a few
    characters, so the user id is hashed)."""
    return "notifications." + hashlib.sha256(user_id.encode()).hexdigest()[:48]


def notification_payload(notification: Notification) -> dict:
    """The engine's ``Notification`` as plain JSON values (the layer serialises with
    msgpack)."""
    from accounts.api.serializers import NotificationSerializer

    return json.loads(json.dumps(NotificationSerializer(notification).data, default=str))


def notifications_push(notifications: Iterable[Notification]) -> None:
    """Send each notification to its user's sockets. A failing channel layer is logged and
    never fails the write that notified (the notification stays in the table)."""
    layer = get_channel_layer()
    if layer is None:
        return
    for notification in notifications:
        try:
            async_to_sync(layer.group_send)(
                notifications_group(notification.user_id),
                {"type": NOTIFICATION_MESSAGE, "notification": notification_payload(notification)},
            )
        except Exception:
            logger.exception("Live delivery of notification %s failed", notification.pk)


def account_sockets_recheck(user_id: str, *, reason: str) -> None:
    """Tell every open socket of ``user_id`` (in any process) to check its credentials again.
    A failing channel layer is logged, never raised: the change stands, and the sockets still
    close at their credentials' expiry."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            notifications_group(user_id), {"type": ACCOUNT_CHANGED_MESSAGE, "reason": reason}
        )
    except Exception:
        logger.exception("Telling the sockets of %s to check their credentials failed", user_id)


def account_sockets_recheck_on_commit(user_id: str, *, reason: str) -> None:
    """``account_sockets_recheck`` once the current transaction commits (at once outside
    one), so the sockets read the committed change."""
    transaction.on_commit(lambda: account_sockets_recheck(user_id, reason=reason), robust=True)
