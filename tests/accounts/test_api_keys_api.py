import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKey, ApiKeyUsage, UserStatus
from accounts.services.api_keys import api_key_hash
from defarm.timeutils import unix_now
from tests.accounts.conftest import key_client
from tests.accounts.test_auth_api import assert_error

pytestmark = pytest.mark.django_db


def test_create_shows_the_key_once_and_stores_its_hash(auth_client, user):
    response = auth_client.post(
        "/api/api-keys",
        {
            "name": "farm sync",
            "organization_type": "Producer",
            "permissions": {"read": True, "write": True, "admin": False, "custom": {}},
            "rate_limit_per_minute": 10,
            "expires_in_days": 30,
            "allowed_ips": ["10.1.0.0/16", "192.0.2.7"],
            "allowed_endpoints": ["/api/items/*"],
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    raw_key = body["api_key"]
    metadata = body["metadata"]
    assert raw_key.startswith("dfm_") and len(raw_key) == 36 and raw_key[4:].isalnum()
    assert metadata["key_prefix"] == raw_key[:8]
    assert metadata["permissions"] == {"read": True, "write": True, "admin": False, "custom": {}}
    assert metadata["allowed_ips"] == ["10.1.0.0/16", "192.0.2.7/32"]
    assert metadata["rate_limit_per_minute"] == 10
    stored = ApiKey.objects.get(pk=metadata["id"])
    assert stored.expires_at_ts - unix_now() in range(30 * 86400 - 5, 30 * 86400 + 1)
    assert "key_hash" not in metadata
    assert stored.user == user and stored.key_hash == api_key_hash(raw_key)
    assert stored.permissions == ["read", "write"] and stored.organization_type == "Producer"
    listed = auth_client.get("/api/api-keys").json()
    assert [entry["metadata"]["id"] for entry in listed] == [metadata["id"]]
    assert raw_key not in str(listed) and "key_hash" not in str(listed)
    detail = auth_client.get(f"/api/api-keys/{metadata['id']}/").json()
    assert raw_key not in str(detail)


def test_create_defaults_and_validation(auth_client):
    body = auth_client.post("/api/api-keys", {"name": "x"}, format="json").json()["metadata"]
    assert body["permissions"]["read"] is True and body["permissions"]["write"] is False
    assert body["expires_at"] is None and body["organization_type"] == "External"
    bad_ip = auth_client.post(
        "/api/api-keys", {"name": "x", "allowed_ips": ["not-an-ip"]}, format="json"
    )
    assert_error(bad_ip, 400, "validation_error")
    assert "allowed_ips" in bad_ip.json()["details"]
    admin_key = auth_client.post(
        "/api/api-keys", {"name": "x", "permissions": {"admin": True}}, format="json"
    )
    assert_error(admin_key, 403, "permission_denied")
    assert_error(
        auth_client.post("/api/api-keys", {"name": "x", "permissions": ["read"]}, format="json"),
        400,
        "validation_error",
    )


def test_patch_revoke_delete(auth_client, make_key):
    api_key, _ = make_key()
    url = f"/api/api-keys/{api_key.pk}"
    patched = auth_client.patch(
        url,
        {"name": "renamed", "permissions": {"write": True}, "rate_limit_per_hour": 5},
        format="json",
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "renamed" and patched.json()["rate_limit_per_hour"] == 5
    api_key.refresh_from_db()
    assert api_key.permissions == ["write"]
    assert auth_client.put(url, {"name": "x"}, format="json").status_code == 405
    revoked = auth_client.post(f"{url}/revoke")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    reactivated = auth_client.patch(url, {"is_active": True}, format="json")
    assert_error(reactivated, 400, "validation_error")
    assert auth_client.delete(url).status_code == 204
    assert not ApiKey.objects.filter(pk=api_key.pk).exists()


def test_other_users_keys_are_invisible(auth_client, other_client, make_key, other_user):
    api_key, _ = make_key(owner=other_user)
    url = f"/api/api-keys/{api_key.pk}"
    assert int(auth_client.get("/api/api-keys")["X-Total-Count"]) == 0
    for response in (
        auth_client.get(url),
        auth_client.patch(url, {"name": "mine"}, format="json"),
        auth_client.delete(url),
        auth_client.post(f"{url}/revoke"),
        auth_client.get(f"{url}/usage"),
    ):
        assert_error(response, 404, "not_found")
    api_key.refresh_from_db()
    assert api_key.is_active and api_key.name == "test key"
    assert other_client.get(url).status_code == 200


@pytest.mark.parametrize("header", ["x-api-key", "bearer"])
def test_key_acts_as_its_owner(make_key, user, header):
    _, raw_key = make_key()
    client = key_client(raw_key, header=header)
    response = client.get("/users/me/profile")
    assert response.status_code == 200
    assert response.json()["user_id"] == user.pk


def test_read_key_cannot_write(make_key):
    _, raw_key = make_key(permissions=["read"])
    client = key_client(raw_key)
    assert client.get("/api/notifications").status_code == 200
    assert_error(client.patch("/api/notifications/mark-all-read"), 403, "permission_denied")
    assert_error(
        client.post("/api/api-keys", {"name": "escalate"}, format="json"), 403, "permission_denied"
    )


def test_read_key_refusal_says_how_to_write(make_key):
    _, raw_key = make_key(permissions=["read"])
    message = key_client(raw_key).patch("/api/notifications/mark-all-read").json()["message"]
    assert "read-only" in message
    assert '"write"' in message


def test_write_key_may_change_data_but_not_manage_keys(make_key):
    _, raw_key = make_key(permissions=["read", "write"])
    client = key_client(raw_key)
    assert client.patch("/api/notifications/mark-all-read").status_code == 200
    assert client.get("/api/api-keys").status_code == 200
    assert_error(
        client.post("/api/api-keys", {"name": "wider"}, format="json"), 403, "permission_denied"
    )


def test_revoked_key_stops_at_once(auth_client, make_key):
    api_key, raw_key = make_key()
    client = key_client(raw_key)
    assert client.get("/users/me/profile").status_code == 200
    assert auth_client.post(f"/api/api-keys/{api_key.pk}/revoke").status_code == 200
    assert_error(client.get("/users/me/profile"), 401, "api_key_inactive")


def test_unknown_and_malformed_keys(api_client):
    for value in ["dfm_" + "A" * 32, "dfm_short", "dfm_" + "!" * 32]:
        response = api_client.get("/users/me/profile", HTTP_X_API_KEY=value)
        assert_error(response, 401, "invalid_api_key")


def test_expired_key(make_key):
    api_key, raw_key = make_key(expires_in_days=1)
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at_ts=unix_now() - 1)
    assert_error(key_client(raw_key).get("/users/me/profile"), 401, "api_key_expired")


def test_owner_not_active_stops_the_key(make_key, user):
    _, raw_key = make_key()
    type(user).objects.filter(pk=user.pk).update(status=UserStatus.SUSPENDED)
    response = key_client(raw_key).get("/users/me/profile")
    assert_error(response, 401, "account_inactive")
    assert "Suspended" in response.json()["message"]


@pytest.mark.parametrize(
    ("forwarded", "status"),
    [
        ("10.1.2.3", 200),  # inside the CIDR range
        ("192.0.2.7", 200),  # the single address
        ("192.0.2.8", 403),
        ("10.1.2.3, 192.0.2.8", 403),  # a forged left-most entry does not count
        ("192.0.2.8, 10.1.2.3", 200),  # the proxy appended 10.1.2.3
    ],
)
def test_allowed_ips(make_key, forwarded, status):
    _, raw_key = make_key(allowed_ips=["10.1.0.0/16", "192.0.2.7"])
    client = key_client(raw_key, REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    response = client.get("/users/me/profile")
    assert response.status_code == status
    if status == 403:
        assert_error(response, 403, "ip_not_allowed")


def test_allowed_endpoints(make_key):
    _, raw_key = make_key(allowed_endpoints=["/users/me/credits*", "/api/notifications"])
    client = key_client(raw_key)
    assert client.get("/users/me/credits/balance").status_code == 200
    assert client.get("/users/me/credits/history").status_code == 200
    assert client.get("/api/notifications/").status_code == 200
    assert_error(client.get("/users/me/profile"), 403, "endpoint_not_allowed")
    assert_error(client.get("/api/notifications/unread-count"), 403, "endpoint_not_allowed")


def test_keys_in_query_string_or_body_are_refused(make_key, auth_client):
    _, raw_key = make_key()
    response = auth_client.get(f"/users/me/profile?api_key={raw_key}")
    assert_error(response, 400, "api_key_in_query")
    response = auth_client.get(f"/users/me/profile?key={raw_key}")
    assert_error(response, 400, "api_key_in_query")
    response = auth_client.patch(
        "/api/notifications/mark-all-read", {"api_key": raw_key}, format="json"
    )
    assert_error(response, 400, "api_key_in_body")
    response = auth_client.patch("/api/notifications/mark-all-read", {"key": raw_key})
    assert_error(response, 400, "api_key_in_body")
    # An unrelated "key" value is fine.
    assert auth_client.get("/users/me/profile?key=color").status_code == 200


def test_usage_is_logged_with_status_and_client_ip(make_key):
    api_key, raw_key = make_key(permissions=["read"])
    client = key_client(raw_key, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    client.get("/users/me/profile/")
    client.patch("/api/notifications/mark-all-read")
    rows = list(ApiKeyUsage.objects.filter(key=api_key).order_by("created_at", "method"))
    assert sorted((r.method, r.endpoint, r.status_code) for r in rows) == [
        ("GET", "/users/me/profile/", 200),
        ("PATCH", "/api/notifications/mark-all-read", 403),
    ]
    assert {r.ip_address for r in rows} == {"203.0.113.9"}


def test_last_used_is_written_at_most_once_a_minute(make_key):
    api_key, raw_key = make_key()
    client = key_client(raw_key)
    client.get("/users/me/profile")
    api_key.refresh_from_db()
    first = api_key.last_used_at_ts
    assert first is not None and first >= unix_now() - 2
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at_ts=first - 30)
    with CaptureQueriesContext(connection) as queries:
        client.get("/users/me/profile")
    assert not [q for q in queries if q["sql"].startswith("UPDATE") and "last_used" in q["sql"]]
    api_key.refresh_from_db()
    assert api_key.last_used_at_ts == first - 30
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at_ts=first - 61)
    client.get("/users/me/profile")
    api_key.refresh_from_db()
    assert api_key.last_used_at_ts >= first


def test_rate_limit_headers_and_429(make_key):
    api_key, raw_key = make_key(rate_limit_per_minute=3, rate_limit_per_hour=50)
    client = key_client(raw_key)
    remaining = []
    for _ in range(3):
        response = client.get("/users/me/profile")
        assert response.status_code == 200
        assert response["RateLimit-Limit"] == "3"
        assert 0 < int(response["RateLimit-Reset"]) <= 60
        remaining.append(int(response["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    refused = client.get("/users/me/profile")
    assert_error(refused, 429, "rate_limit_exceeded")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Remaining"] == "0"
    assert ApiKeyUsage.objects.filter(key=api_key, status_code=429).count() == 1


def test_tier_default_hourly_limit_applies(make_key):
    _, raw_key = make_key()  # Basic tier: 100 requests per hour
    response = key_client(raw_key).get("/users/me/profile")
    assert response["RateLimit-Limit"] == "100"
    assert response["RateLimit-Remaining"] == "99"
    assert 0 < int(response["RateLimit-Reset"]) <= 3600


def test_jwt_requests_carry_no_rate_limit_headers_and_are_not_logged(auth_client):
    response = auth_client.get("/users/me/profile")
    assert "RateLimit-Limit" not in response
    assert ApiKeyUsage.objects.count() == 0


def test_usage_endpoint(auth_client, make_key):
    api_key, raw_key = make_key()
    client = key_client(raw_key)
    for _ in range(3):
        client.get("/users/me/profile")
    client.patch("/api/notifications/mark-all-read")  # 403: a read key
    body = auth_client.get(f"/api/api-keys/{api_key.pk}/usage?days=7").json()
    assert body["total_requests"] == 4 and body["failed_requests"] == 1
    assert body["successful_requests"] == 3
    assert len(body["daily_usage"]) == 1
    assert body["daily_usage"][0]["requests"] == 4 and body["daily_usage"][0]["errors"] == 1
    assert_error(
        auth_client.get(f"/api/api-keys/{api_key.pk}/usage?days=0"), 400, "validation_error"
    )
    assert_error(auth_client.get(f"/api/api-keys/{uuid.uuid4()}/usage"), 404, "not_found")


def test_api_key_list_query_count_does_not_grow(auth_client, make_key):
    def query_count(rows):
        for index in range(rows):
            make_key(name=f"key {index}")
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get("/api/api-keys?limit=100")
        assert response.status_code == 200
        return len(queries)

    assert query_count(3) == query_count(30)


def test_refused_requests_carry_headers_without_spending_the_budget(make_key):
    _, raw_key = make_key(permissions=["read"], rate_limit_per_minute=5)
    client = key_client(raw_key)
    assert client.get("/users/me/profile")["RateLimit-Remaining"] == "4"
    refused = client.patch("/api/notifications/mark-all-read")
    assert_error(refused, 403, "permission_denied")
    assert refused["RateLimit-Limit"] == "5" and refused["RateLimit-Remaining"] == "4"
    assert client.get("/users/me/profile")["RateLimit-Remaining"] == "3"
