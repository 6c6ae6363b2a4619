"""The live notification WebSocket against DeFarm as deployed: gunicorn with uvicorn workers
(railway.json's start command and gunicorn.conf.py) serving ``defarm.asgi``, real WebSocket
clients, and notifications written by ordinary HTTP requests.

With one worker the in-memory channel layer carries them; with two workers and ``REDIS_URL``
the Redis layer carries them from the worker that handled the request to the one holding the
socket."""

import base64
import json
import socket
import subprocess
import time
import uuid
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.contract.test_engine_client_scenario import register
from tests.serving import PYTHON, ROOT, child_env, gunicorn

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def serve(tmp_path_factory, name: str, **extra):
    env = child_env(
        DEBUG="false",
        SECRET_KEY="s" * 50,
        JWT_SECRET="j" * 50,
        ATTESTATION_SIGNING_KEY=base64.b64encode(b"k" * 32).decode(),
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        DEFARM_DATA_DIR=str(tmp_path_factory.mktemp(name)),
        DEFARM_TASKS_IMMEDIATE="true",
        **extra,
    )
    return env


def receive(websocket, timeout: float = 5) -> dict:
    return json.loads(websocket.recv(timeout=timeout))


def open_socket(stack: ExitStack, server, token: str):
    websocket = stack.enter_context(
        connect(f"ws://127.0.0.1:{server.port}/api/notifications/ws?token={token}")
    )
    hello = receive(websocket)
    assert hello["type"] == "connected"
    assert receive(websocket)["type"] == "unread_count"
    return websocket, hello["user_id"]


def exchange(server) -> None:
    """Two users with a socket each; a request adds one to the other's circuit: exactly that
    user's socket gets the notification, within a second."""
    suffix = uuid.uuid4().hex[:8]
    owner, owner_auth = register(server, f"owner{suffix}")
    member, member_auth = register(server, f"member{suffix}")
    with ExitStack() as stack:
        owner_socket, owner_id = open_socket(stack, server, owner_auth["token"])
        member_socket, member_id = open_socket(stack, server, member_auth["token"])
        assert (owner_id, member_id) == (owner_auth["user_id"], member_auth["user_id"])
        circuit = owner.ok("POST", "/api/circuits", {"name": f"Live {suffix}", "description": ""})
        sent_at = time.monotonic()
        owner.ok(
            "POST",
            f"/api/circuits/{circuit['circuit_id']}/members",
            {"member_id": member_id, "role": "member"},
        )
        pushed = receive(member_socket, timeout=1)
        assert time.monotonic() - sent_at < 1.5
        assert pushed["type"] == "notification"
        assert pushed["data"]["user_id"] == member_id
        assert pushed["data"]["notification_type"] == "MemberAdded"
        listed = member.ok("GET", "/api/notifications")["data"]
        assert pushed["data"]["id"] in {n["id"] for n in listed}
        with pytest.raises(TimeoutError):
            owner_socket.recv(timeout=0.5)  # never another user's notification


def refused(server, query: str) -> tuple[dict, int]:
    with connect(f"ws://127.0.0.1:{server.port}/api/notifications/ws{query}") as websocket:
        message = receive(websocket)
        with pytest.raises(ConnectionClosed):
            websocket.recv(timeout=5)
        return message, websocket.close_code


def test_one_uvicorn_worker_delivers_live_and_refuses_bad_tokens(tmp_path_factory):
    with gunicorn(serve(tmp_path_factory, "ws-one"), workers=1) as server:
        server.wait_until_serving("/health")
        exchange(server)
        message, code = refused(server, "?token=not-a-jwt")
        assert (message["error"], code) == ("invalid_token", 4401)
        message, code = refused(server, "")
        assert (message["error"], code) == ("not_authenticated", 4401)
        # HTTP is served as before by the same workers.
        plain = register(server, f"plain{uuid.uuid4().hex[:8]}")[0]
        status, answer, _ = plain.call("GET", "/api/notifications/ws")
        assert status == 426 and answer["error"] == "upgrade_required"
        status, answer, _ = plain.call("GET", "/api/items/not-a-dfid")
        assert status == 404 and answer["success"] is False
        assert "UvicornWorker" in server.output
        assert "token=[redacted]" in server.output
        assert "token=eyJ" not in server.output  # no JWT in the access lines


@pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379")
def test_two_workers_share_notifications_through_redis(tmp_path_factory):
    env = serve(tmp_path_factory, "ws-redis", REDIS_URL=REDIS_URL)
    with gunicorn(env, workers=2) as server:
        try:
            two_workers(server, env)
        except Exception as error:
            raise AssertionError(f"{error!r}\n{server.output[-5000:]}") from error


def two_workers(server, env) -> None:
    if True:
        server.wait_until_serving("/health")
        for _ in range(4):  # requests and sockets land on either worker
            exchange(server)

        # A notification written by a process that serves nothing (a management command).
        _, auth = register(server, f"cli{uuid.uuid4().hex[:8]}")
        with ExitStack() as stack:
            websocket, user_id = open_socket(stack, server, auth["token"])
            write = (
                "from django.db import transaction\n"
                "from accounts.services.notifications import notification_create\n"
                "with transaction.atomic():\n"
                f"    notification_create(user={user_id!r}, notification_type='credits_adjusted',"
                " title='From the shell', message='m')\n"
            )
            subprocess.run(
                [PYTHON, "manage.py", "shell", "-c", write],
                cwd=ROOT,
                env={**env, "DEFARM_TESTING": ""},
                check=True,
                timeout=120,
            )
            pushed = receive(websocket)
            assert pushed["data"]["title"] == "From the shell"
            assert pushed["data"]["user_id"] == user_id
