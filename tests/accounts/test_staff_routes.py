"""Staff routes of the earlier engine: one account, its credit ledger, the dashboard counts,
freezing and unfreezing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKeyUsage, Notification, User, UserStatus
from accounts.services.credits import credits_charge
from accounts.services.staff import credits_adjust
from accounts.tiers import CreditOperation
from audit.models import AdminAction
from tests.accounts.conftest import key_client
from tests.accounts.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from tests.accounts.test_auth_api import assert_error
from tests.circuits.factories import CircuitFactory
from tests.conftest import client_for
from tests.items.factories import item_for

pytestmark = pytest.mark.django_db


def staff_paths(user_id: str) -> list[tuple[str, str]]:
    return [
        ("get", f"/api/admin/users/{user_id}"),
        ("get", f"/api/admin/users/{user_id}/credits/history"),
        ("get", "/api/admin/dashboard/stats"),
        ("put", f"/api/admin/users/{user_id}/freeze"),
        ("put", f"/api/admin/users/{user_id}/unfreeze"),
    ]


def test_non_staff_get_403_and_anonymous_401(auth_client, api_client, other_user):
    for method, path in staff_paths(other_user.pk):
        assert_error(getattr(auth_client, method)(path), 403, "permission_denied")
        assert getattr(api_client, method)(path).status_code == 401
    other_user.refresh_from_db()
    assert other_user.status == UserStatus.ACTIVE


def test_get_one_user(staff_client, user):
    response = staff_client.get(f"/api/admin/users/{user.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["user"]["user_id"] == user.pk
    assert body["user"]["credits"] == 100
    assert body["user"]["tier"] == "Basic" and body["user"]["status"] == "Active"
    assert body["user"]["limits"]["max_audit_retention_days"] > 0
    assert "password" not in body["user"]
    assert_error(staff_client.get("/api/admin/users/user-nobody"), 404, "not_found")


def test_credit_history_newest_first_and_paged(staff_client, staff_user, user):
    credits_adjust(admin=staff_user, user=user, amount=25, reason="Pilot")
    credits_charge(user=user, operation=CreditOperation.ITEM_CREATION, description="Item")
    response = staff_client.get(f"/api/admin/users/{user.pk}/credits/history?limit=2")
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == user.pk and body["count"] == 2
    assert response["X-Total-Count"] == "3"
    assert 'rel="next"' in response["Link"]
    newest = body["transactions"][0]
    assert set(newest) == {
        "transaction_id",
        "user_id",
        "amount",
        "transaction_type",
        "description",
        "operation_type",
        "operation_id",
        "timestamp",
        "balance_after",
    }
    assert (newest["amount"], newest["transaction_type"], newest["balance_after"]) == (
        -2,
        "Consumption",
        123,
    )
    assert newest["timestamp"].endswith("Z")
    last = staff_client.get(f"/api/admin/users/{user.pk}/credits/history?limit=2&offset=2")
    assert [row["description"] for row in last.json()["transactions"]] == ["Welcome credits"]
    assert_error(staff_client.get("/api/admin/users/user-nobody/credits/history"), 404, "not_found")
    assert_error(
        staff_client.get(f"/api/admin/users/{user.pk}/credits/history?bogus=1"),
        400,
        "validation_error",
    )


def test_credit_history_query_count_does_not_grow(staff_client, staff_user, user):
    def count(extra_rows: int) -> int:
        for _ in range(extra_rows):
            credits_adjust(admin=staff_user, user=user, amount=1, reason="x")
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(f"/api/admin/users/{user.pk}/credits/history?limit=100")
        assert response.status_code == 200
        return len(queries)

    assert count(2) == count(20)


def test_dashboard_counts(staff_client, staff_user, user):
    frozen = UserFactory(status=UserStatus.SUSPENDED)
    UserFactory(tier="Professional")
    User.objects.filter(pk=frozen.pk).update(tier="enterprise")  # as the engine spelled it
    credits_adjust(admin=staff_user, user=user, amount=50, reason="Pilot")
    credits_charge(user=user, operation=CreditOperation.ITEM_CREATION, description="Item")
    item_for(user)  # charged as well
    CircuitFactory(owner=user)
    client_for(user).get("/api/admin/users")  # a refused request is not API-key usage
    response = staff_client.get("/api/admin/dashboard/stats")
    assert response.status_code == 200
    stats = response.json()["stats"]
    assert stats["total_users"] == 4
    assert stats["users_by_tier"] == {"basic": 1, "professional": 1, "enterprise": 1, "admin": 1}
    assert stats["users_by_status"]["Active"] == 3
    assert stats["users_by_status"]["Suspended"] == 1
    assert stats["total_credits_issued"] == 4 * 100 + 50
    consumed = sum(
        -row.amount for row in user.credit_transactions.filter(transaction_type="Consumption")
    )
    assert stats["total_credits_consumed"] == consumed >= 4
    assert stats["new_users_last_30_days"] == 4
    assert stats["total_items"] == 1 and stats["total_circuits"] == 1
    assert stats["api_requests_last_30_days"] == ApiKeyUsage.objects.count()
    assert stats["generated_at"]


def test_dashboard_query_count_is_fixed(staff_client):
    def count(rows: int) -> int:
        UserFactory.create_batch(rows)
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get("/api/admin/dashboard/stats").status_code == 200
        return len(queries)

    assert count(1) == count(15) <= 8


def test_freeze_blocks_login_tokens_and_keys_then_unfreeze(
    staff_client, staff_user, user, api_client, make_key
):
    user_client = client_for(user)
    _, raw_key = make_key(permissions=["read"])
    assert user_client.get("/users/me/profile").status_code == 200

    response = staff_client.put(f"/api/admin/users/{user.pk}/freeze")
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "User frozen successfully"}
    user.refresh_from_db()
    assert user.status == UserStatus.SUSPENDED
    assert user_client.get("/users/me/profile").status_code == 401
    assert key_client(raw_key).get("/users/me/profile").status_code == 401
    login = {"username": user.username, "password": DEFAULT_PASSWORD}
    assert api_client.post("/api/auth/login", login, format="json").status_code == 401
    action = AdminAction.objects.get(admin=staff_user, target_id=user.pk)
    assert action.action_type == "user_set_status"
    assert action.action_data == {"from": "Active", "to": "Suspended"}
    assert Notification.objects.filter(user=user, notification_type="account_frozen").exists()

    response = staff_client.put(f"/api/admin/users/{user.pk}/unfreeze/")
    assert response.json() == {"success": True, "message": "User unfrozen successfully"}
    user.refresh_from_db()
    assert user.status == UserStatus.ACTIVE
    assert api_client.post("/api/auth/login", login, format="json").status_code == 200
    assert key_client(raw_key).get("/users/me/profile").status_code == 200
    assert user_client.get("/users/me/profile").status_code == 401  # ended sessions stay ended
    assert Notification.objects.filter(user=user, notification_type="account_unfrozen").exists()
    assert AdminAction.objects.filter(target_id=user.pk).count() == 2


def test_freeze_unknown_or_self(staff_client, staff_user):
    assert_error(staff_client.put("/api/admin/users/user-nobody/freeze"), 404, "not_found")
    assert_error(
        staff_client.put(f"/api/admin/users/{staff_user.pk}/freeze"), 400, "validation_error"
    )
    assert StaffFactory._meta.model.objects.get(pk=staff_user.pk).status == "Active"


def test_freeze_twice_is_recorded_once(staff_client, user):
    for _ in range(2):
        assert staff_client.put(f"/api/admin/users/{user.pk}/freeze").status_code == 200
    assert AdminAction.objects.filter(target_id=user.pk).count() == 1
