"""What users did (``user_activities``): written by DeFarm's services where things happen
(one INSERT each, no read) and posted by clients; pruned by each tier's retention."""

import json
from functools import reduce
from operator import or_
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from rest_framework import exceptions

from accounts.models import (
    Tier,
    User,
    UserActivity,
    UserActivityCategory,
    UserActivityType,
    UserResourceType,
)
from audit.context import request_metadata
from defarm.timeutils import unix_now

SECONDS_PER_DAY = 86_400

# Re-exported so the services that record activities name them from one place.
ActivityType = UserActivityType
Category = UserActivityCategory
ResourceType = UserResourceType


def _json_safe(metadata: Any) -> Any:
    """Metadata as JSON holds it (UUIDs, dates and decimals as text)."""
    if metadata is None:
        return None
    return json.loads(json.dumps(metadata, cls=DjangoJSONEncoder))


def user_activity_record(
    *,
    user: User,
    activity_type: str,
    category: str,
    resource_type: str,
    resource_id: str,
    action: str,
    description: str = "",
    metadata: Any = None,
    success: bool = True,
    workspace_id: str | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> UserActivity:
    """Record one activity of ``user`` (one INSERT). The workspace defaults to the user's
    own, the address and user agent to those of the request being served."""
    request = request_metadata()
    return UserActivity.objects.create(
        user_id=user.pk,
        workspace_id=workspace_id or user.workspace_id,
        activity_type=activity_type,
        category=category,
        resource_type=resource_type,
        resource_id=str(resource_id)[:255],
        action=action[:255],
        description=description,
        metadata=_json_safe(metadata),
        success=success,
        ip_address=(ip_address or request.get("ip_address") or None),
        user_agent=(user_agent or request.get("user_agent") or None),
    )


def _retention_days() -> dict[str, int]:
    from audit.services.trail import AUDIT_RETENTION_DAYS

    return AUDIT_RETENTION_DAYS


def user_activities_past_retention(*, now: int | None = None) -> Q:
    """Activities older than their user's tier keeps audit rows
    (``max_audit_retention_days``: Basic 30 days ... Admin 3650). Tiers spelled as V1 rows
    spell them count as the same tier; an unknown tier counts as Basic."""
    now = unix_now() if now is None else now
    retention = _retention_days()
    other_tiers = reduce(or_, (Q(tier=tier) for tier in retention if tier != Tier.BASIC))
    expired = Q()
    for tier, days in retention.items():
        if tier == Tier.BASIC:
            users = User.objects.exclude(other_tiers)
        else:
            users = User.objects.filter(tier=tier)
        expired |= Q(user_id__in=users.values("pk"), timestamp_ts__lt=now - days * SECONDS_PER_DAY)
    return expired


@transaction.atomic
def user_activities_cleanup(*, admin: User, before_ts: int | None = None) -> int:
    """Delete (staff only) the activities past their user's retention, only those before
    ``before_ts`` when given; activities still within retention are never deleted. Recorded
    as an admin action. Returns how many were deleted."""
    from audit.services import admin_action_record

    if not admin.is_admin:
        raise exceptions.PermissionDenied("Only staff may clean up user activity.")
    expired = UserActivity.objects.filter(user_activities_past_retention())
    if before_ts is not None:
        expired = expired.filter(timestamp_ts__lt=before_ts)
    deleted, _ = expired.delete()
    admin_action_record(
        admin=admin,
        action_type="user_activity_cleanup",
        target_id=None,
        data={"before_ts": before_ts, "deleted_count": deleted},
    )
    return deleted
