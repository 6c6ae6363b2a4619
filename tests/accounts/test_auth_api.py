import time
import uuid

import bcrypt
import jwt
import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.test import override_settings

from accounts.api.fields import rfc3339_from_unix
from accounts.models import CreditTransaction, User, UserStatus
from accounts.tokens import jwt_issue
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

STRONG = "Tr4ctor-blue!"


def register(api_client, **overrides):
    body = {"username": "maria", "email": "maria@example.com", "password": STRONG}
    body.update(overrides)
    return api_client.post("/api/auth/register", body, format="json")


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"success", "error", "message", "details"}


def test_register_creates_account_with_welcome_credits_and_token(api_client):
    response = register(api_client, workspace_name="Fazenda Boa")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "user_id", "workspace_id", "expires_at"}
    assert body["workspace_id"] == "Fazenda Boa-workspace"
    claims = jwt.decode(body["token"], settings.JWT_SECRET, algorithms=["HS256"])
    assert claims["user_id"] == body["user_id"] and claims["workspace_id"] == body["workspace_id"]
    assert claims["exp"] - claims["iat"] == 24 * 3600
    assert body["expires_at"] == claims["exp"]
    user = User.objects.get(pk=body["user_id"])
    assert user.user_id.startswith("user-") and user.check_password(STRONG)
    me = client_for(user).get("/users/me/profile").json()
    assert me["credits"] == 100
    assert CreditTransaction.objects.get(user=user).transaction_type == "Grant"


@pytest.mark.parametrize("overrides", [{"username": "MARIA"}, {"email": "Maria@Example.com"}])
def test_register_taken_username_or_email_is_a_conflict(api_client, overrides):
    assert register(api_client).status_code == 200
    response = register(
        api_client, **{"username": "other", "email": "other@example.com", **overrides}
    )
    assert_error(response, 409, "conflict")
    assert "details" not in response.json()  # which of the two is taken is not said


@pytest.mark.parametrize("password", ["Sh0rt!", "alllowercase1!", "NoDigits!!", "NoSymbol123"])
def test_register_refuses_weak_passwords(api_client, password):
    response = register(api_client, password=password)
    assert_error(response, 400, "validation_error")
    assert "password" in response.json()["details"]
    assert not User.objects.filter(username="maria").exists()


def test_register_validation_error_shape(api_client):
    response = api_client.post("/api/auth/register", {"username": "x"}, format="json")
    assert_error(response, 400, "validation_error")
    assert set(response.json()["details"]) == {"email", "password"}


def test_login_returns_token_and_records_last_login(api_client, user):
    assert user.last_login_ts is None
    response = api_client.post(
        "/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user_id"] == user.pk
    user.refresh_from_db()
    assert user.last_login_ts is not None
    token = response.json()["token"]
    me = api_client.get("/users/me/profile", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.json()["username"] == user.username


def test_login_wrong_password_or_unknown_user(api_client, user):
    wrong = api_client.post("/api/auth/login", {"username": user.username, "password": "Nope-1!x"})
    assert_error(wrong, 401, "invalid_credentials")
    unknown = api_client.post("/api/auth/login", {"username": "ghost", "password": "Nope-1!x"})
    assert_error(unknown, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "status", [UserStatus.SUSPENDED, UserStatus.BANNED, UserStatus.PENDING_VERIFICATION]
)
def test_only_active_accounts_log_in(api_client, status):
    user = UserFactory(status=status)
    response = api_client.post(
        "/api/auth/login", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert_error(response, 401, "invalid_credentials")  # the same as a wrong password


def test_login_accepts_raw_bcrypt_hash_and_upgrades_it(api_client, user):
    legacy = bcrypt.hashpw(b"Legacy-pass1!", bcrypt.gensalt(rounds=4)).decode()
    User.objects.filter(pk=user.pk).update(password=legacy)
    response = api_client.post(
        "/api/auth/login", {"username": user.username, "password": "Legacy-pass1!"}
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.password.startswith("$2")
    assert identify_hasher(user.password).algorithm == get_hasher().algorithm
    again = api_client.post(
        "/api/auth/login", {"username": user.username, "password": "Legacy-pass1!"}
    )
    assert again.status_code == 200
    wrong = api_client.post("/api/auth/login", {"username": user.username, "password": "x"})
    assert wrong.status_code == 401


def test_refresh_gives_a_new_token(auth_client, user):
    response = auth_client.post("/api/auth/refresh")
    assert response.status_code == 200
    claims = jwt.decode(response.json()["token"], settings.JWT_SECRET, algorithms=["HS256"])
    assert claims["user_id"] == user.pk


def test_refresh_needs_a_jwt(api_client, make_key):
    assert_error(api_client.post("/api/auth/refresh"), 401, "not_authenticated")
    _, raw_key = make_key(permissions=["write"])
    keyed = api_client.post("/api/auth/refresh", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert keyed.status_code == 401


def test_expired_and_forged_tokens_are_refused(api_client, user):
    expired = jwt.encode(
        {"user_id": user.pk, "workspace_id": user.workspace_id, "exp": 1},
        settings.JWT_SECRET,
        algorithm="HS256",
    )
    response = api_client.get("/users/me/profile", HTTP_AUTHORIZATION=f"Bearer {expired}")
    assert_error(response, 401, "token_expired")
    forged = jwt.encode(
        {"user_id": user.pk, "exp": 2**31},
        "a-different-secret-of-at-least-32-bytes",
        algorithm="HS256",
    )
    response = api_client.get("/users/me/profile", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_error(response, 401, "invalid_token")


def test_suspended_user_token_stops_working(user):
    client = client_for(user)
    User.objects.filter(pk=user.pk).update(status=UserStatus.SUSPENDED)
    assert_error(client.get("/users/me/profile"), 401, "account_inactive")


def test_profile(auth_client, user):
    body = auth_client.get("/users/me/profile/").json()
    assert body == {
        "user_id": user.pk,
        "username": user.username,
        "email": user.email,
        "tier": "Basic",
        "credits": 100,
        "status": "Active",
        "is_admin": False,
        "created_at": rfc3339_from_unix(user.created_at_ts),
        "workspace_id": user.workspace_id,
        "subscription": None,
        "limits": {
            "max_items_per_month": 1000,
            "max_circuits": 5,
            "max_storage_locations": None,
            "max_api_requests_per_hour": 100,
            "max_workspace_members": None,
            "can_use_premium_adapters": False,
            "max_audit_retention_days": 30,
            "priority_support": False,
            "available_adapters": ["none", "local", "ipfs-ipfs"],
        },
    }


def test_credits_and_costs(auth_client):
    balance = auth_client.get("/users/me/credits/balance").json()
    assert balance["credits"] == 100 and balance["tier"] == "Basic"
    assert auth_client.get("/users/me/credits/costs/").json() == {
        "tier": "Basic",
        "item_creation": 2,
        "circuit_operation": 3,
        "storage_migration": 10,
        "audit_export": 0,
        "premium_adapter_usage": 0,
        "api_request": 0,
    }


def test_credit_history_is_the_callers_own(auth_client, user, other_user):
    body = auth_client.get("/users/me/credits/history").json()
    assert body["total_credits"] == 100
    assert len(body["transactions"]) == 1
    row = body["transactions"][0]
    assert set(row) == {
        "transaction_id",
        "amount",
        "transaction_type",
        "description",
        "balance_after",
        "timestamp",
    }
    assert row["amount"] == 100 and row["balance_after"] == 100
    other_ids = {str(t.pk) for t in CreditTransaction.objects.filter(user=other_user)}
    assert not other_ids & {r["transaction_id"] for r in body["transactions"]}


def test_credit_history_query_count_does_not_grow(auth_client, user, django_assert_max_num_queries):
    from accounts.models import TransactionType
    from accounts.services.credits import credits_add

    def query_count(rows):
        for _ in range(rows):
            credits_add(user=user, amount=1, transaction_type=TransactionType.GRANT, description="")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/users/me/credits/history?limit=100").status_code == 200
        return len(queries)

    assert query_count(3) == query_count(30)


def test_anonymous_requests_get_401(api_client):
    for path in ["/users/me/profile", "/api/api-keys", "/api/notifications", "/api/admin/users"]:
        assert_error(api_client.get(path), 401, "not_authenticated")
        assert api_client.get(path)["WWW-Authenticate"] == "Bearer"


def test_error_shapes_for_404_and_405(auth_client):
    missing = uuid.uuid4()
    assert_error(auth_client.get("/api/no-such-thing"), 404, "not_found")
    assert_error(auth_client.get(f"/api/notifications/{missing}/read"), 405, "method_not_allowed")
    assert_error(auth_client.delete("/users/me/profile"), 405, "method_not_allowed")
    assert_error(auth_client.patch(f"/api/notifications/{missing}/read"), 404, "not_found")
    assert_error(auth_client.patch("/api/notifications/7a1c/read"), 404, "not_found")


def test_login_is_throttled_per_client_ip(api_client):
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "3/min"}}
    ):
        from defarm.api.throttling import AuthRateThrottle

        original_rates = AuthRateThrottle.THROTTLE_RATES
        AuthRateThrottle.THROTTLE_RATES = {"auth": "3/min"}
        try:
            body = {"username": "ghost", "password": "Wrong-pass1!"}
            proxy = {"REMOTE_ADDR": "10.0.0.1"}
            for _ in range(3):
                response = api_client.post(
                    "/api/auth/login", body, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy
                )
                assert response.status_code == 401
            # Forged left-most entries do not give the same client a fresh budget.
            blocked = api_client.post(
                "/api/auth/login", body, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5", **proxy
            )
            assert_error(blocked, 429, "rate_limit_exceeded")
            assert int(blocked["Retry-After"]) > 0
            assert_error(
                api_client.post(
                    "/api/auth/register", body, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy
                ),
                429,
                "rate_limit_exceeded",
            )
            # Another client behind the same proxy still may log in.
            other = api_client.post(
                "/api/auth/login", body, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy
            )
            assert other.status_code == 401
        finally:
            AuthRateThrottle.THROTTLE_RATES = original_rates


def test_tokens_issued_elsewhere_with_the_secret_stay_valid(api_client, user):
    token, _ = jwt_issue(user=user)
    legacy = jwt.encode(
        # The engine's tokens: no iat, exp 24 h after issue.
        {"user_id": user.pk, "workspace_id": user.workspace_id, "exp": int(time.time()) + 86_000},
        settings.JWT_SECRET,
        algorithm="HS256",
    )
    for value in (token, legacy):
        response = api_client.get("/users/me/profile", HTTP_AUTHORIZATION=f"Bearer {value}")
        assert response.status_code == 200
