"""The earlier engine's contract for health, auth, users and credits, API keys, notifications
and the staff routes: each test sends what an engine client sends and reads what it reads
(CONTRACT.md sections 8.1-8.4, 8.15 and 8.24)."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKey, User
from accounts.services.api_keys import api_key_create
from accounts.services.credits import credits_add
from accounts.services.staff import credits_adjust
from audit.models import AdminAction
from defarm.timeutils import unix_now
from tests.accounts.conftest import key_client
from tests.accounts.factories import NotificationFactory, StaffFactory, UserFactory


@pytest.fixture
def make_key(user):
    def make(**options):
        return api_key_create(user=user, name="contract key", **options)

    return make


def is_rfc3339(value: str) -> bool:
    if not isinstance(value, str):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value


# --- 8.1 health and root --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/health", "/health/"])
def test_public_service_routes_answer_without_credentials(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_root_describes_the_service(api_client):
    body = api_client.get("/").json()
    assert body["name"] == "DeFarm Traceability API"
    assert isinstance(body["version"], str)
    assert isinstance(body["description"], str)
    assert len(body["features"]) == 10
    assert all(isinstance(feature, str) for feature in body["features"])


def test_health_is_the_engines_liveness_answer(api_client):
    body = api_client.get("/health").json()
    assert body["status"] == "healthy"
    assert body["uptime"] == "System operational"
    assert is_rfc3339(body["timestamp"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/db", "/health/db/"])
def test_health_db_reports_a_connected_database(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    database = response.json()["database"]
    assert database["status"] == "connected"
    assert isinstance(database["message"], str)
    assert is_rfc3339(database["timestamp"])


@pytest.mark.django_db
def test_health_db_is_503_in_the_same_shape_when_the_database_does_not_answer(
    api_client, monkeypatch
):
    from defarm import health

    monkeypatch.setattr(health, "_database_answers", lambda: False)
    response = api_client.get("/health/db")
    assert response.status_code == 503
    assert response.json()["database"]["status"] != "connected"


# --- 8.2 auth ---------------------------------------------------------------------------------

TOKEN_FIELDS = {"token", "user_id", "workspace_id", "expires_at"}


def assert_engine_token(body: dict) -> None:
    assert set(body) >= TOKEN_FIELDS
    assert isinstance(body["token"], str) and body["token"].count(".") == 2
    assert isinstance(body["expires_at"], int)
    assert body["expires_at"] - unix_now() in range(24 * 3600 - 60, 24 * 3600 + 60)


def register(client, **overrides):
    body = {
        "username": "farmer_joe",
        "password": "Str0ng-pass!",
        "email": "joe@example.com",
        "workspace_name": "joes-farm",
        **overrides,
    }
    return client.post("/api/auth/register", body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/auth/register", "/api/auth/register/"])
def test_register_answers_200_with_a_token(api_client, path):
    response = api_client.post(
        path,
        {"username": "joe", "password": "Str0ng-pass!", "email": "joe@example.com"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert_engine_token(body)
    assert body["user_id"].startswith("user-")
    assert body["workspace_id"] == "joe-workspace"


@pytest.mark.django_db
def test_register_refusals_are_400_and_409_in_the_error_shape(api_client):
    assert register(api_client).status_code == 200
    taken = register(api_client, email="other@example.com")
    assert taken.status_code == 409
    assert taken.json()["success"] is False and taken.json()["error"] == "conflict"
    weak = register(api_client, username="weak", email="weak@example.com", password="password")
    assert weak.status_code == 400
    assert weak.json()["success"] is False and isinstance(weak.json()["message"], str)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/login/"])
def test_login_takes_the_engines_body_and_answers_its_token(api_client, path):
    register(api_client)
    response = api_client.post(
        path,
        {"username": "farmer_joe", "password": "Str0ng-pass!", "workspace_id": "ignored"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert_engine_token(body)
    assert body["workspace_id"] == "joes-farm-workspace"


@pytest.mark.django_db
def test_login_with_a_wrong_password_is_401(api_client):
    register(api_client)
    response = api_client.post(
        "/api/auth/login", {"username": "farmer_joe", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["success"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/auth/refresh", "/api/auth/refresh/"])
def test_refresh_reissues_a_token_for_the_bearer(api_client, path):
    token = register(api_client).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.post(path)
    assert response.status_code == 200
    assert_engine_token(response.json())
    api_client.credentials()
    assert api_client.post(path).status_code == 401


# --- 8.3 users and credits ------------------------------------------------------------------

PROFILE_LIMIT_FIELDS = {
    "max_items_per_month",
    "max_circuits",
    "max_storage_locations",
    "max_api_requests_per_hour",
    "max_workspace_members",
    "can_use_premium_adapters",
    "max_audit_retention_days",
    "priority_support",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/users/me/profile",
        "/users/me/profile/",
        "/credit/users/current",
        "/credit/users/current/",
    ],
)
def test_profile_has_the_engines_fields(auth_client, user, path):
    response = auth_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == user.user_id and body["username"] == user.username
    assert body["email"] == user.email
    assert body["tier"] == "Basic" and body["status"] == "Active"
    assert body["credits"] == 100 and body["is_admin"] is False
    assert is_rfc3339(body["created_at"])
    assert body["subscription"] is None
    assert set(body["limits"]) >= PROFILE_LIMIT_FIELDS
    assert body["limits"]["max_items_per_month"] == 1000
    assert body["limits"]["max_circuits"] == 5
    assert body["limits"]["max_api_requests_per_hour"] == 100
    assert body["limits"]["can_use_premium_adapters"] is False


@pytest.mark.django_db
def test_profile_reads_a_tier_the_engine_wrote_lower_case(auth_client, user):
    User.objects.filter(pk=user.pk).update(tier="enterprise")
    body = auth_client.get("/users/me/profile").json()
    assert body["tier"] == "Enterprise"
    assert body["limits"]["max_items_per_month"] is None
    assert body["limits"]["can_use_premium_adapters"] is True
    costs = auth_client.get("/users/me/credits/costs").json()
    assert costs["tier"] == "Enterprise" and costs["item_creation"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/users/me/credits/balance", "/users/me/credits/balance/"])
def test_credit_balance(auth_client, path):
    response = auth_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["credits"] == 100 and body["tier"] == "Basic"
    assert is_rfc3339(body["last_updated"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/users/me/credits/costs", "/users/me/credits/costs/"])
def test_credit_costs_by_tier(auth_client, path):
    body = auth_client.get(path).json()
    assert body == {
        "item_creation": 2,
        "circuit_operation": 3,
        "storage_migration": 10,
        "audit_export": 0,
        "premium_adapter_usage": 0,
        "api_request": 0,
        "tier": "Basic",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/users/me/credits/history", "/users/me/credits/history/"])
def test_credit_history_lists_the_ledger(auth_client, user, path):
    staff = StaffFactory()
    credits_adjust(admin=staff, user=user, amount=25, reason="pilot")
    response = auth_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["total_credits"] == 125
    assert [row["amount"] for row in body["transactions"]] == [25, 100]
    newest = body["transactions"][0]
    assert set(newest) >= {
        "transaction_id",
        "amount",
        "transaction_type",
        "description",
        "timestamp",
        "balance_after",
    }
    assert newest["transaction_type"] == "Grant" and newest["balance_after"] == 125
    assert newest["description"] == "pilot" and is_rfc3339(newest["timestamp"])
    assert response["X-Total-Count"] == "2"
    limited = auth_client.get(f"{path}?limit=1").json()
    assert len(limited["transactions"]) == 1 and limited["total_credits"] == 125


@pytest.mark.django_db
def test_credit_history_query_count_does_not_grow(auth_client, user):
    def query_count(rows):
        for _ in range(rows):
            credits_add(user=user, amount=1, transaction_type="Grant", description="x")
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/users/me/credits/history?limit=100").status_code == 200
        return len(queries)

    assert query_count(3) == query_count(30)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/users/me/profile",
        "/users/me/credits/balance",
        "/users/me/credits/history",
        "/users/me/credits/costs",
        "/credit/users/current",
        "/api/api-keys",
        "/api/notifications",
        "/api/notifications/unread-count",
        "/api/admin/users",
        "/api/admin/actions",
    ],
)
def test_protected_routes_are_401_without_credentials(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 401
    assert response.json()["success"] is False


@pytest.mark.django_db
def test_an_api_key_reads_its_owners_profile(make_key, user):
    _, raw_key = make_key()
    response = key_client(raw_key).get("/users/me/profile")
    assert response.status_code == 200 and response.json()["user_id"] == user.user_id


# --- 8.4 API keys -----------------------------------------------------------------------------

ENGINE_KEY_REQUEST = {
    "name": "Test API Key",
    "organization_type": "Producer",
    "permissions": {"read": True, "write": True, "admin": False, "custom": {}},
    "rate_limit_per_hour": 1000,
    "expires_in_days": 30,
    "notes": "Created via test script",
}
METADATA_FIELDS = {
    "id",
    "name",
    "key_prefix",
    "organization_type",
    "permissions",
    "is_active",
    "last_used_at",
    "usage_count",
    "rate_limit_per_hour",
    "created_at",
    "expires_at",
}


def assert_metadata(metadata: dict) -> None:
    assert set(metadata) >= METADATA_FIELDS
    assert set(metadata["permissions"]) == {"read", "write", "admin", "custom"}
    assert isinstance(metadata["usage_count"], int)
    assert is_rfc3339(metadata["created_at"])
    assert "key_hash" not in metadata


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/api-keys", "/api/api-keys/"])
def test_create_api_key_with_the_engines_body(auth_client, user, path):
    response = auth_client.post(path, ENGINE_KEY_REQUEST, format="json")
    assert response.status_code == 200
    body = response.json()
    raw_key = body["api_key"]
    assert raw_key.startswith("dfm_") and len(raw_key) == 36
    assert body["warning"] == "Save this API key securely. You won't be able to see it again."
    metadata = body["metadata"]
    assert_metadata(metadata)
    assert metadata["name"] == "Test API Key" and metadata["key_prefix"] == raw_key[:8]
    assert metadata["organization_type"] == "Producer"
    assert metadata["permissions"] == {"read": True, "write": True, "admin": False, "custom": {}}
    assert metadata["is_active"] is True and metadata["usage_count"] == 0
    assert metadata["rate_limit_per_hour"] == 1000 and metadata["last_used_at"] is None
    expires = datetime.fromisoformat(metadata["expires_at"].replace("Z", "+00:00"))
    assert int(expires.timestamp()) - unix_now() in range(30 * 86400 - 60, 30 * 86400 + 1)
    stored = ApiKey.objects.get(pk=metadata["id"])
    assert stored.user == user and stored.notes == "Created via test script"
    # The key works at once, as X-API-Key.
    assert key_client(raw_key).get("/users/me/profile").status_code == 200


@pytest.mark.django_db
def test_create_api_key_defaults_to_read_only(auth_client):
    body = auth_client.post(
        "/api/api-keys", {"name": "minimal", "organization_type": "External"}, format="json"
    ).json()
    assert body["metadata"]["permissions"] == {
        "read": True,
        "write": False,
        "admin": False,
        "custom": {},
    }
    assert body["metadata"]["expires_at"] is None
    assert body["metadata"]["rate_limit_per_hour"] == 100  # the Basic tier's default


@pytest.mark.django_db
def test_create_api_key_keeps_custom_permissions(auth_client):
    permissions = {"read": True, "write": False, "admin": False, "custom": {"export": True}}
    body = auth_client.post(
        "/api/api-keys",
        {"name": "c", "organization_type": "Association", "permissions": permissions},
        format="json",
    ).json()
    assert body["metadata"]["permissions"] == permissions


@pytest.mark.django_db
def test_only_staff_create_admin_keys(auth_client, staff_client):
    body = {**ENGINE_KEY_REQUEST, "permissions": {**ENGINE_KEY_REQUEST["permissions"]}}
    body["permissions"]["admin"] = True
    refused = auth_client.post("/api/api-keys", body, format="json")
    assert refused.status_code == 403 and refused.json()["success"] is False
    assert staff_client.post("/api/api-keys", body, format="json").status_code == 200


@pytest.mark.django_db
def test_create_api_key_refuses_an_unknown_organization_type(auth_client):
    response = auth_client.post(
        "/api/api-keys", {**ENGINE_KEY_REQUEST, "organization_type": "Pirate"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/api-keys", "/api/api-keys/"])
def test_list_api_keys_wraps_each_in_metadata_and_hides_inactive_ones(auth_client, path):
    first = auth_client.post("/api/api-keys", ENGINE_KEY_REQUEST, format="json").json()
    second = auth_client.post("/api/api-keys", ENGINE_KEY_REQUEST, format="json").json()
    auth_client.post(f"/api/api-keys/{second['metadata']['id']}/revoke")
    response = auth_client.get(path)
    assert response.status_code == 200
    listed = response.json()
    assert isinstance(listed, list)
    assert [entry["metadata"]["id"] for entry in listed] == [first["metadata"]["id"]]
    assert_metadata(listed[0]["metadata"])
    assert first["api_key"] not in str(listed)
    everything = auth_client.get(f"{path}?include_inactive=true")
    assert len(everything.json()) == 2 and everything["X-Total-Count"] == "2"


@pytest.mark.django_db
def test_list_api_keys_query_count_does_not_grow(auth_client, make_key):
    def query_count(rows):
        for _ in range(rows):
            make_key()
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/api/api-keys?limit=100").status_code == 200
        return len(queries)

    assert query_count(3) == query_count(30)


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_get_api_key_answers_bare_metadata(auth_client, slash):
    created = auth_client.post("/api/api-keys", ENGINE_KEY_REQUEST, format="json").json()
    response = auth_client.get(f"/api/api-keys/{created['metadata']['id']}{slash}")
    assert response.status_code == 200
    assert_metadata(response.json())
    assert response.json()["name"] == "Test API Key"


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_patch_api_key_with_the_engines_body(auth_client, slash):
    created = auth_client.post("/api/api-keys", ENGINE_KEY_REQUEST, format="json").json()
    response = auth_client.patch(
        f"/api/api-keys/{created['metadata']['id']}{slash}",
        {
            "name": "Updated Test API Key",
            "permissions": {"read": True, "write": False, "admin": False, "custom": {}},
            "rate_limit_per_hour": 2000,
            "notes": "Updated via test script",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert_metadata(body)
    assert body["name"] == "Updated Test API Key" and body["rate_limit_per_hour"] == 2000
    assert body["permissions"]["write"] is False
    deactivated = auth_client.patch(
        f"/api/api-keys/{created['metadata']['id']}", {"is_active": False}, format="json"
    )
    assert deactivated.json()["is_active"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_revoke_api_key_answers_inactive_metadata(auth_client, slash):
    created = auth_client.post("/api/api-keys", ENGINE_KEY_REQUEST, format="json").json()
    response = auth_client.post(f"/api/api-keys/{created['metadata']['id']}/revoke{slash}")
    assert response.status_code == 200
    assert_metadata(response.json())
    assert response.json()["is_active"] is False
    revoked = key_client(created["api_key"]).get("/users/me/profile")
    assert revoked.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_delete_api_key_is_204(auth_client, slash):
    created = auth_client.post("/api/api-keys", ENGINE_KEY_REQUEST, format="json").json()
    response = auth_client.delete(f"/api/api-keys/{created['metadata']['id']}{slash}")
    assert response.status_code == 204
    assert not ApiKey.objects.filter(pk=created["metadata"]["id"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_api_key_usage_in_the_engines_shape(auth_client, slash):
    created = auth_client.post("/api/api-keys", ENGINE_KEY_REQUEST, format="json").json()
    client = key_client(created["api_key"])
    assert client.get("/users/me/profile").status_code == 200
    assert client.get(f"/api/api-keys/{uuid.uuid4()}").status_code == 404
    response = auth_client.get(f"/api/api-keys/{created['metadata']['id']}/usage{slash}?days=7")
    assert response.status_code == 200
    body = response.json()
    assert body["total_requests"] == 2
    assert body["successful_requests"] == 1 and body["failed_requests"] == 1
    assert isinstance(body["avg_response_time_ms"], float) and body["avg_response_time_ms"] > 0
    assert is_rfc3339(body["last_used_at"])
    assert body["daily_usage"] == [
        {"date": datetime.now(tz=UTC).date().isoformat(), "requests": 2, "errors": 1}
    ]
    detail = auth_client.get(f"/api/api-keys/{created['metadata']['id']}").json()
    assert detail["usage_count"] == 2


@pytest.mark.django_db
def test_other_users_api_keys_are_404(auth_client, other_client):
    created = other_client.post("/api/api-keys", ENGINE_KEY_REQUEST, format="json").json()
    key_url = f"/api/api-keys/{created['metadata']['id']}"
    for response in (
        auth_client.get(key_url),
        auth_client.patch(key_url, {"name": "mine"}, format="json"),
        auth_client.post(f"{key_url}/revoke"),
        auth_client.get(f"{key_url}/usage"),
        auth_client.delete(key_url),
    ):
        assert response.status_code == 404
        assert response.json()["success"] is False


# --- 8.15 notifications -----------------------------------------------------------------------

NOTIFICATION_FIELDS = {
    "id",
    "user_id",
    "notification_type",
    "title",
    "message",
    "read",
    "timestamp",
    "data",
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/notifications", "/api/notifications/"])
def test_notifications_list_in_the_engines_envelope(auth_client, user, other_user, path):
    older = NotificationFactory(user=user, created_at_ts=unix_now() - 100, data={"k": 1})
    newer = NotificationFactory(user=user, notification_type="join_request_received")
    NotificationFactory(user=other_user)
    response = auth_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["count"] == 2
    assert [row["id"] for row in body["data"]] == [str(newer.pk), str(older.pk)]
    row = body["data"][0]
    assert set(row) >= NOTIFICATION_FIELDS
    assert row["notification_type"] == "JoinRequestReceived"
    assert row["user_id"] == user.user_id and row["read"] is False
    assert is_rfc3339(row["timestamp"])
    assert body["data"][1]["data"] == {"k": 1}


@pytest.mark.django_db
def test_notifications_list_filters_like_the_engine(auth_client, user):
    old = NotificationFactory(user=user, created_at_ts=unix_now() - 1000)
    read = NotificationFactory(user=user, is_read=True)
    unread = NotificationFactory(user=user)

    def ids(query):
        return [row["id"] for row in auth_client.get(f"/api/notifications?{query}").json()["data"]]

    assert set(ids("unread_only=true")) == {str(old.pk), str(unread.pk)}
    assert set(ids(f"since={unix_now() - 100}")) == {str(read.pk), str(unread.pk)}
    assert len(ids("limit=1")) == 1


@pytest.mark.django_db
def test_notifications_render_the_engines_types_whatever_the_stored_spelling(auth_client, user):
    NotificationFactory(user=user, notification_type='"CircuitItemApproved"')
    NotificationFactory(user=user, notification_type="item_pending_approval")
    types = {
        row["notification_type"] for row in auth_client.get("/api/notifications").json()["data"]
    }
    assert types == {"CircuitItemApproved", "CircuitItemPendingApproval"}


@pytest.mark.django_db
def test_notifications_list_query_count_does_not_grow(auth_client, user):
    def query_count(rows):
        NotificationFactory.create_batch(rows, user=user)
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/api/notifications?limit=100").status_code == 200
        return len(queries)

    assert query_count(3) == query_count(30)


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_unread_count(auth_client, user, slash):
    NotificationFactory.create_batch(2, user=user)
    NotificationFactory(user=user, is_read=True)
    response = auth_client.get(f"/api/notifications/unread-count{slash}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "unread_count": 2}


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_mark_one_notification_read_with_patch(auth_client, user, other_user, slash):
    mine = NotificationFactory(user=user)
    response = auth_client.patch(f"/api/notifications/{mine.pk}/read{slash}")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"]["id"] == str(mine.pk) and body["data"]["read"] is True
    theirs = NotificationFactory(user=other_user)
    assert auth_client.patch(f"/api/notifications/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_read is False


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_mark_all_notifications_read_with_patch(auth_client, user, other_user, slash):
    NotificationFactory.create_batch(3, user=user)
    theirs = NotificationFactory(user=other_user)
    response = auth_client.patch(f"/api/notifications/mark-all-read{slash}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "marked_read": 3}
    theirs.refresh_from_db()
    assert theirs.is_read is False


# --- 8.24 admin -------------------------------------------------------------------------------

USER_RESPONSE_FIELDS = {
    "user_id",
    "username",
    "email",
    "tier",
    "status",
    "credits",
    "created_at",
    "updated_at",
    "last_login",
    "is_admin",
    "workspace_id",
    "limits",
    "available_adapters",
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/admin/users", "/api/admin/users/"])
def test_admin_lists_users_in_the_engines_envelope(staff_client, staff_user, path):
    UserFactory(username="alice", tier="Professional")
    UserFactory(username="bob", status="Suspended")
    response = staff_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["count"] == 3
    assert response["X-Total-Count"] == "3"
    row = next(user for user in body["users"] if user["username"] == "alice")
    assert set(row) >= USER_RESPONSE_FIELDS
    assert row["tier"] == "Professional" and row["credits"] == 100
    assert is_rfc3339(row["created_at"]) and is_rfc3339(row["updated_at"])
    assert row["last_login"] is None and row["available_adapters"] is None
    assert row["limits"]["max_circuits"] == 25

    def names(query):
        return [user["username"] for user in staff_client.get(f"{path}?{query}").json()["users"]]

    assert names("tier=Professional") == ["alice"]
    assert names("status=Suspended") == ["bob"]
    assert names("username=LIC") == ["alice"]
    assert names("email=bob@") == ["bob"]
    assert names("is_admin=true") == [staff_user.username]
    assert len(names("limit=1&offset=1")) == 1
    assert staff_client.get(f"{path}?tier=Gold").status_code == 400


@pytest.mark.django_db
def test_admin_user_list_finds_lower_case_tiers_the_engine_wrote(staff_client):
    enterprise = UserFactory(username="legacy")
    User.objects.filter(pk=enterprise.pk).update(tier="enterprise")
    body = staff_client.get("/api/admin/users?tier=Enterprise").json()
    assert [user["username"] for user in body["users"]] == ["legacy"]
    assert body["users"][0]["tier"] == "Enterprise"


@pytest.mark.django_db
def test_admin_user_list_query_count_does_not_grow(staff_client):
    def query_count(rows):
        UserFactory.create_batch(rows)
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get("/api/admin/users?limit=100").status_code == 200
        return len(queries)

    assert query_count(3) == query_count(30)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/admin/users", "/api/admin/users/"])
def test_admin_creates_a_user_with_the_engines_body(staff_client, path):
    response = staff_client.post(
        path,
        {
            "username": "gerbov",
            "email": "gerbov@example.com",
            "password": "Str0ng-pass!",
            "tier": "Professional",
            "initial_credits": 500,
            "workspace_id": "gerbov-ws",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["message"] == "User created successfully"
    assert body["username"] == "gerbov"
    created = User.objects.get(pk=body["user_id"])
    assert created.tier == "Professional" and created.workspace_id == "gerbov-ws"
    assert created.credit_balance.credits == 500
    taken = staff_client.post(
        path,
        {
            "username": "gerbov",
            "email": "x@example.com",
            "password": "Str0ng-pass!",
            "tier": "Basic",
        },
        format="json",
    )
    assert taken.status_code == 409 and taken.json()["success"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_admin_updates_a_user_with_put(staff_client, slash):
    target = UserFactory()
    response = staff_client.put(
        f"/api/admin/users/{target.pk}{slash}",
        {"tier": "Enterprise", "credits": 5000, "available_adapters": ["IpfsIpfs"]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["message"] == "User updated successfully"
    assert "tier: Basic -> Enterprise" in body["changes"]
    assert "credits: 100 -> 5000" in body["changes"]
    target.refresh_from_db()
    assert target.tier == "Enterprise" and target.available_adapters == ["ipfs-ipfs"]
    assert target.credit_balance.credits == 5000
    unknown = staff_client.put("/api/admin/users/user-nobody", {"tier": "Basic"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["success"] is False


@pytest.mark.django_db
def test_admin_put_is_partial_and_records_each_change(staff_client, staff_user):
    target = UserFactory()
    staff_client.put(f"/api/admin/users/{target.pk}", {"status": "Suspended"}, format="json")
    target.refresh_from_db()
    assert target.status == "Suspended" and target.tier == "Basic"
    assert AdminAction.objects.filter(admin=staff_user, action_type="user_set_status").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_admin_adjusts_credits(staff_client, slash):
    target = UserFactory()
    response = staff_client.post(
        f"/api/admin/users/{target.pk}/credits{slash}",
        {"amount": -40, "reason": "correction", "operation_type": "manual"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["message"] == "Credits adjusted successfully"
    assert body["amount"] == -40
    target.credit_balance.refresh_from_db()
    assert target.credit_balance.credits == 60
    missing = staff_client.post(
        "/api/admin/users/user-nobody/credits", {"amount": 1, "reason": "x"}, format="json"
    )
    assert missing.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_admin_bulk_grant_reports_each_user(staff_client, slash):
    first, second = UserFactory.create_batch(2)
    response = staff_client.post(
        f"/api/admin/users/credits/bulk-grant{slash}",
        {"user_ids": [first.pk, "user-nobody", second.pk], "amount": 10, "reason": "bonus"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["message"] == "Bulk credit grant completed"
    assert body["successful"] == [first.pk, second.pk]
    assert body["failed"] == [["user-nobody", "User not found"]]
    assert (body["total_users"], body["successful_count"], body["failed_count"]) == (3, 2, 1)
    first.credit_balance.refresh_from_db()
    assert first.credit_balance.credits == 110


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/admin/actions", "/api/admin/actions/"])
def test_admin_actions_in_the_engines_shape(staff_client, staff_user, path):
    target = UserFactory()
    credits_adjust(admin=staff_user, user=target, amount=5, reason="pilot")
    response = staff_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["count"] == 1
    action = body["actions"][0]
    assert set(action) >= {
        "action_id",
        "admin_user_id",
        "action_type",
        "target_user_id",
        "target_resource_id",
        "details",
        "timestamp",
        "ip_address",
    }
    assert action["admin_user_id"] == staff_user.pk
    assert action["action_type"] == "CreditsAdjusted"
    assert action["target_user_id"] == target.pk and action["details"]["amount"] == 5
    assert is_rfc3339(action["timestamp"])
    other_admin = StaffFactory()
    assert staff_client.get(f"{path}?admin_id={other_admin.pk}").json()["count"] == 0


@pytest.mark.django_db
def test_admin_actions_query_count_does_not_grow(staff_client, staff_user):
    def query_count(rows):
        target = UserFactory()
        for _ in range(rows):
            credits_adjust(admin=staff_user, user=target, amount=1, reason="x")
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get("/api/admin/actions?limit=100").status_code == 200
        return len(queries)

    assert query_count(3) == query_count(30)


@pytest.mark.django_db
def test_admin_routes_refuse_non_staff(auth_client, user):
    for response in (
        auth_client.get("/api/admin/users"),
        auth_client.put(f"/api/admin/users/{user.pk}", {"tier": "Admin"}, format="json"),
        auth_client.post(f"/api/admin/users/{user.pk}/credits", {"amount": 5, "reason": "x"}),
        auth_client.post(
            "/api/admin/users/credits/bulk-grant",
            {"user_ids": [user.pk], "amount": 5, "reason": "x"},
            format="json",
        ),
        auth_client.get("/api/admin/actions"),
    ):
        assert response.status_code == 403
        assert response.json()["success"] is False
    user.refresh_from_db()
    assert user.tier == "Basic"
