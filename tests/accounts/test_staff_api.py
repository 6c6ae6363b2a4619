import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CreditBalance, CreditTransaction, Notification, User, UserStatus
from audit.models import AdminAction
from tests.accounts.conftest import key_client
from tests.accounts.factories import StaffFactory, UserFactory
from tests.accounts.test_auth_api import assert_error

pytestmark = pytest.mark.django_db


def test_staff_endpoints_refuse_non_staff(auth_client, user):
    for response in (
        auth_client.get("/api/admin/users"),
        auth_client.put(f"/api/admin/users/{user.pk}", {"tier": "Admin"}, format="json"),
        auth_client.post(f"/api/admin/users/{user.pk}/credits", {"amount": 5, "reason": "x"}),
        auth_client.get("/api/admin/actions"),
    ):
        assert_error(response, 403, "permission_denied")
    user.refresh_from_db()
    assert user.tier == "Basic"


def test_list_filters(staff_client, staff_user):
    UserFactory(username="alice", tier="Professional")
    UserFactory(username="bob", status=UserStatus.SUSPENDED)

    def names(query):
        response = staff_client.get(f"/api/admin/users?{query}")
        assert response.status_code == 200
        return [row["username"] for row in response.json()["users"]]

    assert names("tier=Professional") == ["alice"]
    assert names("status=Suspended") == ["bob"]
    assert names("is_admin=true") == [staff_user.username]
    assert names("search=ALI") == ["alice"]
    row = staff_client.get("/api/admin/users?search=alice").json()["users"][0]
    assert row["credits"] == 100 and "password" not in row


def test_create_user(staff_client, staff_user):
    response = staff_client.post(
        "/api/admin/users",
        {
            "username": "carol",
            "email": "carol@example.com",
            "password": "Str0ng-pass!",
            "tier": "Enterprise",
        },
        format="json",
    )
    assert response.status_code == 200
    created = User.objects.get(pk=response.json()["user_id"])
    assert created.tier == "Enterprise" and created.credit_balance.credits == 100
    assert AdminAction.objects.filter(admin=staff_user, action_type="user_create").exists()


def test_patch_user_records_and_notifies(staff_client, staff_user, user):
    response = staff_client.put(
        f"/api/admin/users/{user.pk}/",
        {"tier": "Professional", "status": "Suspended", "available_adapters": ["local"]},
        format="json",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.tier, user.status, user.available_adapters) == (
        "Professional",
        "Suspended",
        ["local"],
    )
    assert set(
        AdminAction.objects.filter(target_id=user.pk).values_list("action_type", flat=True)
    ) == {"user_set_tier", "user_set_status", "user_set_adapters"}
    assert set(
        Notification.objects.filter(user=user).values_list("notification_type", flat=True)
    ) >= {
        "tier_changed",
        "account_frozen",
    }
    unfreeze = staff_client.put(f"/api/admin/users/{user.pk}", {"status": "Active"}, format="json")
    assert unfreeze.json()["changes"] == "status: Suspended -> Active"
    assert_error(
        staff_client.put("/api/admin/users/user-missing", {"tier": "Basic"}, format="json"),
        404,
        "not_found",
    )


def test_credit_grant_and_penalty(staff_client, staff_user, user):
    grant = staff_client.post(
        f"/api/admin/users/{user.pk}/credits", {"amount": 25, "reason": "Pilot"}, format="json"
    )
    assert grant.status_code == 200
    assert grant.json()["amount"] == 25 and grant.json()["balance_after"] == 125
    penalty = staff_client.post(
        f"/api/admin/users/{user.pk}/credits", {"amount": -5, "reason": "Spam"}, format="json"
    )
    assert penalty.json()["amount"] == -5
    assert CreditTransaction.objects.get(pk=penalty.json()["transaction_id"]).transaction_type == (
        "Penalty"
    )
    too_much = staff_client.post(
        f"/api/admin/users/{user.pk}/credits", {"amount": -500, "reason": "x"}, format="json"
    )
    assert_error(too_much, 402, "insufficient_credits")
    assert CreditBalance.objects.get(user=user).credits == 120
    assert AdminAction.objects.filter(action_type="credits_adjust", target_id=user.pk).count() == 2
    assert Notification.objects.filter(user=user, notification_type="credits_adjusted").count() == 2


def test_bulk_grant(staff_client):
    users = UserFactory.create_batch(3)
    response = staff_client.post(
        "/api/admin/users/credits/bulk-grant",
        {"user_ids": [u.pk for u in users], "amount": 10, "reason": "Harvest bonus"},
        format="json",
    )
    assert response.json()["successful_count"] == 3
    assert set(CreditBalance.objects.filter(user__in=users).values_list("credits", flat=True)) == {
        110
    }
    missing = staff_client.post(
        "/api/admin/users/credits/bulk-grant",
        {"user_ids": [users[0].pk, "user-nobody"], "amount": 10, "reason": "x"},
        format="json",
    )
    assert missing.json()["failed"] == [["user-nobody", "User not found"]]
    assert CreditBalance.objects.get(user=users[0]).credits == 120
    nobody = staff_client.post(
        "/api/admin/users/credits/bulk-grant",
        {"user_ids": ["user-nobody"], "amount": 10, "reason": "x"},
        format="json",
    )
    assert nobody.json()["successful_count"] == 0 and nobody.json()["failed_count"] == 1
    refused = staff_client.post(
        "/api/admin/users/credits/bulk-grant",
        {"user_ids": [users[0].pk], "amount": -10, "reason": "x"},
        format="json",
    )
    assert_error(refused, 400, "validation_error")


def test_admin_actions_list(staff_client, staff_user, user):
    staff_client.put(f"/api/admin/users/{user.pk}", {"tier": "Enterprise"}, format="json")
    rows = staff_client.get("/api/admin/actions").json()["actions"]
    assert rows[0]["action_type"] == "TierChanged"
    assert rows[0]["admin_username"] == staff_user.username
    assert rows[0]["target_user_id"] == user.pk
    assert rows[0]["details"] == {"from": "Basic", "to": "Enterprise"}


def test_staff_api_key_needs_admin_permission(staff_user, make_key):
    _, read_key = make_key(owner=staff_user, permissions=["read"])
    assert_error(key_client(read_key).get("/api/admin/users"), 403, "permission_denied")
    _, admin_key = make_key(owner=staff_user, permissions=["read", "admin"])
    assert key_client(admin_key).get("/api/admin/users").status_code == 200
    # The admin permission stops working when the owner is no longer staff.
    User.objects.filter(pk=staff_user.pk).update(is_admin=False)
    assert_error(key_client(admin_key).get("/api/admin/users"), 403, "permission_denied")


def test_staff_list_query_counts_do_not_grow(staff_client, staff_user):
    def query_count(rows):
        users = UserFactory.create_batch(rows)
        from accounts.services.staff import user_set_tier

        for user in users:
            user_set_tier(admin=staff_user, user=user, tier="Professional")
        counts = []
        for path in ("/api/admin/users?limit=100", "/api/admin/actions?limit=100"):
            with CaptureQueriesContext(connection) as queries:
                assert staff_client.get(path).status_code == 200
            counts.append(len(queries))
        return counts

    assert query_count(3) == query_count(30)


def test_staff_cannot_freeze_themselves(staff_client, staff_user):
    response = staff_client.put(
        f"/api/admin/users/{staff_user.pk}", {"status": "Suspended"}, format="json"
    )
    assert_error(response, 400, "validation_error")
    assert StaffFactory._meta.model.objects.get(pk=staff_user.pk).status == "Active"
