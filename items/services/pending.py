"""Item submissions held back because their canonical identifiers point at several items
(``pending_items``): their submitter approves them again, changes them or rejects them."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.models import User
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now
from items.models import ConflictStatus, Item, PendingItem, PendingItemPriority, PendingItemStatus
from items.services.items import _submission_parse
from items.services.writes import WriteStatus, items_write, pending_item_reason_details


class PendingAction:
    APPROVE = "approve"
    REJECT = "reject"
    MODIFY = "modify"
    ALL = ("approve", "reject", "modify")


@dataclass
class PendingResolution:
    pending: PendingItem
    item: Item | None = None  # the item created or enriched by an approval


def _locked_pending(pending_item: PendingItem) -> PendingItem:
    pending = PendingItem.objects.select_for_update().get(pk=pending_item.pk)
    if pending.status != PendingItemStatus.PENDING:
        raise Conflict(
            f"Pending item {pending.pk} is already {pending.status}.",
            details={"pending_id": str(pending.pk), "status": pending.status},
        )
    return pending


@transaction.atomic
def pending_item_approve(*, user: User, pending_item: PendingItem) -> PendingResolution:
    """Submit the held item again, as ``POST /api/items`` would (credits included).

    While staff have not resolved its conflict, or kept the items apart, nothing is tried
    (409). When the identifiers still point at several items, the new conflict is recorded,
    the item stays pending one priority higher, and ``item`` is None.
    """
    pending = _locked_pending(pending_item)
    conflict = pending.conflict
    if conflict is not None and conflict.status == ConflictStatus.PENDING:
        raise Conflict(
            f"Conflict {conflict.conflict_id} still awaits staff review; approve the pending "
            "item once it is resolved, or change its identifiers (action modify).",
            details={"pending_id": str(pending.pk), "conflict_id": str(conflict.conflict_id)},
        )
    if conflict is not None and conflict.status == ConflictStatus.KEPT_SEPARATE:
        raise Conflict(
            f"Staff kept the items of conflict {conflict.conflict_id} apart; change the pending "
            "item's identifiers (action modify) or reject it.",
            details={"pending_id": str(pending.pk), "conflict_id": str(conflict.conflict_id)},
        )
    submission = _submission_parse(
        identifiers=pending.identifiers, enriched_data=pending.enriched_data
    )
    submission.source_entry_id = pending.source_entry
    outcome = items_write(user=user, submissions=[submission], source="pending_item")[0]
    now = unix_now()
    pending.updated_at_ts = now
    if outcome.status == WriteStatus.CONFLICT:
        new_conflict = outcome.conflict
        assert new_conflict is not None
        pending.conflict = new_conflict
        pending.priority = min(pending.priority + 1, PendingItemPriority.CRITICAL)
        pending.reason_details = pending_item_reason_details(
            identifier_key=new_conflict.identifier_key,
            identifier_value=new_conflict.identifier_value,
            dfids=new_conflict.conflicting_dfids,
        )
        pending.save(update_fields=["conflict", "priority", "reason_details", "updated_at_ts"])
        return PendingResolution(pending=pending)
    assert outcome.item is not None
    pending.status = PendingItemStatus.RESOLVED
    pending.resolved_dfid = outcome.item.dfid
    pending.resolved_at_ts = now
    pending.save(update_fields=["status", "resolved_dfid", "resolved_at_ts", "updated_at_ts"])
    return PendingResolution(pending=pending, item=outcome.item)


@transaction.atomic
def pending_item_reject(*, user: User, pending_item: PendingItem) -> PendingResolution:
    """Drop the held item: nothing is created; the row stays as Rejected."""
    pending = _locked_pending(pending_item)
    now = unix_now()
    pending.status = PendingItemStatus.REJECTED
    pending.resolved_at_ts = now
    pending.updated_at_ts = now
    pending.save(update_fields=["status", "resolved_at_ts", "updated_at_ts"])
    return PendingResolution(pending=pending)


@transaction.atomic
def pending_item_modify(
    *,
    user: User,
    pending_item: PendingItem,
    identifiers: list[dict[str, Any]] | None = None,
    enriched_data: dict[str, Any] | None = None,
) -> PendingResolution:
    """Replace the held identifiers and/or data (validated as ``POST /api/items`` does); the
    item stays pending until approved. New identifiers are no longer tied to the old
    conflict, so the next approval tries them."""
    pending = _locked_pending(pending_item)
    submission = _submission_parse(
        identifiers=pending.identifiers if identifiers is None else identifiers,
        enriched_data=pending.enriched_data if enriched_data is None else enriched_data,
    )
    fields = ["identifiers", "enriched_data", "updated_at_ts"]
    pending.identifiers = [identifier.as_dict() for identifier in submission.identifiers]
    pending.enriched_data = submission.enriched_data
    if identifiers is not None:
        pending.conflict = None
        pending.reason_details = None
        fields += ["conflict", "reason_details"]
    pending.updated_at_ts = unix_now()
    pending.save(update_fields=fields)
    return PendingResolution(pending=pending)
