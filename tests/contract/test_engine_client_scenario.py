"""An engine client's day against DeFarm served by gunicorn, as the earlier engine's clients make
it: register, log in, an API key with the permissions object, a local item, push-local into a
circuit that requires approval, the manager's approval, storage history and notifications.
Every request and every field read is one the engine's clients send and read (CONTRACT.md)."""

import json
import urllib.error
import urllib.request
import uuid

import pytest

from tests.serving import child_env, gunicorn

PASSWORD = "Pasture-2024!"


class Client:
    def __init__(self, base: str):
        self.base = base
        self.headers: dict[str, str] = {}

    def call(self, method: str, path: str, body=None) -> tuple[int, object, dict[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, answer_headers = error.code, error.read(), error.headers
        return status, json.loads(raw) if raw else None, dict(answer_headers)

    def ok(self, method: str, path: str, body=None):
        status, answer, _ = self.call(method, path, body)
        assert status == 200, (method, path, status, answer)
        return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = child_env(
        DEBUG="false",
        SECRET_KEY="s" * 50,
        JWT_SECRET="j" * 50,
        ATTESTATION_SIGNING_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        DEFARM_DATA_DIR=str(tmp_path_factory.mktemp("engine-client")),
        DEFARM_TASKS_IMMEDIATE="true",
    )
    with gunicorn(env, workers=2) as running:
        running.wait_until_serving("/health")
        yield running


def register(server, name: str) -> tuple[Client, dict]:
    client = Client(server.base)
    auth = client.ok(
        "POST",
        "/api/auth/register",
        {"username": name, "password": PASSWORD, "email": f"{name}@farm.example"},
    )
    assert auth["user_id"].startswith("user-")
    assert auth["workspace_id"] == f"{name}-workspace"
    assert isinstance(auth["expires_at"], int)
    login = client.ok("POST", "/api/auth/login", {"username": name, "password": PASSWORD})
    assert login["user_id"] == auth["user_id"]
    client.headers["Authorization"] = f"Bearer {login['token']}"
    return client, login


def test_engine_client_day(server):
    suffix = uuid.uuid4().hex[:8]
    cooperative, coop_auth = register(server, f"coop{suffix}")
    farmer, farmer_auth = register(server, f"farm{suffix}")

    # An API key with the engine's permissions object; the key is shown once.
    created = farmer.ok(
        "POST",
        "/api/api-keys",
        {
            "name": "herd sync",
            "organization_type": "Producer",
            "permissions": {"read": True, "write": True, "admin": False, "custom": {}},
        },
    )
    key = created["api_key"]
    assert key.startswith("dfm_") and len(key) == 36
    assert created["metadata"]["key_prefix"] == key[:8]
    assert created["metadata"]["permissions"]["write"] is True
    assert created["metadata"]["organization_type"] == "Producer"
    script = Client(server.base)
    script.headers["X-API-Key"] = key

    # A local item, created by the farm's script.
    local = script.ok(
        "POST",
        "/api/items/local",
        {
            "identifiers": [
                {
                    "namespace": "bovino",
                    "key": "sisbov",
                    "value": "BR" + str(uuid.uuid4().int)[:12],
                    "id_type": "Canonical",
                },
                {"namespace": "bovino", "key": "lot", "value": "L-7", "id_type": "Contextual"},
            ],
            "enriched_data": {"breed": "Nelore"},
        },
    )
    assert local["success"] is True and local["data"]["status"] == "LocalOnly"
    local_id = local["data"]["local_id"]

    # The cooperative's circuit requires approval of pushes; the farm is a member.
    circuit = cooperative.ok(
        "POST",
        "/api/circuits",
        {
            "name": "Cooperative Nelore",
            "description": "Beef cattle of the cooperative",
            "require_approval_for_push": True,
        },
    )
    circuit_id = circuit["circuit_id"]
    assert circuit["owner_id"] == coop_auth["user_id"]
    assert circuit["permissions"]["require_approval_for_push"] is True
    added = cooperative.ok(
        "POST",
        f"/api/circuits/{circuit_id}/members",
        {"member_id": farmer_auth["user_id"], "role": "member"},
    )
    assert farmer_auth["user_id"] in {m["member_id"] for m in added["members"]}

    # Push-local waits for the manager.
    pushed = script.ok("POST", f"/api/circuits/{circuit_id}/push-local", {"local_id": local_id})
    assert pushed["success"] is True
    assert pushed["data"]["local_id"] == local_id and pushed["data"]["operation_id"]

    pending = cooperative.ok("GET", f"/api/circuits/{circuit_id}/pending-items")
    assert pending["success"] is True
    [waiting] = pending["data"]
    assert waiting["pushed_by"] == farmer_auth["user_id"] and waiting["status"] == "Pending"

    # Identity only from credentials: an approval naming someone else as approver is refused.
    approve_path = f"/api/circuits/{circuit_id}/pending-items/{waiting['pending_id']}/approve"
    status, answer, _ = cooperative.call("POST", approve_path, {"admin_id": farmer_auth["user_id"]})
    assert status == 403 and answer["success"] is False, answer

    approved = cooperative.ok("POST", approve_path, {"admin_id": coop_auth["user_id"]})
    assert approved["success"] is True
    dfid = approved["data"]["dfid"]
    assert dfid.startswith("DFID-")
    assert approved["data"]["approved_by"] == coop_auth["user_id"]

    # The local id now maps to the DFID; the item and its storage history answer.
    mapping = script.ok("GET", f"/api/items/mapping/{local_id}")
    assert mapping["data"] == {"local_id": local_id, "dfid": dfid, "status": "Tokenized"}
    item = farmer.ok("GET", f"/api/items/{dfid}")
    assert item["dfid"] == dfid and item["status"] == "Active"
    assert any(identifier["key"] == "sisbov" for identifier in item["identifiers"])
    history = farmer.ok("GET", f"/api/storage-history/{dfid}")
    assert history["success"] is True and history["data"]["dfid"] == dfid
    assert isinstance(history["data"]["storage_records"], list)

    # The farm was told: notifications in the engine's envelope.
    notifications = farmer.ok("GET", "/api/notifications")
    assert notifications["success"] is True
    assert notifications["count"] == len(notifications["data"])
    types = {n["notification_type"] for n in notifications["data"]}
    assert "CircuitItemApproved" in types

    # Without credentials every protected route is a 401 in the one error shape.
    status, answer, _ = Client(server.base).call("GET", "/api/notifications")
    assert status == 401 and answer["success"] is False
