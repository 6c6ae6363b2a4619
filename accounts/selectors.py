"""Reads of accounts, keys, credits and notifications, always scoped to who may see them."""

from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, F, Max, Min, Q, QuerySet

from accounts.models import (
    ApiKey,
    ApiKeyUsage,
    CreditBalance,
    CreditTransaction,
    Notification,
    User,
)
from accounts.tiers import CreditOperation, operation_cost, tier_limits
from defarm.timeutils import unix_now

SECONDS_PER_DAY = 86_400


def user_credits(*, user: User) -> int:
    balance = CreditBalance.objects.filter(user=user).values_list("credits", flat=True).first()
    return balance or 0


def user_limits(*, user: User) -> dict[str, Any]:
    from accounts.services.tiers import user_available_adapters

    limits = tier_limits(user.tier)
    adapters = user_available_adapters(user=user)
    return {
        "items_per_month": limits.items_per_month,
        "circuits_owned": limits.circuits_owned,
        "api_requests_per_hour": limits.api_requests_per_hour,
        "adapters": list(adapters) if adapters is not None else None,
    }


def user_operation_costs(*, user: User) -> dict[str, int]:
    return {operation.value: operation_cost(user.tier, operation) for operation in CreditOperation}


def credit_transactions_for(*, user: User) -> QuerySet[CreditTransaction]:
    return CreditTransaction.objects.filter(user=user).order_by(
        "-created_at_ts", "-created_at", "transaction_id"
    )


def notifications_for(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user)
    if unread is True:
        notifications = notifications.filter(is_read=False)
    elif unread is False:
        notifications = notifications.filter(is_read=True)
    return notifications.order_by("-created_at_ts", "notification_id")


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()


def api_keys_for(*, user: User) -> QuerySet[ApiKey]:
    return (
        ApiKey.objects.filter(user=user).select_related("user").order_by("-created_at_ts", "key_id")
    )


def api_key_usage_summary(*, api_key: ApiKey, days: int = 30) -> dict[str, Any]:
    """Totals over all time and per-day counts (UTC days) over the last ``days`` days."""
    usage = ApiKeyUsage.objects.filter(key=api_key)
    totals = usage.aggregate(
        total_requests=Count("usage_id"),
        error_requests=Count("usage_id", filter=Q(status_code__gte=400)),
        first_used_at_ts=Min("timestamp_ts"),
        last_used_at_ts=Max("timestamp_ts"),
    )
    since = (unix_now() // SECONDS_PER_DAY - days + 1) * SECONDS_PER_DAY
    per_day = (
        usage.filter(timestamp_ts__gte=since)
        .annotate(day=F("timestamp_ts") / SECONDS_PER_DAY)
        .values("day")
        .annotate(
            requests=Count("usage_id"),
            errors=Count("usage_id", filter=Q(status_code__gte=400)),
        )
        .order_by("day")
    )
    return {
        **totals,
        "days": days,
        "per_day": [
            {
                "date": datetime.fromtimestamp(row["day"] * SECONDS_PER_DAY, tz=UTC).date(),
                "requests": row["requests"],
                "errors": row["errors"],
            }
            for row in per_day
        ],
    }


def users_for_staff(
    *,
    tier: str | None = None,
    status: str | None = None,
    is_admin: bool | None = None,
    search: str | None = None,
) -> QuerySet[User]:
    users = User.objects.select_related("credit_balance")
    if tier:
        users = users.filter(tier=tier)
    if status:
        users = users.filter(status=status)
    if is_admin is not None:
        users = users.filter(is_admin=is_admin)
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(user_id__icontains=search)
            | Q(workspace_id__icontains=search)
        )
    return users.order_by("username")
