"""Password reset through the e-mail outbox, and the engine's short profile."""

import hashlib
import re

import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import PasswordResetToken, UserStatus
from accounts.services.password_reset import password_reset_tokens_prune
from defarm.timeutils import unix_now
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.test_auth_api import assert_error
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "N3w-pasture!"
FORGOT_ANSWER = {"message": "If the account exists, password reset instructions have been sent."}
RESET_ANSWER = {"message": "Password reset successful. You can now log in with your new password."}


@pytest.fixture
def forgot(api_client, django_capture_on_commit_callbacks):
    def send(**body):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post("/api/auth/forgot-password", body, format="json")

    return send


def reset(api_client, token, password=NEW_PASSWORD):
    return api_client.post(
        "/api/auth/reset-password", {"token": token, "new_password": password}, format="json"
    )


def token_in(message) -> str:
    return re.search(r"\b([0-9a-f]{64})\b", message.body).group(1)


def login(api_client, user, password):
    return api_client.post(
        "/api/auth/login", {"username": user.username, "password": password}, format="json"
    )


def test_forgot_then_reset_ends_sessions_and_old_password(api_client, user, forgot):
    old_client = client_for(user)
    assert old_client.get("/api/auth/profile").status_code == 200

    response = forgot(email=user.email.upper())
    assert response.status_code == 200
    assert response.json() == FORGOT_ANSWER
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    token = token_in(mail.outbox[0])
    stored = PasswordResetToken.objects.get(user=user)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash and stored.used_at_ts is None

    response = reset(api_client, token)
    assert response.status_code == 200
    assert response.json() == RESET_ANSWER
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_error(old_client.get("/api/auth/profile"), 401, "token_revoked")
    assert login(api_client, user, DEFAULT_PASSWORD).status_code == 401
    assert login(api_client, user, NEW_PASSWORD).status_code == 200
    # Single use.
    assert_error(reset(api_client, token, "An0ther-pass!"), 400, "invalid_token")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_reset_by_username_uses_up_other_outstanding_tokens(api_client, user, forgot):
    forgot(username=user.username)
    forgot(email=user.email)
    first, second = (token_in(message) for message in mail.outbox)
    assert reset(api_client, second).status_code == 200
    assert_error(reset(api_client, first, "An0ther-pass!"), 400, "invalid_token")


def test_unknown_account_gets_the_same_answer_and_no_mail(user, forgot):
    known = forgot(email=user.email)
    for body in ({"email": "nobody@example.com"}, {"username": "nobody"}):
        unknown = forgot(**body)
        assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
        assert dict(unknown.headers).keys() == dict(known.headers).keys()
    assert len(mail.outbox) == 1


def test_suspended_account_gets_no_mail(forgot):
    frozen = UserFactory(status=UserStatus.SUSPENDED)
    assert forgot(email=frozen.email).json() == FORGOT_ANSWER
    assert mail.outbox == [] and not PasswordResetToken.objects.exists()


def test_email_or_username_required(forgot):
    for body in ({}, {"email": " ", "username": ""}, {"email": None}):
        assert_error(forgot(**body), 400, "validation_error")


@override_settings(PASSWORD_RESET_RATE_LIMIT_PER_HOUR=2)
def test_hourly_limit_answers_alike_for_known_and_unknown_names(user, forgot):
    for name in (user.email, "nobody@example.com"):
        assert forgot(email=name).status_code == 200
        assert forgot(email=name).status_code == 200
        refused = forgot(email=name)
        assert_error(refused, 429, "rate_limit_exceeded")
        assert int(refused["Retry-After"]) > 0
    assert len(mail.outbox) == 2


@override_settings(PASSWORD_RESET_RATE_LIMIT_PER_HOUR=2)
def test_hourly_limit_of_mails_per_account(user, forgot):
    """Naming the account by e-mail and by username counts towards one limit of e-mails;
    past it the answer stays the usual one."""
    forgot(email=user.email)
    forgot(username=user.username)
    third = forgot(username=user.username)
    assert third.status_code == 200 and third.json() == FORGOT_ANSWER
    assert len(mail.outbox) == 2
    assert PasswordResetToken.objects.filter(user=user).count() == 2


def test_expired_token_is_refused(api_client, user, forgot):
    forgot(email=user.email)
    token = token_in(mail.outbox[0])
    PasswordResetToken.objects.update(expires_at_ts=unix_now() - 1)
    assert_error(reset(api_client, token), 400, "invalid_token")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_wrong_or_missing_token(api_client, user, forgot):
    forgot(email=user.email)
    token = token_in(mail.outbox[0])
    assert_error(reset(api_client, "0" * 64), 400, "invalid_token")
    assert_error(reset(api_client, token[:-1]), 400, "invalid_token")
    assert_error(reset(api_client, "not hex at all"), 400, "invalid_token")
    assert_error(reset(api_client, ""), 400, "validation_error")
    assert_error(
        api_client.post("/api/auth/reset-password", {"token": token}, format="json"),
        400,
        "validation_error",
    )
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_weak_password_keeps_the_token_usable(api_client, user, forgot):
    forgot(email=user.email)
    token = token_in(mail.outbox[0])
    assert_error(reset(api_client, token, "short"), 400, "validation_error")
    assert reset(api_client, token.upper()).status_code == 200


@override_settings(DEFARM_PASSWORD_RESET_URL="https://app.defarm.example/reset")
def test_mail_links_to_the_configured_page(user, forgot):
    forgot(email=user.email)
    token = token_in(mail.outbox[0])
    assert f"https://app.defarm.example/reset?token={token}" in mail.outbox[0].body


@override_settings(
    MAILERS={"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {}}}
)
def test_without_mail_configured_nothing_is_printed(user, forgot, caplog):
    assert forgot(email=user.email).json() == FORGOT_ANSWER
    assert mail.outbox == []
    assert "not sent" in caplog.text
    token_hash = PasswordResetToken.objects.get().token_hash  # the token itself is nowhere
    assert not re.search(r"\b[0-9a-f]{64}\b", caplog.text.replace(token_hash, ""))


def test_prune_deletes_long_expired_tokens(user, forgot):
    forgot(email=user.email)
    PasswordResetToken.objects.update(expires_at_ts=unix_now() - 2 * 86_400)
    assert password_reset_tokens_prune() == 1


def test_auth_profile(api_client, user):
    response = client_for(user).get("/api/auth/profile")
    assert response.status_code == 200
    assert response.json() == {
        "user_id": user.pk,
        "username": user.username,
        "email": user.email,
        "created_at": user.created_at_ts,
        "workspace_id": user.workspace_id,
    }
    assert api_client.get("/api/auth/profile/").status_code == 401


@override_settings(
    MAILERS={
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
)
def test_a_mail_server_failure_answers_as_usual(user, forgot, caplog):
    response = forgot(email=user.email)
    assert (response.status_code, response.json()) == (200, FORGOT_ANSWER)
    assert "could not be sent" in caplog.text
