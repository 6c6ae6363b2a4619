"""No answer ever holds a secret: every GET operation of the OpenAPI schema is called (as the
owner of a world full of secrets and as staff), and no body contains a password, a password
hash, an API key or its hash, webhook credentials or a circuit access password."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.accounts.factories import StaffFactory
from tests.conftest import client_for
from tests.security.conftest import CIRCUIT_PASSWORD

PATH_PARAMETER = re.compile(r"\{(\w+)\}")
# Path parameters without an object in the world (the answer is then a 404, still checked).
UNKNOWN = "00000000-0000-4000-8000-000000000000"
# A WebSocket: a plain GET is told to upgrade (426), as it should be.
WEBSOCKET_PATH = "/api/notifications/ws/"


def get_operations() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [path for path, item in schema["paths"].items() if "get" in item]


def concrete(path: str, values: dict[str, str]) -> str:
    if path.startswith("/audit/"):
        values = {**values, "event_id": values["audit_event_id"]}
    return PATH_PARAMETER.sub(lambda match: values.get(match.group(1), UNKNOWN), path)


def parameter_values(world) -> dict[str, str]:
    ids = world.ids
    return {
        **ids,
        "id": ids["receipt_id"],
        "user_id": world.owner.user_id,
        "member_id": world.owner.user_id,
        "requester_id": world.owner.user_id,
        "adapter_type": "local",
        "event_type": "updated",
        "visibility": "private",
        "sequence": "1",
        "network": "stellar-testnet",
    }


def leaked(body: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, secret in secrets.items() if secret and secret in body]


def test_no_get_answer_holds_a_secret(world):
    staff = client_for(StaffFactory())
    values = parameter_values(world)
    operations = get_operations()
    answered = set()
    leaks = []
    for path in operations:
        url = concrete(path, values)
        for who, client in (("owner", world.owner_client), ("staff", staff)):
            response = client.get(url, HTTP_X_CIRCUIT_PASSWORD=CIRCUIT_PASSWORD)
            assert response.status_code < 500, (url, response.status_code)
            if response.status_code == 200 or (
                path == WEBSOCKET_PATH and response.status_code == 426
            ):
                answered.add(path)
            for name in leaked(response.content.decode(), world.secrets):
                leaks.append(f"{who} GET {url}: {name}")
    assert leaks == []
    unanswered = sorted(set(operations) - answered)
    # The walk means something only if nearly every operation really answered.
    assert len(unanswered) <= len(operations) // 10, unanswered


def test_the_api_key_is_shown_once_at_creation_and_never_again(world):
    listed = world.owner_client.get("/api/api-keys").content.decode()
    detail = world.owner_client.get(f"/api/api-keys/{world.ids['key_id']}").content.decode()
    revoked = world.owner_client.post(f"/api/api-keys/{world.ids['key_id']}/revoke").content

    for body in (listed, detail, revoked.decode()):
        assert world.api_key not in body
        assert world.secrets["API key hash"] not in body
    assert world.api_key[:8] in listed  # the prefix identifies it


def test_the_webhook_answer_hides_its_credentials(world):
    path = "/api/circuits/{circuit_id}/post-actions/webhooks/{webhook_id}".format(**world.ids)
    body = world.owner_client.get(path).content.decode()
    changed = world.owner_client.put(path, {"name": "ERP 2"}, format="json").content.decode()
    settings = world.owner_client.get(
        "/api/circuits/{circuit_id}/post-actions".format(**world.ids)
    ).content.decode()

    for text in (body, changed, settings):
        assert world.secrets["webhook token"] not in text
        assert world.secrets["webhook signing secret"] not in text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/register", {"username": "newcomer", "email": "n@example.com"}),
        ("/api/auth/login", {"username": "{username}"}),
    ],
)
def test_auth_answers_hold_no_password_or_hash(world, api_client, path, body):
    password = "An0ther-Secret-pass!"
    if "register" in path:
        body = {**body, "password": password}
    else:
        body = {"username": world.owner.username, "password": world.secrets["account password"]}
        password = world.secrets["account password"]

    response = api_client.post(path, body, format="json")

    assert response.status_code in (200, 201), response.content
    text = response.content.decode()
    assert password not in text
    assert "pbkdf2" not in text and "bcrypt" not in text and "password" not in text


def test_circuit_answers_hide_the_access_password_and_its_hash(world, api_client):
    circuit = world.owner_client.get(f"/api/circuits/{world.ids['circuit_id']}")
    public = api_client.get(f"/api/circuits/{world.ids['circuit_id']}/public")

    for response in (circuit, public):
        text = response.content.decode()
        assert world.secrets["circuit password"] not in text
        assert world.secrets["circuit password hash"] not in text
    assert circuit.json()["public_settings"]["has_password"] is True
