"""Live delivery of notifications to the WebSocket ``/api/notifications/ws``.

Each connected socket joins its user's group on the channel layer (``CHANNEL_LAYERS``: Redis
when ``REDIS_URL`` is set, shared by every process and replica; the process's memory
otherwise). ``notifications_push`` sends each notification to its user's group once the
transaction that wrote it has committed; sockets of other users never receive it.
"""

import hashlib
import json
import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.models import Notification

logger = logging.getLogger("defarm.notifications")

NOTIFICATION_MESSAGE = "notification.created"


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
