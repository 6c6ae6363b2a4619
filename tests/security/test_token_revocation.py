"""JWTs carry an issue time and a session start: a password change or a suspension ends
every session, refresh cannot extend a session forever, and the earlier engine's tokens
(signed with the same secret, without iat) stay valid until their own exp unless revoked."""

import jwt
import pytest
from django.conf import settings

from accounts.models import User
from accounts.services.users import user_password_change, user_tokens_invalidate
from defarm.timeutils import unix_now
from tests.accounts.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "An0ther-secret!"
DAY = 24 * 3600


def login(client, user, password=DEFAULT_PASSWORD) -> str:
    response = client.post("/api/auth/login", {"username": user.username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def me(client, token: str):
    return client.get("/users/me/profile", HTTP_AUTHORIZATION=f"Bearer {token}")


def refresh(client, token: str):
    return client.post("/api/auth/refresh", HTTP_AUTHORIZATION=f"Bearer {token}")


def signed(**claims) -> str:
    return jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_tokens_carry_their_issue_time_and_session_start(api_client, user):
    claims = claims_of(login(api_client, user))
    assert abs(claims["iat"] - unix_now()) <= 2
    assert claims["auth_time"] == claims["iat"]
    assert claims["exp"] - claims["iat"] == DAY


def test_a_password_change_ends_every_session(api_client, user):
    first, second = login(api_client, user), login(api_client, user)
    refreshed = refresh(api_client, first).json()["token"]
    user_password_change(user=user, password=NEW_PASSWORD)
    for token in (first, second, refreshed):
        response = me(api_client, token)
        assert response.status_code == 401
        assert response.json()["error"] == "token_revoked"
    assert refresh(api_client, first).status_code == 401
    # A login right after the change (within the same second) is a new, valid session.
    assert me(api_client, login(api_client, user, NEW_PASSWORD)).status_code == 200


def test_suspension_ends_every_session_and_unfreezing_does_not_revive_them(
    api_client, user, staff_client
):
    token = login(api_client, user)
    url = f"/api/admin/users/{user.pk}"
    assert staff_client.put(url, {"status": "Suspended"}, format="json").status_code == 200
    assert me(api_client, token).status_code == 401
    assert staff_client.put(url, {"status": "Active"}, format="json").status_code == 200
    assert me(api_client, token).json()["error"] == "token_revoked"
    assert me(api_client, login(api_client, user)).status_code == 200


def test_refresh_keeps_the_session_start_and_never_passes_the_session_end(api_client, user):
    lifetime = int(settings.JWT_SESSION_LIFETIME.total_seconds())
    started = unix_now() - lifetime + 3600  # one hour of the session left
    token = signed(
        user_id=user.pk,
        workspace_id=user.workspace_id,
        iat=unix_now() - 60,
        auth_time=started,
        exp=unix_now() + 600,
    )
    response = refresh(api_client, token)
    assert response.status_code == 200, response.content
    claims = claims_of(response.json()["token"])
    assert claims["auth_time"] == started
    assert claims["exp"] == started + lifetime


def test_refresh_of_an_ended_session_is_refused(api_client, user):
    lifetime = int(settings.JWT_SESSION_LIFETIME.total_seconds())
    token = signed(
        user_id=user.pk,
        workspace_id=user.workspace_id,
        iat=unix_now() - 60,
        auth_time=unix_now() - lifetime - 1,
        exp=unix_now() + 600,
    )
    response = refresh(api_client, token)
    assert response.status_code == 401
    assert response.json()["error"] == "session_expired"


def test_engine_tokens_without_iat_stay_valid_until_their_exp(api_client, user):
    token = signed(user_id=user.pk, workspace_id=user.workspace_id, exp=unix_now() + DAY - 5)
    assert me(api_client, token).status_code == 200
    refreshed = refresh(api_client, token)
    assert refreshed.status_code == 200
    # The engine issued its tokens 24 h before exp: that is the session's start.
    started = claims_of(refreshed.json()["token"])["auth_time"]
    assert abs(started - (unix_now() - 5)) <= 2
    expired = signed(user_id=user.pk, workspace_id=user.workspace_id, exp=unix_now() - 120)
    assert me(api_client, expired).json()["error"] == "token_expired"


def test_engine_tokens_issued_before_an_invalidation_are_refused(api_client, user):
    issued_an_hour_ago = signed(user_id=user.pk, workspace_id=None, exp=unix_now() + DAY - 3600)
    user_tokens_invalidate(user=user)
    assert me(api_client, issued_an_hour_ago).json()["error"] == "token_revoked"
    User.objects.filter(pk=user.pk).update(tokens_valid_after_ts=unix_now() - 7200)
    assert me(api_client, issued_an_hour_ago).status_code == 200


def test_a_token_claiming_to_be_issued_in_the_future_is_refused(api_client, user):
    token = signed(user_id=user.pk, iat=unix_now() + 3600, exp=unix_now() + DAY)
    assert me(api_client, token).status_code == 401


def test_a_token_without_iat_expiring_beyond_the_engines_24_hours_is_refused(api_client, user):
    # The engine never issued one, and its issue time could not be known to revoke it.
    token = signed(user_id=user.pk, workspace_id=None, exp=2**31 - 1)
    assert me(api_client, token).status_code == 401
