"""The WebSocket routes of the ASGI application (``defarm.asgi``)."""

from channels.routing import URLRouter
from django.urls import re_path

from accounts.api.websocket import NotificationConsumer

websocket_application = URLRouter(
    [re_path(r"^api/notifications/ws/?$", NotificationConsumer.as_asgi())]
)
