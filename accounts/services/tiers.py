"""Tier limits, enforced: services that create circuits or items or pick adapters call these
before writing. Each raises 403 ``tier_limit_exceeded`` naming the limit."""

from collections.abc import Callable
from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from rest_framework import status

from accounts.models import User
from accounts.tiers import tier_limits
from defarm.api.exceptions import ApiError
from defarm.timeutils import unix_now


class TierLimitExceeded(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "tier_limit_exceeded"
    default_detail = "The account's tier does not allow this."


def month_start_ts(now_ts: int | None = None) -> int:
    """Unix seconds of the first instant of the current UTC calendar month."""
    now = datetime.fromtimestamp(now_ts if now_ts is not None else unix_now(), tz=UTC)
    return int(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())


def _serialise_per_user(user: User) -> None:
    """Inside the caller's transaction, lock the user's row so two concurrent creations cannot
    both pass a count-then-create check."""
    if connection.in_atomic_block:
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def user_available_adapters(*, user: User) -> tuple[str, ...] | None:
    """The adapter types ``user`` may use; ``None`` = every type."""
    if user.available_adapters:
        return tuple(user.available_adapters)
    return tier_limits(user.tier).adapters


def tier_check_circuit_limit(*, user: User) -> None:
    """Refuse a new circuit when the user already owns the tier's maximum (archived ones
    do not count)."""
    from circuits.models import Circuit, CircuitStatus

    limit = tier_limits(user.tier).circuits_owned
    if limit is None:
        return
    _serialise_per_user(user)
    owned = Circuit.objects.filter(owner=user).exclude(status=CircuitStatus.ARCHIVED).count()
    if owned >= limit:
        raise TierLimitExceeded(
            f"The {user.tier} tier allows {limit} circuits; you own {owned}.",
            details={"limit": "circuits_owned", "tier": user.tier, "max": limit, "used": owned},
        )


def _items_created_this_month(user: User) -> int:
    from items.models import Item

    try:
        Item._meta.get_field("created_by")
    except FieldDoesNotExist:
        return 0  # Items do not record their creator: nothing to count against.
    return Item.objects.filter(created_by=user, created_at_ts__gte=month_start_ts()).count()


def tier_check_item_limit(
    *,
    user: User,
    count: int = 1,
    created_this_month: Callable[[User], int] | None = None,
) -> None:
    """Refuse creating ``count`` items when it would pass the tier's items per month.

    Items created by the user in the current UTC calendar month are counted from
    ``Item.created_by``; ``created_this_month`` may supply another count.
    """
    limit = tier_limits(user.tier).items_per_month
    if limit is None:
        return
    _serialise_per_user(user)
    used = (created_this_month or _items_created_this_month)(user)
    if used + count > limit:
        raise TierLimitExceeded(
            f"The {user.tier} tier allows {limit} new items per month; "
            f"{used} were created this month and this adds {count}.",
            details={"limit": "items_per_month", "tier": user.tier, "max": limit, "used": used},
        )


def tier_check_adapter(*, user: User, adapter_type: str) -> None:
    """Refuse an adapter type the user's tier (or their own adapter list) does not include."""
    allowed = user_available_adapters(user=user)
    if allowed is None or adapter_type in allowed:
        return
    raise TierLimitExceeded(
        f"The adapter {adapter_type!r} is not available to this account "
        f"(available: {', '.join(allowed)}).",
        details={
            "limit": "adapters",
            "tier": user.tier,
            "adapter_type": adapter_type,
            "available": list(allowed),
        },
    )
