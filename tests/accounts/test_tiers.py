import pytest

from accounts.services.tiers import (
    TierLimitExceeded,
    month_start_ts,
    tier_check_adapter,
    tier_check_circuit_limit,
    tier_check_item_limit,
)
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _own_circuits(user, count):
    from circuits.models import Circuit

    Circuit.objects.bulk_create(Circuit(name=f"c{i}", owner=user) for i in range(count))


def test_circuit_limit_counts_owned_circuits(user):
    _own_circuits(user, 4)
    tier_check_circuit_limit(user=user)
    _own_circuits(user, 1)
    with pytest.raises(TierLimitExceeded) as raised:
        tier_check_circuit_limit(user=user)
    assert raised.value.status_code == 403
    assert raised.value.error_code == "tier_limit_exceeded"
    assert raised.value.details["limit"] == "circuits_owned"


def test_archived_circuits_do_not_count(user):
    from circuits.models import Circuit

    _own_circuits(user, 5)
    Circuit.objects.filter(owner=user).update(status="Archived")
    tier_check_circuit_limit(user=user)


def test_unlimited_tiers():
    user = UserFactory(tier="Enterprise")
    _own_circuits(user, 30)
    tier_check_circuit_limit(user=user)
    tier_check_item_limit(user=user, count=10**6, created_this_month=lambda u: 10**6)


def test_item_limit_per_month(user):
    tier_check_item_limit(user=user, count=1, created_this_month=lambda u: 999)
    with pytest.raises(TierLimitExceeded) as raised:
        tier_check_item_limit(user=user, count=2, created_this_month=lambda u: 999)
    assert raised.value.details == {
        "limit": "items_per_month",
        "tier": "Basic",
        "max": 1000,
        "used": 999,
    }


def test_item_limit_counts_items_created_this_month(user):
    from items.models import Item

    try:
        Item._meta.get_field("created_by")
    except Exception:
        pytest.skip("items do not record their creator")
    last_month = month_start_ts() - 10
    Item.objects.bulk_create(
        [Item(dfid=f"DFID-{i}", item_hash="h", created_by=user) for i in range(3)]
        + [Item(dfid="DFID-old", item_hash="h", created_by=user, created_at_ts=last_month)]
    )
    user.tier = "Basic"
    tier_check_item_limit(user=user, count=997)
    with pytest.raises(TierLimitExceeded) as raised:
        tier_check_item_limit(user=user, count=998)
    assert raised.value.details["used"] == 3


def test_adapters_follow_tier_or_the_users_own_list(user):
    tier_check_adapter(user=user, adapter_type="ipfs-ipfs")
    with pytest.raises(TierLimitExceeded):
        tier_check_adapter(user=user, adapter_type="stellar_testnet-ipfs")
    user.available_adapters = ["stellar_testnet-ipfs"]
    tier_check_adapter(user=user, adapter_type="stellar_testnet-ipfs")
    with pytest.raises(TierLimitExceeded):
        tier_check_adapter(user=user, adapter_type="local")
    admin = UserFactory(tier="Admin")
    tier_check_adapter(user=admin, adapter_type="anything-at-all")
