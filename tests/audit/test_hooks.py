"""DeFarm writes its own audit rows: sign-ins, refused credentials, denials, staff actions."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import UserStatus
from accounts.services.api_keys import api_key_create
from accounts.services.staff import credits_adjust
from audit.models import AuditEvent
from audit.selectors.events import audit_chain_verify
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.audit.conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password=DEFAULT_PASSWORD):
    return client.post("/api/auth/login", {"username": username, "password": password})


def _only(action: str) -> AuditEvent:
    [row] = AuditEvent.objects.filter(action=action)
    return row


def test_sign_ins_are_recorded(api_client, user):
    assert _login(api_client, user.username).status_code == 200
    success = _only("auth.login")
    assert (success.user_id, success.outcome, success.event_type) == (
        user.pk,
        "Success",
        "Security",
    )
    assert success.metadata["ip_address"] == "127.0.0.1"
    AuditEvent.objects.all().delete()

    assert _login(api_client, user.username, "Wrong-pass1!").status_code == 401
    wrong = _only("auth.login")
    assert (wrong.user_id, wrong.outcome, wrong.details) == (
        "anonymous",
        "Failure",
        {"username": user.username},
    )
    AuditEvent.objects.all().delete()

    assert _login(api_client, "ghost").status_code == 401
    ghost = _only("auth.login")
    assert ghost.user_id == "anonymous" and ghost.details["username"] == "ghost"


def test_a_suspended_account_signing_in_is_recorded_as_blocked(api_client):
    suspended = UserFactory(status=UserStatus.SUSPENDED)
    assert _login(api_client, suspended.username).status_code == 401
    row = _only("auth.login")
    assert (row.user_id, row.outcome) == (suspended.pk, "Blocked")


def test_lockout_is_recorded(api_client):
    from defarm.api.throttling import AuthRateThrottle

    original = AuthRateThrottle.THROTTLE_RATES
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "2/min"}}
    ):
        AuthRateThrottle.THROTTLE_RATES = {"auth": "2/min"}
        try:
            for _ in range(2):
                _login(api_client, "ghost")
            assert _login(api_client, "ghost").status_code == 429
        finally:
            AuthRateThrottle.THROTTLE_RATES = original
    lockout = _only("auth.lockout")
    assert lockout.outcome == "Blocked" and lockout.details["path"] == "/api/auth/login"


def test_refused_api_keys_are_recorded(user):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY="dfm_" + "A" * 32)
    assert client.get(f"{BASE}/incidents").status_code == 401
    invalid = _only("api_key.refused")
    assert invalid.details["code"] == "invalid_api_key" and invalid.user_id == "anonymous"

    key, raw = api_key_create(user=user, name="ci", allowed_endpoints=["/api/items*"])
    keyed = APIClient()
    keyed.credentials(HTTP_X_API_KEY=raw)
    assert keyed.get(f"{BASE}/incidents").status_code == 403
    refused = AuditEvent.objects.filter(action="api_key.refused").order_by("sequence").last()
    assert refused.details["code"] == "endpoint_not_allowed"
    assert refused.user_id == user.pk and refused.resource_id == str(key.key_id)


def test_forged_tokens_and_denials_are_recorded(auth_client, user):
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert forged.get(f"{BASE}/incidents").status_code == 401
    assert _only("auth.token_refused").outcome == "Failure"

    assert auth_client.get(f"{BASE}/events/verify").status_code == 403
    denied = _only("permission.denied")
    assert (denied.user_id, denied.event_type, denied.outcome) == (user.pk, "Access", "Blocked")
    assert denied.details["path"] == f"{BASE}/events/verify"
    assert audit_chain_verify().valid


def test_anonymous_401s_are_not_recorded(api_client):
    assert api_client.get(f"{BASE}/incidents").status_code == 401
    assert not AuditEvent.objects.exists()


def test_staff_actions_are_recorded_about_their_target(staff_user, user):
    credits_adjust(admin=staff_user, user=user, amount=5, reason="goodwill")
    row = AuditEvent.objects.get(action="staff.credits_adjust")
    assert (row.user_id, row.subject_user_id, row.severity) == (staff_user.pk, user.pk, "Medium")
