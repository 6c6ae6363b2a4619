"""Global items: create (one or in bulk), enrich, deprecate, merge, split."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from rest_framework import exceptions

from accounts.models import User
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now
from items.identifiers import Identifier, identifiers_parse
from items.models import (
    MERGED_INTO_PREFIX,
    EventType,
    IdentifierMapping,
    Item,
    ItemContribution,
    ItemIdentifier,
    ItemStatus,
)
from items.selectors import item_get_visible
from items.services.activity import ActivityType, item_activity_record
from items.services.dfid import dfid_issue
from items.services.events import event_record
from items.services.limits import item_limit_check
from items.services.writes import (
    ItemWriteResult,
    Submission,
    WriteOutcome,
    WriteStatus,
    _charge_item_creation,
    item_identifiers,
    item_rehash,
    items_write,
)

MAX_BATCH = 1000

# Which status an item may move to from its current one; everything else is refused.
LEGAL_TRANSITIONS: dict[str, set[str]] = {
    ItemStatus.ACTIVE: {ItemStatus.DEPRECATED, ItemStatus.MERGED, ItemStatus.SPLIT},
    ItemStatus.DEPRECATED: set(),
    ItemStatus.MERGED: set(),
    ItemStatus.SPLIT: set(),
}


def item_status_check(*, item: Item, new_status: str, action: str) -> None:
    """409 ``conflict`` when ``item`` may not move to ``new_status``."""
    current = item.status
    if current.startswith(MERGED_INTO_PREFIX):
        allowed: set[str] = {ItemStatus.ACTIVE}
    else:
        allowed = LEGAL_TRANSITIONS.get(current, set())
    if new_status not in allowed:
        raise Conflict(
            f"Item {item.dfid} is {current}; it cannot be {action}.",
            details={"dfid": item.dfid, "status": current},
        )


def item_require_active(*, item: Item, action: str) -> None:
    if item.status != ItemStatus.ACTIVE:
        raise Conflict(
            f"Item {item.dfid} is {item.status}; only Active items can be {action}.",
            details={"dfid": item.dfid, "status": item.status},
        )


def item_require_owner(*, user: User, item: Item) -> None:
    """Only the creator and staff change an item; circuit members only see it (403)."""
    if not user.is_admin and item.created_by_id != user.pk:
        raise exceptions.PermissionDenied(f"Only the creator of {item.dfid} may change it.")


def _conflict_error(outcome: WriteOutcome) -> Conflict:
    conflict = outcome.conflict
    assert conflict is not None
    dfids = list(conflict.conflicting_dfids)
    return Conflict(
        f"The canonical identifiers point at {len(dfids)} different items "
        f"({', '.join(dfids)}); conflict {conflict.conflict_id} awaits staff review.",
        details={
            "conflict_id": str(conflict.conflict_id),
            "conflicting_dfids": dfids,
            **({"pending_id": str(outcome.pending.pk)} if outcome.pending is not None else {}),
        },
    )


def _submission_parse(
    *, identifiers: Any, enriched_data: Any, require_identifiers: bool = True
) -> Submission:
    parsed = identifiers_parse(identifiers)
    if require_identifiers and not parsed:
        raise exceptions.ValidationError({"identifiers": ["At least one identifier is needed."]})
    if enriched_data is not None and not isinstance(enriched_data, dict):
        raise exceptions.ValidationError({"enriched_data": ["enriched_data is an object."]})
    return Submission(identifiers=parsed, enriched_data=enriched_data)


def item_create(
    *,
    user: User,
    identifiers: Sequence[dict[str, Any] | Identifier],
    enriched_data: dict[str, Any] | None = None,
    source: str = "api",
    source_entry_id: uuid.UUID | None = None,
) -> ItemWriteResult:
    """Create an item, or enrich the live item holding one of its canonical identifiers.

    ``source_entry_id`` (the data-lake entry the data comes from) is recorded in
    ``item_source_entries``.

    Raises ``Conflict`` (409, after writing a Pending ``conflict_resolutions`` row) when the
    canonical ids point at two or more items (the submission is held as the caller's pending
    item, ``details.pending_id``), ``InsufficientCredits`` (402, nothing written)
    when a new DFID cannot be paid. Call it outside a transaction you roll back on errors, or
    the conflict row goes with it.
    """
    submission = _submission_parse(identifiers=list(identifiers), enriched_data=enriched_data)
    submission.source_entry_id = source_entry_id
    outcome = items_write(user=user, submissions=[submission], source=source, hold_conflicts=True)[
        0
    ]
    if outcome.status == WriteStatus.CONFLICT:
        raise _conflict_error(outcome)
    assert outcome.item is not None
    created = outcome.status == WriteStatus.CREATED
    item_activity_record(
        user=user,
        activity_type=ActivityType.CREATE if created else ActivityType.UPDATE,
        dfid=outcome.item.dfid,
        action="item_create" if created else "item_enrich",
        description="Created the item" if created else "Enriched the item holding its identifier",
        metadata={"source": source},
    )
    return ItemWriteResult(item=outcome.item, created=created)


@dataclass
class BatchResult:
    index: int
    status: str
    dfid: str | None = None
    error: str | None = None
    conflict_id: str | None = None
    conflicting_dfids: list[str] | None = None
    pending_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


def _error_text(error: exceptions.ValidationError) -> str:
    detail = error.detail
    if isinstance(detail, dict):
        return "; ".join(
            str(message)
            for messages in detail.values()
            for message in (messages if isinstance(messages, list) else [messages])
        )
    if isinstance(detail, list):
        return "; ".join(str(message) for message in detail)
    return str(detail)


def items_create_bulk(
    *, user: User, items: Sequence[Any], source: str = "api"
) -> list[BatchResult]:
    """Create or enrich up to 1,000 items in a few queries; one result per input, in order.

    Invalid items are reported (``invalid``) and skipped; conflicts are reported with their
    conflict row; credits for all new DFIDs are charged once, and when they are short the
    whole batch is refused (402) and nothing is written.
    """
    if len(items) > MAX_BATCH:
        raise exceptions.ValidationError(
            {"non_field_errors": [f"A batch holds at most {MAX_BATCH} items."]}
        )
    results: list[BatchResult | None] = [None] * len(items)
    submissions: list[Submission] = []
    positions: list[int] = []
    for index, raw in enumerate(items):
        try:
            if not isinstance(raw, dict):
                raise exceptions.ValidationError({"non_field_errors": ["An item is an object."]})
            submission = _submission_parse(
                identifiers=raw.get("identifiers"), enriched_data=raw.get("enriched_data")
            )
            submission.source_entry_id = raw.get("source_entry")
            submissions.append(submission)
            positions.append(index)
        except exceptions.ValidationError as error:
            results[index] = BatchResult(
                index=index, status=WriteStatus.INVALID, error=_error_text(error)
            )
    if submissions:
        outcomes = items_write(
            user=user, submissions=submissions, source=source, hold_conflicts=True
        )
        for index, outcome in zip(positions, outcomes, strict=True):
            if outcome.status == WriteStatus.CONFLICT:
                assert outcome.conflict is not None
                results[index] = BatchResult(
                    index=index,
                    status=outcome.status,
                    conflict_id=str(outcome.conflict.conflict_id),
                    conflicting_dfids=outcome.conflicting_dfids,
                    pending_id=str(outcome.pending.pk) if outcome.pending else None,
                    error="The canonical identifiers point at different items.",
                )
            else:
                assert outcome.item is not None
                results[index] = BatchResult(
                    index=index, status=outcome.status, dfid=outcome.item.dfid
                )
    answered = [result for result in results if result is not None]
    counts: dict[str, int] = {}
    for result in answered:
        counts[str(result.status)] = counts.get(str(result.status), 0) + 1
    imported = source != "api"
    item_activity_record(
        user=user,
        activity_type=ActivityType.IMPORT if imported else ActivityType.CREATE,
        dfid="batch",
        action="items_import" if imported else "items_create_batch",
        description=f"{'Imported' if imported else 'Submitted'} {len(items)} items in one batch",
        metadata={"source": source, "submitted": len(items), "results": counts},
    )
    return answered


def item_enrich(
    *,
    user: User,
    item: Item,
    identifiers: Sequence[dict[str, Any] | Identifier] = (),
    enriched_data: dict[str, Any] | None = None,
) -> Item:
    """Append identifiers and merge enriched data (later keys win) into an Active item.

    A canonical identifier already held by another live item is a conflict (409, recorded).
    """
    item_require_active(item=item, action="enriched")
    submission = _submission_parse(
        identifiers=list(identifiers), enriched_data=enriched_data, require_identifiers=False
    )
    submission.target = item
    submission.deduplicate = not item.is_local
    outcome = items_write(user=user, submissions=[submission], source="api")[0]
    if outcome.status == WriteStatus.CONFLICT:
        raise _conflict_error(outcome)
    assert outcome.item is not None
    item_activity_record(
        user=user,
        activity_type=ActivityType.UPDATE,
        dfid=outcome.item.dfid,
        action="item_enrich",
        description="Enriched the item",
    )
    return Item.objects.prefetch_related("identifiers").get(dfid=outcome.item.dfid)


def item_update(
    *,
    user: User,
    item: Item,
    identifiers: Sequence[dict[str, Any] | Identifier] = (),
    enriched_data: dict[str, Any] | None = None,
) -> Item:
    """The creator's (or staff's) enrichment of their item through the API."""
    item_require_owner(user=user, item=item)
    return item_enrich(user=user, item=item, identifiers=identifiers, enriched_data=enriched_data)


@transaction.atomic
def item_deprecate(*, user: User, item: Item) -> Item:
    """Soft delete by the creator or staff: the item becomes Deprecated (an event records it)."""
    item_require_owner(user=user, item=item)
    item = Item.objects.select_for_update().get(dfid=item.dfid)
    item_status_check(item=item, new_status=ItemStatus.DEPRECATED, action="deprecated")
    previous = item.status
    item.status = ItemStatus.DEPRECATED
    item.last_updated_ts = unix_now()
    item.save(update_fields=["status", "last_updated_ts", "updated_at"])
    event_record(
        item=item,
        event_type=EventType.STATUS_CHANGED,
        user=user,
        source="api",
        metadata={"from": previous, "to": ItemStatus.DEPRECATED},
    )
    item_activity_record(
        user=user,
        activity_type=ActivityType.DELETE,
        dfid=item.dfid,
        action="item_deprecate",
        description="Deprecated the item",
    )
    return item


def _copy_identifiers(*, source: Item, target: Item) -> list[Identifier]:
    known = {identifier.triple for identifier in item_identifiers(target)}
    copied = [i for i in item_identifiers(source) if i.triple not in known]
    ItemIdentifier.objects.bulk_create(
        ItemIdentifier(
            item=target,
            namespace=i.namespace,
            key=i.key,
            value=i.value,
            id_type=i.id_type,
            type_metadata=i.type_metadata or None,
        )
        for i in copied
    )
    IdentifierMapping.objects.bulk_create(
        IdentifierMapping(
            identifier_key=i.key, identifier_value=i.value, item=target, confidence_score=1.0
        )
        for i in copied
    )
    return copied


@transaction.atomic
def item_merge_into(*, user: User, primary: Item, secondary: Item) -> Item:
    """Merge ``secondary`` into ``primary``: its identifiers are copied over, its enriched
    data fills keys the primary lacks (the primary's values win), and it becomes Merged."""
    if primary.dfid == secondary.dfid:
        raise exceptions.ValidationError({"secondary_dfid": ["An item cannot merge itself."]})
    locked = {
        item.dfid: item
        for item in Item.objects.select_for_update()
        .filter(dfid__in=sorted([primary.dfid, secondary.dfid]))
        .order_by("dfid")
    }
    primary, secondary = locked[primary.dfid], locked[secondary.dfid]
    if primary.is_local or secondary.is_local:
        raise exceptions.ValidationError(
            {"secondary_dfid": ["Local items merge through /api/items/local/merge."]}
        )
    item_require_active(item=primary, action="merged into")
    item_status_check(item=secondary, new_status=ItemStatus.MERGED, action="merged again")
    copied = _copy_identifiers(source=secondary, target=primary)
    now = unix_now()
    primary = Item.objects.prefetch_related("identifiers").get(dfid=primary.dfid)
    primary.enriched_data = {**(secondary.enriched_data or {}), **(primary.enriched_data or {})}
    primary.last_updated_ts = now
    item_rehash(primary)
    primary.save(update_fields=["enriched_data", "item_hash", "last_updated_ts", "updated_at"])
    secondary.status = ItemStatus.MERGED
    secondary.last_updated_ts = now
    secondary.save(update_fields=["status", "last_updated_ts", "updated_at"])
    metadata = {
        "primary_dfid": primary.dfid,
        "secondary_dfid": secondary.dfid,
        "identifiers_copied": [f"{i.namespace}:{i.key}={i.value}" for i in copied],
    }
    for item in (primary, secondary):
        event_record(
            item=item, event_type=EventType.MERGED, user=user, source="api", metadata=metadata
        )
    return primary


def item_merge(*, user: User, item: Item, secondary_dfid: str) -> Item:
    """Merge one of the caller's items into another of theirs (both must be visible)."""
    item_require_owner(user=user, item=item)
    secondary = item_get_visible(user=user, dfid=secondary_dfid)
    item_require_owner(user=user, item=secondary)
    merged = item_merge_into(user=user, primary=item, secondary=secondary)
    item_activity_record(
        user=user,
        activity_type=ActivityType.UPDATE,
        dfid=merged.dfid,
        action="item_merge",
        description=f"Merged {secondary.dfid} into the item",
        metadata={"secondary_dfid": secondary.dfid},
    )
    return merged


def _identifier_matches(row: ItemIdentifier, wanted: dict[str, Any]) -> bool:
    namespace = wanted.get("namespace") or row.namespace
    return (
        row.key == str(wanted.get("key", "")).strip()
        and row.value == str(wanted.get("value", "")).strip()
        and row.namespace == namespace
    )


@transaction.atomic
def item_split(
    *, user: User, item: Item, identifiers: Sequence[dict[str, Any]]
) -> tuple[Item, Item]:
    """Move some identifiers of an Active item to a new item (new DFID, charged); the
    original keeps the rest and its enriched data. Returns ``(original, new)``."""
    item_require_owner(user=user, item=item)
    item = Item.objects.select_for_update().get(dfid=item.dfid)
    item_require_active(item=item, action="split")
    if item.is_local:
        raise exceptions.ValidationError({"identifiers": ["Local items cannot be split."]})
    if not identifiers:
        raise exceptions.ValidationError({"identifiers": ["Name the identifiers to move."]})
    rows = [row for row in item.identifiers.all() if row.contribution_id is None]  # base layer
    moving: list[ItemIdentifier] = []
    for wanted in identifiers:
        match = next((row for row in rows if _identifier_matches(row, wanted)), None)
        if match is None:
            raise exceptions.ValidationError(
                {
                    "identifiers": [
                        f"Identifier {wanted.get('key')}={wanted.get('value')} "
                        f"is not on {item.dfid}."
                    ]
                }
            )
        if match not in moving:
            moving.append(match)
    if len(moving) == len(rows):
        raise exceptions.ValidationError(
            {"identifiers": ["The original item must keep at least one identifier."]}
        )
    item_limit_check(user=user, count=1)
    _charge_item_creation(user=user, count=1)
    now = unix_now()
    new_item = Item.objects.create(
        dfid=dfid_issue(),
        item_hash="",
        created_by=user,
        created_at_ts=now,
        last_updated_ts=now,
    )
    ItemContribution.objects.create(
        item=new_item, contributor=user, is_base=True, created_at_ts=now, updated_at_ts=now
    )
    ItemIdentifier.objects.filter(pk__in=[row.pk for row in moving]).update(item=new_item)
    IdentifierMapping.objects.bulk_create(
        IdentifierMapping(
            identifier_key=row.key, identifier_value=row.value, item=new_item, confidence_score=1.0
        )
        for row in moving
    )
    original = Item.objects.prefetch_related("identifiers").get(dfid=item.dfid)
    new_item = Item.objects.prefetch_related("identifiers").get(dfid=new_item.dfid)
    for changed in (original, new_item):
        item_rehash(changed)
        changed.last_updated_ts = now
        changed.save(update_fields=["item_hash", "last_updated_ts", "updated_at"])
    metadata = {
        "original_dfid": original.dfid,
        "new_dfid": new_item.dfid,
        "identifiers_moved": [f"{r.namespace}:{r.key}={r.value}" for r in moving],
    }
    for changed in (original, new_item):
        event_record(
            item=changed, event_type=EventType.SPLIT, user=user, source="api", metadata=metadata
        )
    item_activity_record(
        user=user,
        activity_type=ActivityType.CREATE,
        dfid=new_item.dfid,
        action="item_split",
        description=f"Split {new_item.dfid} off {original.dfid}",
        metadata=metadata,
    )
    return original, new_item
