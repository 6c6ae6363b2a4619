"""API keys travel only in headers: in the query string or the body they are refused (and the
request is not authenticated by them); in ``X-API-Key`` or ``Authorization: Bearer`` they work.
Forged or tampered credentials get a 401 in the error shape."""

import datetime

import jwt
import pytest
from django.conf import settings

from accounts.services.api_keys import api_key_create


@pytest.fixture
def raw_key(user) -> str:
    _key, plaintext = api_key_create(user=user, name="transport", permissions=["read", "write"])
    return plaintext


def test_a_key_in_a_header_works(api_client, raw_key, user):
    by_header = api_client.get("/users/me/profile", HTTP_X_API_KEY=raw_key)
    by_bearer = api_client.get("/users/me/profile", HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    assert by_header.status_code == 200
    assert by_header.json()["user_id"] == user.user_id
    assert by_bearer.status_code == 200


@pytest.mark.parametrize("name", ["api_key", "apikey", "x-api-key", "key", "token", "access_token"])
def test_a_key_in_the_query_string_is_refused(api_client, raw_key, name):
    response = api_client.get(f"/users/me/profile?{name}={raw_key}")

    assert response.status_code in (400, 401)
    assert response.json()["error"] in {"api_key_in_query", "not_authenticated"}
    assert raw_key not in response.content.decode()


def test_a_key_in_the_query_string_is_refused_even_beside_a_valid_header(api_client, raw_key):
    response = api_client.get(f"/users/me/profile?api_key={raw_key}", HTTP_X_API_KEY=raw_key)

    assert response.status_code == 400
    assert response.json()["error"] == "api_key_in_query"


def test_a_key_in_the_body_is_refused(api_client, raw_key):
    response = api_client.post(
        "/api/circuits", {"name": "Via body", "api_key": raw_key}, format="json"
    )

    assert response.status_code in (400, 401)
    assert response.json()["error"] in {"api_key_in_body", "not_authenticated"}


def test_a_key_in_the_body_is_refused_beside_a_valid_header(api_client, raw_key):
    response = api_client.post(
        "/api/circuits", {"name": "Via body", "api_key": raw_key}, format="json",
        HTTP_X_API_KEY=raw_key,
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["error"] == "api_key_in_body"


@pytest.mark.parametrize(
    "credential",
    ["dfm_" + "A" * 32, "dfm_short", "not-a-key"],
)
def test_an_unknown_key_is_401(api_client, credential, db):
    response = api_client.get("/users/me/profile", HTTP_X_API_KEY=credential)

    assert response.status_code == 401
    assert response.json()["error"] in {"invalid_api_key", "not_authenticated"}


def jwt_with(user, *, secret=None, algorithm="HS256", **changes):
    now = datetime.datetime.now(tz=datetime.UTC)
    claims = {
        "user_id": user.user_id,
        "workspace_id": user.workspace_id,
        "exp": int((now + datetime.timedelta(hours=1)).timestamp()),
        **changes,
    }
    return jwt.encode(claims, secret or settings.JWT_SECRET, algorithm=algorithm)


@pytest.mark.parametrize(
    "token_for",
    [
        lambda user: jwt_with(user, secret="another-secret-of-sufficient-length-123456"),
        lambda user: jwt_with(user, exp=1),
        lambda user: jwt_with(user, user_id="user-that-does-not-exist"),
        lambda user: jwt.encode({"user_id": user.user_id}, key="", algorithm="none"),
        lambda user: jwt_with(user)[:-3] + "abc",
    ],
    ids=["wrong secret", "expired", "unknown user", "alg none", "bad signature"],
)
def test_forged_tokens_are_401(api_client, user, token_for):
    response = api_client.get("/users/me/profile", HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")

    assert response.status_code == 401
    assert set(response.json()) >= {"error", "message"}
