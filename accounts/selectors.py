"""Reads of accounts, keys, credits and notifications, always scoped to who may see them."""

from datetime import UTC, datetime
from typing import Any

from django.db.models import (
    Avg,
    Count,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from accounts.models import (
    ApiKey,
    ApiKeyUsage,
    CreditBalance,
    CreditTransaction,
    Notification,
    Tier,
    TransactionType,
    User,
    UserActivity,
    UserStatus,
    Workspace,
    WorkspaceMember,
    WorkspaceVisibility,
)
from accounts.tiers import (
    CreditOperation,
    operation_cost,
    tier_canonical,
    tier_limits,
)
from audit.models import AdminAction
from defarm.timeutils import unix_now

SECONDS_PER_DAY = 86_400


def user_credits(*, user: User) -> int:
    balance = CreditBalance.objects.filter(user=user).values_list("credits", flat=True).first()
    return balance or 0


def user_credit_balance(*, user: User) -> dict[str, Any]:
    """The balance, the tier and when the balance last changed."""
    balance = CreditBalance.objects.filter(user=user).first()
    return {
        "credits": balance.credits if balance else 0,
        "tier": user.tier,
        "last_updated": balance.updated_at if balance else user.updated_at,
    }


# Adapter types whose writes go to a main network (paid); the tiers offering one are the
# "premium adapter" tiers.
PREMIUM_ADAPTER_TYPES = frozenset(
    {"stellar_mainnet-ipfs", "ethereum_goerli-ipfs", "polygon-arweave"}
)


def user_limits(*, user: User) -> dict[str, Any]:
    """The tier's limits as they apply to ``user``: items per month, circuits owned, requests
    per hour per key, adapter types and how long audit rows are kept. DeFarm limits nothing
    else (null = no limit)."""
    from accounts.services.tiers import user_available_adapters
    from adapters.registry import ADAPTER_TYPES
    from audit.services.trail import AUDIT_RETENTION_DAYS

    limits = tier_limits(user.tier)
    adapters = user_available_adapters(user=user)
    return {
        "max_items_per_month": limits.items_per_month,
        "max_circuits": limits.circuits_owned,
        "max_storage_locations": None,
        "max_api_requests_per_hour": limits.api_requests_per_hour,
        "max_workspace_members": None,
        "can_use_premium_adapters": adapters is None
        or bool(PREMIUM_ADAPTER_TYPES.intersection(adapters)),
        "max_audit_retention_days": AUDIT_RETENTION_DAYS[tier_canonical(user.tier)],
        "priority_support": False,
        "available_adapters": list(adapters if adapters is not None else ADAPTER_TYPES),
    }


def user_profile(*, user: User) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "username": user.username,
        "email": user.email,
        "tier": user.tier,
        "credits": user_credits(user=user),
        "status": user.status,
        "is_admin": user.is_admin,
        "created_at_ts": user.created_at_ts,
        "workspace_id": user.workspace_id,
        "subscription": None,
        "limits": user_limits(user=user),
    }


# Operations the earlier engine listed a price for that DeFarm does not charge.
UNCHARGED_OPERATIONS = ("audit_export", "premium_adapter_usage", "api_request")


def user_operation_costs(*, user: User) -> dict[str, int]:
    """What each operation costs ``user`` in credits (0 for those DeFarm does not charge)."""
    costs = {operation.value: operation_cost(user.tier, operation) for operation in CreditOperation}
    return {**costs, **dict.fromkeys(UNCHARGED_OPERATIONS, 0)}


def credit_transactions_for(*, user: User) -> QuerySet[CreditTransaction]:
    return CreditTransaction.objects.filter(user=user).order_by(
        "-created_at_ts", "-created_at", "transaction_id"
    )


def notifications_for(
    *, user: User, unread: bool | None = None, since_ts: int | None = None
) -> QuerySet[Notification]:
    """The notifications of ``user``, newest first: unread (or read) ones only, created at
    or after ``since_ts``."""
    notifications = Notification.objects.filter(user=user)
    if since_ts is not None:
        notifications = notifications.filter(created_at_ts__gte=since_ts)
    if unread is True:
        notifications = notifications.filter(is_read=False)
    elif unread is False:
        notifications = notifications.filter(is_read=True)
    return notifications.order_by("-created_at_ts", "notification_id")


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()


def api_keys_for(*, user: User, include_inactive: bool = True) -> QuerySet[ApiKey]:
    """The keys of ``user`` with ``usage_count`` (requests logged with each)."""
    usage_count = (
        ApiKeyUsage.objects.filter(key=OuterRef("pk"))
        .order_by()
        .values("key")
        .annotate(count=Count("usage_id"))
        .values("count")
    )
    keys = ApiKey.objects.filter(user=user)
    if not include_inactive:
        keys = keys.filter(is_active=True)
    return (
        keys.select_related("user")
        .annotate(usage_count=Coalesce(Subquery(usage_count), 0))
        .order_by("-created_at_ts", "key_id")
    )


def api_key_usage_summary(*, api_key: ApiKey, days: int = 30) -> dict[str, Any]:
    """Totals over all time (requests, errors, mean answer time) and per-day counts (UTC
    days) over the last ``days`` days."""
    usage = ApiKeyUsage.objects.filter(key=api_key)
    totals = usage.aggregate(
        total_requests=Count("usage_id"),
        error_requests=Count("usage_id", filter=Q(status_code__gte=400)),
        first_used_at_ts=Min("timestamp_ts"),
        last_used_at_ts=Max("timestamp_ts"),
        avg_response_time_ms=Avg("response_time_ms"),
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
    username: str | None = None,
    email: str | None = None,
    tier: str | None = None,
    status: str | None = None,
    is_admin: bool | None = None,
    search: str | None = None,
) -> QuerySet[User]:
    """Accounts for staff, by username or e-mail part, tier (either spelling V1 rows hold),
    status, staff rights or a one-box search."""
    users = User.objects.select_related("credit_balance")
    if username:
        users = users.filter(username__icontains=username)
    if email:
        users = users.filter(email__icontains=email)
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


def admin_actions_for_staff(*, admin_id: str | None = None) -> QuerySet[AdminAction]:
    actions = AdminAction.objects.select_related("admin")
    if admin_id:
        actions = actions.filter(admin_id=admin_id)
    return actions.order_by("-performed_at_ts", "action_id")


# --- Workspaces ------------------------------------------------------------------------------


def workspaces_visible_to(*, user: User) -> QuerySet[Workspace]:
    """The workspaces ``user`` is a member of (every workspace for staff), members prefetched
    in join order."""
    workspaces = Workspace.objects.all()
    if not user.is_admin:
        workspaces = workspaces.filter(members__user=user)
    return workspaces.prefetch_related(
        Prefetch("members", queryset=WorkspaceMember.objects.order_by("joined_at_ts", "id"))
    ).order_by("created_at_ts", "workspace_id")


def workspaces_of_member(*, user: User) -> QuerySet[Workspace]:
    """The workspaces ``user`` is a member of (what ``/api/workspaces/user/{id}`` lists)."""
    return (
        Workspace.objects.filter(members__user=user)
        .prefetch_related(
            Prefetch("members", queryset=WorkspaceMember.objects.order_by("joined_at_ts", "id"))
        )
        .order_by("created_at_ts", "workspace_id")
    )


def workspace_sharers(*, user: User) -> QuerySet[WorkspaceMember]:
    """The users whose items and circuits ``user`` sees through a workspace (a ``user_id``
    values subquery): the other members of each workspace ``user`` belongs to whose
    ``settings.default_visibility`` is ``Workspace``, when it is their own workspace
    (``user_accounts.workspace_id``). Not correlated with the rows it filters: the database
    reads ``user``'s memberships (index on ``workspace_members.user_id``), those workspaces'
    members (``workspace_members_workspace_user_key``) and their accounts (primary key) once,
    and the items or circuits by their creator's index."""
    sharing = WorkspaceMember.objects.filter(
        user=user, workspace__settings__default_visibility=WorkspaceVisibility.WORKSPACE.value
    ).values("workspace_id")
    return (
        WorkspaceMember.objects.filter(
            workspace_id__in=sharing, user__workspace_id=F("workspace_id")
        )
        .exclude(user=user)
        .order_by()
        .values("user_id")
    )


def workspace_stats(*, workspace_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Real counts per workspace, in four queries whatever the number of workspaces:
    ``total_members`` its members; ``total_circuits`` circuits owned by a member;
    ``total_items`` items created by a member; ``total_events`` events on those items;
    ``storage_used_mb`` 0.0, because DeFarm records no byte sizes of what adapters store
    (``storage_history`` keeps locations, not sizes)."""
    from circuits.models import Circuit
    from items.models import Event, Item

    stats = {
        workspace_id: {
            "total_members": 0,
            "total_circuits": 0,
            "total_items": 0,
            "total_events": 0,
            "storage_used_mb": 0.0,
        }
        for workspace_id in workspace_ids
    }
    if not workspace_ids:
        return stats
    counts = (
        (
            "total_members",
            WorkspaceMember.objects.filter(workspace_id__in=workspace_ids),
            "workspace_id",
            "id",
        ),
        (
            "total_circuits",
            Circuit.objects.filter(owner__workspace_memberships__workspace_id__in=workspace_ids),
            "owner__workspace_memberships__workspace_id",
            "circuit_id",
        ),
        (
            "total_items",
            Item.objects.filter(created_by__workspace_memberships__workspace_id__in=workspace_ids),
            "created_by__workspace_memberships__workspace_id",
            "dfid",
        ),
        (
            "total_events",
            Event.objects.filter(
                item__created_by__workspace_memberships__workspace_id__in=workspace_ids
            ),
            "item__created_by__workspace_memberships__workspace_id",
            "event_id",
        ),
    )
    for key, queryset, group, counted in counts:
        rows = queryset.order_by().values_list(group).annotate(total=Count(counted, distinct=True))
        for workspace_id, total in rows:
            stats[workspace_id][key] = total
    return stats


# --- Staff dashboard ---------------------------------------------------------------------------

ISSUED_TRANSACTION_TYPES = (
    TransactionType.GRANT,
    TransactionType.PURCHASE,
    TransactionType.SUBSCRIPTION,
    TransactionType.REFUND,
)


def staff_dashboard_stats(*, days: int = 30) -> dict[str, Any]:
    """Real counts for the staff dashboard in five queries whatever the number of rows:
    accounts by tier and status (with those created and signed in over the last ``days``
    days), credits granted (grants, purchases, subscriptions, refunds) and consumed, items,
    circuits and API-key requests logged over the last ``days`` days."""
    from circuits.models import Circuit
    from items.models import Item

    since = unix_now() - days * SECONDS_PER_DAY
    by_tier = dict.fromkeys((tier.lower() for tier in Tier.values), 0)
    by_status: dict[str, int] = dict.fromkeys(UserStatus.values, 0)
    totals = {"users": 0, "new": 0, "active": 0}
    rows = (
        User.objects.order_by()
        .values("tier", "status")
        .annotate(
            users=Count("user_id"),
            new=Count("user_id", filter=Q(created_at_ts__gte=since)),
            active=Count("user_id", filter=Q(last_login_ts__gte=since)),
        )
    )
    for row in rows:
        tier = tier_canonical(row["tier"]).lower()
        by_tier[tier] = by_tier.get(tier, 0) + row["users"]
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["users"]
        for key in totals:
            totals[key] += row[key]
    credits = CreditTransaction.objects.order_by().aggregate(
        issued=Coalesce(
            Sum("amount", filter=Q(transaction_type__in=ISSUED_TRANSACTION_TYPES, amount__gt=0)),
            0,
        ),
        consumed=Coalesce(Sum("amount", filter=Q(transaction_type=TransactionType.CONSUMPTION)), 0),
    )
    return {
        "total_users": totals["users"],
        "users_by_tier": by_tier,
        "users_by_status": by_status,
        "total_credits_issued": credits["issued"],
        "total_credits_consumed": -credits["consumed"],
        "active_users_last_30_days": totals["active"],
        "new_users_last_30_days": totals["new"],
        "total_items": Item.objects.order_by().count(),
        "total_circuits": Circuit.objects.order_by().count(),
        "api_requests_last_30_days": ApiKeyUsage.objects.filter(timestamp_ts__gte=since)
        .order_by()
        .count(),
        "generated_at": datetime.now(tz=UTC),
    }


# --- User activity ---------------------------------------------------------------------------

MOST_ACTIVE_HOURS = 5


def user_activities_visible_to(
    *,
    user: User,
    user_id: str | None = None,
    category: str | None = None,
    activity_type: str | None = None,
    resource_type: str | None = None,
    start_ts: int | None = None,
    end_ts: int | None = None,
    search: str | None = None,
) -> QuerySet[UserActivity]:
    """The activities ``user`` may see (their own; every user's for staff), newest first,
    filtered by user (staff), category, type, resource type, time (inclusive) and a search in
    the action, description and resource id."""
    activities = UserActivity.objects.all()
    if not user.is_admin:
        activities = activities.filter(user=user)
    if user_id:
        activities = activities.filter(user_id=user_id)
    if category:
        activities = activities.filter(category=category)
    if activity_type:
        activities = activities.filter(activity_type=activity_type)
    if resource_type:
        activities = activities.filter(resource_type=resource_type)
    if start_ts is not None:
        activities = activities.filter(timestamp_ts__gte=start_ts)
    if end_ts is not None:
        activities = activities.filter(timestamp_ts__lte=end_ts)
    if search:
        activities = activities.filter(
            Q(action__icontains=search)
            | Q(description__icontains=search)
            | Q(resource_id__icontains=search)
        )
    return activities.order_by("-timestamp_ts", "activity_id")


def user_activity_stats(
    *, activities: QuerySet[UserActivity], start_ts: int, end_ts: int
) -> dict[str, Any]:
    """Counts over ``activities`` between ``start_ts`` and ``end_ts`` in two queries: the
    total, per category and type, the five busiest UTC hours ``[hour, count]`` and the share
    of successful ones in percent (100.0 when there are none)."""
    period = activities.filter(timestamp_ts__gte=start_ts, timestamp_ts__lte=end_ts).order_by()
    by_category: dict[str, int] = {}
    by_type: dict[str, int] = {}
    total = successful = 0
    for row in period.values("category", "activity_type", "success").annotate(
        count=Count("activity_id")
    ):
        by_category[row["category"]] = by_category.get(row["category"], 0) + row["count"]
        by_type[row["activity_type"]] = by_type.get(row["activity_type"], 0) + row["count"]
        total += row["count"]
        successful += row["count"] if row["success"] else 0
    hours = (
        period.annotate(hour=F("timestamp_ts") % SECONDS_PER_DAY / 3600)
        .values("hour")
        .annotate(count=Count("activity_id"))
        .order_by("-count", "hour")[:MOST_ACTIVE_HOURS]
    )
    return {
        "total_actions": total,
        "by_category": by_category,
        "by_type": by_type,
        "most_active_hours": [[int(row["hour"]), row["count"]] for row in hours],
        "success_rate": successful * 100.0 / total if total else 100.0,
        "period_start": start_ts,
        "period_end": end_ts,
    }
