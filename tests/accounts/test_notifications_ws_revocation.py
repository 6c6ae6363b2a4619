"""An open notification WebSocket closes when its credentials stop being valid: at the token's
expiry, when staff freeze the account, when a password reset ends every session, when the API
key it was opened with is revoked. The changes reach the socket through the channel layer
(in-memory here), sent by the services once they commit."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction

from accounts.models import PasswordResetToken, UserStatus
from accounts.services.api_keys import api_key_create, api_key_revoke
from accounts.services.password_reset import password_reset_confirm, password_reset_token_hash
from accounts.services.staff import user_set_status
from accounts.tokens import jwt_issue
from defarm.timeutils import unix_now
from tests.accounts.test_notifications_ws import TIMEOUT, open_socket, receive, socket

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "N3w-pasture!"


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def committed(django_capture_on_commit_callbacks, change):
    """``change`` run in a transaction of its own inside the test's, its commit callbacks run
    as a commit would run them; awaitable from the scenario."""

    def run(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return change(*args, **kwargs)

    return sync_to_async(run)


async def assert_closed_with(communicator, error: str, code: int = 4401) -> None:
    refusal = await receive(communicator)
    assert refusal == {
        "type": "error",
        "success": False,
        "error": error,
        "message": refusal["message"],
    }
    closed = await communicator.receive_output(timeout=TIMEOUT)
    assert closed == {"type": "websocket.close", "code": code, "reason": error}


async def skip_unread_count(communicator) -> None:
    assert (await receive(communicator))["type"] == "unread_count"


def test_the_socket_closes_when_the_token_expires(user, settings):
    settings.JWT_LIFETIME = timedelta(seconds=2)
    token, _ = jwt_issue(user=user)

    async def scenario():
        communicator = socket(f"/api/notifications/ws?token={token}")
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        assert (await receive(communicator))["type"] == "connected"
        await skip_unread_count(communicator)
        await communicator.send_to(text_data=json.dumps({"action": "ping"}))
        assert await receive(communicator) == {"type": "pong"}  # open before the expiry
        await assert_closed_with(communicator, "token_expired")

    async_to_sync(scenario)()


def test_a_socket_closed_early_leaves_no_expiry_pending(user, settings):
    settings.JWT_LIFETIME = timedelta(seconds=1)

    async def scenario():
        communicator = await open_socket(user)
        await skip_unread_count(communicator)
        await communicator.disconnect()
        assert await communicator.receive_nothing(timeout=1.5)  # no error frame, no close

    async_to_sync(scenario)()


def test_freezing_the_account_closes_its_sockets_and_no_one_elses(
    user, other_user, staff_user, django_capture_on_commit_callbacks
):
    freeze = committed(django_capture_on_commit_callbacks, user_set_status)

    async def scenario():
        frozen = await open_socket(user)
        other = await open_socket(other_user)
        await skip_unread_count(frozen)
        await skip_unread_count(other)
        await freeze(admin=staff_user, user=user, status=UserStatus.SUSPENDED)
        await assert_closed_with(frozen, "account_inactive")
        assert await frozen.receive_nothing(timeout=0.3)  # not even the "frozen" notification
        assert await other.receive_nothing(timeout=0.3)
        await other.send_to(text_data=json.dumps({"action": "ping"}))
        assert await receive(other) == {"type": "pong"}
        await other.disconnect()

    async_to_sync(scenario)()


def test_unfreezing_leaves_sockets_opened_since_open(
    user, staff_user, django_capture_on_commit_callbacks
):
    change_status = committed(django_capture_on_commit_callbacks, user_set_status)
    user_set_status(admin=staff_user, user=user, status=UserStatus.SUSPENDED)

    async def scenario():
        await change_status(admin=staff_user, user=user, status=UserStatus.ACTIVE)
        communicator = await open_socket(user)  # a token issued after the freeze
        await skip_unread_count(communicator)
        await communicator.send_to(text_data=json.dumps({"action": "ping"}))
        assert await receive(communicator) == {"type": "pong"}
        await communicator.disconnect()

    async_to_sync(scenario)()


def reset_password(user) -> None:
    token = "ab" * 32
    now = unix_now()
    PasswordResetToken.objects.create(
        user=user,
        token_hash=password_reset_token_hash(token),
        created_at_ts=now,
        expires_at_ts=now + 600,
    )
    password_reset_confirm(token=token, new_password=NEW_PASSWORD)


def test_a_password_reset_closes_token_sockets_but_not_api_key_sockets(
    user, django_capture_on_commit_callbacks
):
    _, key = api_key_create(user=user, name="live")
    reset = committed(django_capture_on_commit_callbacks, reset_password)

    async def scenario():
        by_token = await open_socket(user)
        by_key = socket("/api/notifications/ws", headers=[(b"x-api-key", key.encode())])
        assert (await by_key.connect(timeout=TIMEOUT))[0]
        assert (await receive(by_key))["type"] == "connected"
        await skip_unread_count(by_token)
        await skip_unread_count(by_key)
        await reset(user)
        await assert_closed_with(by_token, "token_revoked")
        await by_key.send_to(text_data=json.dumps({"action": "ping"}))
        assert await receive(by_key) == {"type": "pong"}  # keys survive a password change
        await by_key.disconnect()

        await sync_to_async(user.refresh_from_db)()
        again = await open_socket(user)  # a token issued after the reset works
        await skip_unread_count(again)
        await again.disconnect()

    async_to_sync(scenario)()


def test_revoking_the_api_key_closes_the_socket_it_opened(user, django_capture_on_commit_callbacks):
    api_key, key = api_key_create(user=user, name="live")
    revoke = committed(django_capture_on_commit_callbacks, api_key_revoke)

    async def scenario():
        by_key = socket("/api/notifications/ws", headers=[(b"x-api-key", key.encode())])
        assert (await by_key.connect(timeout=TIMEOUT))[0]
        assert (await receive(by_key))["type"] == "connected"
        await skip_unread_count(by_key)
        by_token = await open_socket(user)
        await skip_unread_count(by_token)
        await revoke(api_key=api_key, actor=user)
        await assert_closed_with(by_key, "api_key_inactive")
        await by_token.send_to(text_data=json.dumps({"action": "ping"}))
        assert await receive(by_token) == {"type": "pong"}
        await by_token.disconnect()

    async_to_sync(scenario)()


def test_a_change_is_sent_only_once_it_commits(
    user, staff_user, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "accounts.live.account_sockets_recheck",
        lambda user_id, *, reason: sent.append((user_id, reason)),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        user_set_status(admin=staff_user, user=user, status=UserStatus.SUSPENDED)
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [(user.pk, "sessions_ended")]
