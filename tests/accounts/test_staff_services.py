import pytest
from rest_framework import exceptions

from accounts.models import ApiKey, CreditBalance, Notification, TransactionType, UserStatus
from accounts.services.api_keys import api_key_create, api_key_hash, api_key_revoke
from accounts.services.staff import (
    credits_adjust,
    credits_bulk_grant,
    user_set_adapters,
    user_set_admin,
    user_set_status,
    user_set_tier,
)
from audit.models import AdminAction
from defarm.api.exceptions import InsufficientCredits
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_freeze_and_unfreeze_record_and_notify(staff_user, user):
    user_set_status(admin=staff_user, user=user, status=UserStatus.SUSPENDED)
    user.refresh_from_db()
    assert user.status == UserStatus.SUSPENDED
    user_set_status(admin=staff_user, user=user, status=UserStatus.ACTIVE)
    changes = AdminAction.objects.filter(target_id=user.pk, action_type="user_set_status")
    assert sorted(change.action_data["to"] for change in changes) == ["Active", "Suspended"]
    assert set(
        Notification.objects.filter(user=user).values_list("notification_type", flat=True)
    ) == {"account_frozen", "account_unfrozen"}


def test_non_staff_cannot_change_accounts(user, other_user):
    with pytest.raises(exceptions.PermissionDenied):
        user_set_tier(admin=user, user=other_user, tier="Enterprise")


def test_tier_admin_and_adapters(staff_user, user):
    user_set_tier(admin=staff_user, user=user, tier="Professional")
    user_set_admin(admin=staff_user, user=user, is_admin=True)
    user_set_adapters(admin=staff_user, user=user, adapters=["local", "ipfs-ipfs"])
    user.refresh_from_db()
    assert (user.tier, user.is_admin, user.available_adapters) == (
        "Professional",
        True,
        ["ipfs-ipfs", "local"],
    )
    assert AdminAction.objects.filter(target_id=user.pk).count() == 3
    assert Notification.objects.filter(user=user).count() == 3


def test_credits_adjust_grant_and_penalty(staff_user, user):
    credits_adjust(admin=staff_user, user=user, amount=50, reason="Goodwill")
    row = credits_adjust(admin=staff_user, user=user, amount=-30, reason="Abuse")
    assert row.transaction_type == TransactionType.PENALTY
    assert CreditBalance.objects.get(user=user).credits == 120
    with pytest.raises(InsufficientCredits):
        credits_adjust(admin=staff_user, user=user, amount=-1000, reason="Too much")
    assert CreditBalance.objects.get(user=user).credits == 120


def test_bulk_grant_is_all_or_nothing(staff_user):
    users = UserFactory.create_batch(3)
    credits_bulk_grant(admin=staff_user, users=users, amount=10, reason="Launch")
    assert sorted(
        CreditBalance.objects.filter(user__in=users).values_list("credits", flat=True)
    ) == [
        110,
        110,
        110,
    ]
    assert AdminAction.objects.filter(action_type="credits_bulk_grant").count() == 1


def test_api_key_create_stores_only_the_hash(user):
    api_key, raw_key = api_key_create(user=user, name="ci")
    assert raw_key.startswith("dfm_") and len(raw_key) == 36
    assert raw_key[4:].isalnum()
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert stored.key_hash == api_key_hash(raw_key) and stored.key_prefix == raw_key[:8]
    assert raw_key not in str(ApiKey.objects.filter(pk=api_key.pk).values().get())
    assert stored.permissions == ["read"]


def test_api_key_admin_permission_needs_staff(user, staff_user):
    with pytest.raises(exceptions.PermissionDenied):
        api_key_create(user=user, name="x", permissions=["admin"])
    api_key, _ = api_key_create(user=staff_user, name="x", permissions=["read", "admin"])
    assert api_key.permissions == ["read", "admin"]


def test_api_key_revoke_by_staff_is_recorded(user, staff_user):
    api_key, _ = api_key_create(user=user, name="x")
    api_key_revoke(api_key=api_key, actor=staff_user)
    assert ApiKey.objects.get(pk=api_key.pk).is_active is False
    assert AdminAction.objects.filter(action_type="api_key_revoke", target_id=user.pk).exists()
