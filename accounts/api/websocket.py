"""``GET /api/notifications/ws``: the caller's notifications, live, over a WebSocket.

Credentials: ``?token=<JWT>`` (as the earlier engine), or an API key in ``X-API-Key`` /
``Authorization: Bearer dfm_...`` (clients that can set headers on the upgrade request). They
are checked by the API's own authentication classes, so revoked tokens, frozen accounts and
the key's IP and endpoint lists hold here as on every route.

Server to client (JSON text frames): ``{"type": "connected", "message", "user_id"}``, then
``{"type": "unread_count", "count"}``, then ``{"type": "notification", "data": Notification}``
for each notification written for the caller. Client to server: ``{"action": "mark_read",
"notification_id"}``, ``{"action": "mark_all_read"}`` (both answered with the new
``unread_count``) and ``{"action": "ping"}`` (answered ``{"type": "pong"}``).

Refusals: the socket is accepted, sent ``{"type": "error", "success": false, "error",
"message"}`` and closed with 4401 (no or bad credentials), 4403 (the key may not be used
here) or 4429 (the key's rate limit).

An open socket is closed the same way (an ``error`` frame, then 4401) when its credentials
stop being valid:

- at the token's ``exp`` (``token_expired``), or the API key's expiry (``api_key_expired``);
- when the account is frozen or deactivated (``account_inactive``), when all its sessions
  end (a password change or reset: ``token_revoked``), or when the key is revoked or deleted
  (``api_key_inactive``). The service making the change sends ``account.changed`` to the
  user's group on the channel layer once it commits (``accounts.live``), so the sockets of
  every process check their credentials again; those still valid (an API key across a
  password reset, a token issued after it) stay open.
"""

import asyncio
import io
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.handlers.asgi import ASGIRequest
from rest_framework import exceptions
from rest_framework.request import Request

from accounts import selectors
from accounts.live import notifications_group
from accounts.models import ApiKey, User
from accounts.services import notifications as notification_services
from defarm.api.authentication import (
    APIKeyAuthentication,
    JWTAuthentication,
    api_key_expired_error,
    api_key_usable_check,
    jwt_claims_user,
    jwt_expired_error,
)

CONNECTED_MESSAGE = "WebSocket connected to notifications"
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_RATE_LIMITED = 4429


def websocket_credentials(scope: dict[str, Any]) -> tuple[User, dict[str, Any] | ApiKey]:
    """The user the upgrade request's credentials name, with the token's claims or the API
    key; raises the API's authentication errors. ``?token=`` becomes the ``Authorization:
    Bearer`` header the API reads."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    token = (query.get("token") or [""])[-1].strip()
    headers = list(scope.get("headers", []))
    has_credentials_header = any(name in (b"authorization", b"x-api-key") for name, _ in headers)
    if token and not has_credentials_header:
        headers.append((b"authorization", f"Bearer {token}".encode("latin-1")))
    http_scope = {**scope, "type": "http", "method": "GET", "query_string": b"", "headers": headers}
    request = Request(ASGIRequest(http_scope, io.BytesIO()))
    for authenticator in (APIKeyAuthentication(), JWTAuthentication()):
        result = authenticator.authenticate(request)
        if result is not None:
            return result
    raise exceptions.NotAuthenticated(
        "Authentication required: connect with ?token=<JWT> or an X-API-Key header."
    )


def websocket_credentials_check(credentials: dict[str, Any] | ApiKey) -> None:
    """Check an open socket's credentials again (the account, the token's revocation, the
    key's state as they are now); raises the API's authentication errors."""
    if isinstance(credentials, ApiKey):
        api_key = ApiKey.objects.select_related("user").filter(pk=credentials.pk).first()
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                "The API key has been revoked.", "api_key_inactive"
            )
        api_key_usable_check(api_key)
        return
    if credentials["exp"] <= time.time():
        raise jwt_expired_error()
    jwt_claims_user(credentials)


def credentials_expiry(credentials: dict[str, Any] | ApiKey) -> tuple[float | None, Any]:
    """When the credentials expire (Unix seconds, None: never) and the error then."""
    if isinstance(credentials, ApiKey):
        return credentials.expires_at_ts, api_key_expired_error
    return credentials["exp"], jwt_expired_error


def _refusal(error: exceptions.APIException) -> tuple[dict[str, Any], int]:
    codes = error.get_codes()
    code = codes if isinstance(codes, str) else "not_authenticated"
    if isinstance(error, exceptions.Throttled):
        close_code = CLOSE_RATE_LIMITED
    elif isinstance(error, exceptions.PermissionDenied):
        close_code = CLOSE_FORBIDDEN
    else:
        close_code = CLOSE_UNAUTHENTICATED
    message = {"type": "error", "success": False, "error": code, "message": str(error.detail)}
    return message, close_code


class NotificationConsumer(AsyncWebsocketConsumer):
    user: User | None = None
    credentials: dict[str, Any] | ApiKey | None = None
    group: str | None = None
    expiry: asyncio.Task | None = None

    async def connect(self) -> None:
        await self.accept()
        try:
            self.user, self.credentials = await database_sync_to_async(websocket_credentials)(
                self.scope
            )
        except exceptions.APIException as error:
            await self.refuse(error)
            return
        self.group = notifications_group(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        expires_at, expired_error = credentials_expiry(self.credentials)
        if expires_at is not None:
            self.expiry = asyncio.create_task(self.close_at(expires_at, expired_error()))
        await self.send_json(
            {"type": "connected", "message": CONNECTED_MESSAGE, "user_id": self.user.pk}
        )
        await self.send_unread_count()

    async def refuse(self, error: exceptions.APIException) -> None:
        """Send the refusal's ``error`` frame and close with its code; nothing is sent on
        this socket afterwards."""
        self.user = None
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        message, close_code = _refusal(error)
        await self.send_json(message)
        await self.close(code=close_code, reason=message["error"])

    async def close_at(self, expires_at: float, error: exceptions.APIException) -> None:
        """Close the socket once its credentials expire."""
        while (delay := expires_at - time.time()) > 0:
            await asyncio.sleep(delay)
        self.expiry = None
        if self.user is not None:
            await self.refuse(error)

    async def disconnect(self, code: int) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
            self.expiry = None
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def account_changed(self, event: dict[str, Any]) -> None:
        """The account changed (``accounts.live.account_sockets_recheck``): close the socket
        if its credentials no longer hold."""
        if self.user is None:
            return
        try:
            await database_sync_to_async(websocket_credentials_check)(self.credentials)
        except exceptions.APIException as error:
            if self.expiry is not None:
                self.expiry.cancel()
                self.expiry = None
            await self.refuse(error)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if self.user is None:
            return
        try:
            content = json.loads(text_data or (bytes_data or b"").decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            content = None
        action = content.get("action") if isinstance(content, dict) else None
        if action == "ping":
            await self.send_json({"type": "pong"})
        elif action == "mark_all_read":
            await database_sync_to_async(notification_services.notifications_mark_all_read)(
                user=self.user
            )
            await self.send_unread_count()
        elif action == "mark_read":
            found = await database_sync_to_async(self._mark_read)(content.get("notification_id"))
            if found:
                await self.send_unread_count()
            else:
                await self.send_error("not_found", "No such notification of yours.")
        else:
            await self.send_error(
                "unknown_action",
                'Send JSON {"action": "mark_read", "notification_id": "..."}, '
                '{"action": "mark_all_read"} or {"action": "ping"}.',
            )

    def _mark_read(self, notification_id: Any) -> bool:
        notification = (
            selectors.notifications_for(user=self.user).filter(pk=notification_id).first()
            if _is_uuid(notification_id)
            else None
        )
        if notification is None:
            return False
        notification_services.notification_mark_read(notification=notification)
        return True

    async def notification_created(self, event: dict[str, Any]) -> None:
        """A notification of this user, sent by ``accounts.live.notifications_push``."""
        if self.user is None:
            return
        await self.send_json({"type": "notification", "data": event["notification"]})

    async def send_unread_count(self) -> None:
        count = await database_sync_to_async(selectors.notifications_unread_count)(user=self.user)
        await self.send_json({"type": "unread_count", "count": count})

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "success": False, "error": code, "message": message})

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
