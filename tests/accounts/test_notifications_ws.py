"""The live notification WebSocket (``/api/notifications/ws``) through the ASGI application,
with channels' ``WebsocketCommunicator`` and the in-memory channel layer."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from accounts.models import Notification
from accounts.services.api_keys import api_key_create
from accounts.services.notifications import notification_create, notifications_create_many
from accounts.tokens import jwt_issue
from defarm.routing import websocket_application as application

pytestmark = pytest.mark.django_db

TIMEOUT = 3


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """The consumer's database calls run on the test's connection (inside its transaction);
    channels would close it between calls when connections are not reused (CONN_MAX_AGE 0)."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def token_for(user) -> str:
    return jwt_issue(user=user)[0]


def socket(path: str, headers=None) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=headers or [])


async def receive(communicator) -> dict:
    return json.loads(await communicator.receive_from(timeout=TIMEOUT))


async def open_socket(user, path="/api/notifications/ws") -> WebsocketCommunicator:
    communicator = socket(f"{path}?token={token_for(user)}")
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    hello = await receive(communicator)
    assert hello == {
        "type": "connected",
        "message": "WebSocket connected to notifications",
        "user_id": user.pk,
    }
    return communicator


def notify(user, title="Hello") -> Notification:
    """A notification written as the services write them: sent once the transaction commits."""
    with transaction.atomic():
        notification = notification_create(
            user=user, notification_type="member_added", title=title, message="You were added"
        )
    return notification


def run_with_commits(django_capture_on_commit_callbacks):
    """``notify`` inside the test's transaction, with the commit callbacks run as a commit
    would run them."""

    def write(user, title="Hello"):
        with django_capture_on_commit_callbacks(execute=True):
            return notify(user, title)

    return sync_to_async(write)


def test_the_caller_gets_the_greeting_the_unread_count_and_each_new_notification(
    user, django_capture_on_commit_callbacks
):
    notify_async = run_with_commits(django_capture_on_commit_callbacks)
    notification_create(user=user, notification_type="member_added", title="Old", message="m")

    async def scenario():
        communicator = await open_socket(user)
        assert await receive(communicator) == {"type": "unread_count", "count": 1}
        notification = await notify_async(user, "Added to Valley traders")
        pushed = await receive(communicator)
        assert pushed["type"] == "notification"
        assert pushed["data"]["id"] == str(notification.pk)
        assert pushed["data"]["user_id"] == user.pk
        assert pushed["data"]["title"] == "Added to Valley traders"
        assert pushed["data"]["notification_type"] == "MemberAdded"
        assert pushed["data"]["read"] is False
        assert set(pushed["data"]) >= {"message", "timestamp", "data"}

        await communicator.send_to(text_data=json.dumps({"action": "ping"}))
        assert await receive(communicator) == {"type": "pong"}
        await communicator.send_to(
            text_data=json.dumps({"action": "mark_read", "notification_id": str(notification.pk)})
        )
        assert await receive(communicator) == {"type": "unread_count", "count": 1}
        await communicator.send_to(text_data=json.dumps({"action": "mark_all_read"}))
        assert await receive(communicator) == {"type": "unread_count", "count": 0}
        await communicator.send_to(text_data="not json")
        assert (await receive(communicator))["error"] == "unknown_action"
        await communicator.disconnect()

    async_to_sync(scenario)()
    assert not Notification.objects.filter(user=user, is_read=False).exists()


def test_another_users_notifications_are_never_delivered(
    user, other_user, django_capture_on_commit_callbacks
):
    notify_async = run_with_commits(django_capture_on_commit_callbacks)
    theirs = notification_create(
        user=other_user, notification_type="member_added", title="Theirs", message="m"
    )

    async def scenario():
        mine = await open_socket(user, "/api/notifications/ws/")
        other = await open_socket(other_user)
        await receive(mine)  # unread counts
        await receive(other)
        await notify_async(other_user, "For the other user")
        assert (await receive(other))["data"]["title"] == "For the other user"
        assert await mine.receive_nothing(timeout=0.5)
        await mine.send_to(
            text_data=json.dumps({"action": "mark_read", "notification_id": str(theirs.pk)})
        )
        assert (await receive(mine))["error"] == "not_found"
        await notify_async(user, "Mine")
        assert (await receive(mine))["data"]["title"] == "Mine"
        assert await other.receive_nothing(timeout=0.5)
        await mine.disconnect()
        await other.disconnect()

    async_to_sync(scenario)()
    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_a_bulk_notification_reaches_each_of_its_users(
    user, other_user, django_capture_on_commit_callbacks
):
    def write():
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            notifications_create_many(
                users=[user, other_user],
                notification_type="item_pending_approval",
                title="Item waits",
                message="m",
            )

    async def scenario():
        sockets = [await open_socket(user), await open_socket(other_user)]
        for communicator in sockets:
            await receive(communicator)
        await sync_to_async(write)()
        for communicator, who in zip(sockets, (user, other_user), strict=True):
            pushed = await receive(communicator)
            assert pushed["data"]["user_id"] == who.pk
            await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "query",
    ["", "?token=", "?token=not-a-jwt", "?token=eyJhbGciOiJIUzI1NiJ9.e30.x"],
)
def test_without_valid_credentials_the_socket_is_closed_with_4401(query):
    async def scenario():
        communicator = socket(f"/api/notifications/ws{query}")
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        refusal = await receive(communicator)
        assert refusal["type"] == "error" and refusal["success"] is False
        assert refusal["error"] in {"not_authenticated", "invalid_token"}
        closed = await communicator.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": 4401, "reason": refusal["error"]}

    async_to_sync(scenario)()


def test_an_expired_token_is_refused(user, settings):
    import jwt as pyjwt

    from accounts.tokens import jwt_decode

    claims = jwt_decode(token_for(user))
    claims["exp"] = 1
    expired = pyjwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")

    async def scenario():
        communicator = socket(f"/api/notifications/ws?token={expired}")
        await communicator.connect(timeout=TIMEOUT)
        assert (await receive(communicator))["error"] == "token_expired"
        assert (await communicator.receive_output(timeout=TIMEOUT))["code"] == 4401

    async_to_sync(scenario)()


def test_an_api_key_header_works_and_its_endpoint_list_holds(user):
    _, key = api_key_create(user=user, name="live")
    _, elsewhere = api_key_create(user=user, name="items only", allowed_endpoints=["/api/items"])

    async def scenario():
        communicator = socket("/api/notifications/ws", headers=[(b"x-api-key", key.encode())])
        await communicator.connect(timeout=TIMEOUT)
        assert (await receive(communicator))["user_id"] == user.pk
        await communicator.disconnect()

        communicator = socket(
            "/api/notifications/ws", headers=[(b"authorization", f"Bearer {elsewhere}".encode())]
        )
        await communicator.connect(timeout=TIMEOUT)
        assert (await receive(communicator))["error"] == "endpoint_not_allowed"
        assert (await communicator.receive_output(timeout=TIMEOUT))["code"] == 4403

    async_to_sync(scenario)()


def test_a_plain_get_is_told_to_upgrade(api_client):
    response = api_client.get("/api/notifications/ws")
    assert response.status_code == 426
    assert response.json()["error"] == "upgrade_required"
    assert response["Upgrade"] == "websocket"


def test_a_failing_channel_layer_never_fails_the_write(
    user, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("redis is down")

    monkeypatch.setattr("accounts.live.get_channel_layer", lambda: BrokenLayer())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(user)
    assert len(callbacks) == 1
    assert Notification.objects.filter(pk=notification.pk).exists()
    assert "Live delivery of notification" in caplog.text
