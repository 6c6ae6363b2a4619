"""Staff resolution of identifier conflicts: merge the items into one DFID or keep them apart."""

from django.db import transaction
from rest_framework import exceptions

from accounts.models import User
from audit.services import admin_action_record
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now
from items.models import ConflictResolution, ConflictStatus, Item, ItemStatus
from items.services.items import item_merge_into


class ConflictStrategy:
    MERGE = "merge"
    KEEP_SEPARATE = "keep_separate"
    ALL = ("merge", "keep_separate")


@transaction.atomic
def conflict_resolve(
    *,
    admin: User,
    conflict: ConflictResolution,
    strategy: str,
    target_dfid: str | None = None,
) -> ConflictResolution:
    """Resolve a Pending conflict (staff only; an ``admin_actions`` row records it).

    ``merge`` merges every other conflicting item into ``target_dfid`` (default: the first
    conflicting DFID); ``keep_separate`` leaves the items apart.
    """
    if not admin.is_admin:
        raise exceptions.PermissionDenied("Only staff resolve conflicts.")
    conflict = ConflictResolution.objects.select_for_update().get(pk=conflict.pk)
    if conflict.status != ConflictStatus.PENDING:
        raise Conflict(
            f"Conflict {conflict.conflict_id} is already {conflict.status}.",
            details={"conflict_id": str(conflict.conflict_id), "status": conflict.status},
        )
    dfids = list(conflict.conflicting_dfids)
    if strategy == ConflictStrategy.MERGE:
        target_dfid = target_dfid or dfids[0]
        if target_dfid not in dfids:
            raise exceptions.ValidationError(
                {"target_dfid": [f"{target_dfid} is not one of {', '.join(dfids)}."]}
            )
        items = {item.dfid: item for item in Item.objects.filter(dfid__in=dfids)}
        target = items.get(target_dfid)
        if target is None or target.status != ItemStatus.ACTIVE:
            raise Conflict(f"Item {target_dfid} is not Active; merge into another DFID.")
        for dfid in dfids:
            other = items.get(dfid)
            if dfid != target_dfid and other is not None and other.status == ItemStatus.ACTIVE:
                target = item_merge_into(user=admin, primary=target, secondary=other)
        conflict.status = ConflictStatus.RESOLVED
        conflict.resolution_strategy = "Merge"
        conflict.resolved_dfid = target_dfid
    elif strategy == ConflictStrategy.KEEP_SEPARATE:
        conflict.status = ConflictStatus.KEPT_SEPARATE
        conflict.resolution_strategy = "KeepSeparate"
    else:
        raise exceptions.ValidationError(
            {"strategy": [f"Strategy is one of {', '.join(ConflictStrategy.ALL)}."]}
        )
    conflict.resolved_at_ts = unix_now()
    conflict.save(
        update_fields=["status", "resolution_strategy", "resolved_dfid", "resolved_at_ts"]
    )
    admin_action_record(
        admin=admin,
        action_type="conflict_resolve",
        target_id=str(conflict.conflict_id),
        data={"strategy": strategy, "resolved_dfid": conflict.resolved_dfid, "dfids": dfids},
    )
    return conflict
