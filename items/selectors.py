"""Reads of items, events, receipts and conflicts, filtered by who is asking."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from rest_framework import exceptions

from accounts.models import User
from accounts.selectors import workspace_sharers
from circuits.models import CircuitItem, CircuitMember
from items.item_view import (
    ItemRow,
    ItemView,
    contributions_visible_to,
    item_views_read,
    items_prefetch_views,
)
from items.models import (
    LOCAL_DFID_PREFIX,
    MERGED_INTO_PREFIX,
    ConflictResolution,
    Event,
    EventVisibility,
    IdentifierMapping,
    IdentifierType,
    Item,
    ItemContribution,
    ItemIdentifier,
    ItemShare,
    ItemStatus,
    PendingItem,
    PendingItemStatus,
    Receipt,
)


def _circuit_items_of_member(user: User) -> QuerySet[CircuitItem]:
    return CircuitItem.objects.filter(circuit__members__member=user)


def _active_shares_to(user: User) -> QuerySet[ItemShare]:
    return ItemShare.objects.filter(recipient=user, revoked_at__isnull=True)


def _not_local() -> Q:
    return ~Q(dfid__startswith=LOCAL_DFID_PREFIX)


def items_visible_to(*, user: User) -> QuerySet[Item]:
    """Items ``user`` may see: theirs, those held by a circuit they belong to, those they
    contributed a layer to, those shared with them, those of the other members of a workspace
    that shares with its members (``accounts.selectors.workspace_sharers``; local items stay
    their owner's); staff see all. An item adopted from V1 has no creator: it is also visible
    to whoever added it to a circuit (``circuit_items.added_by``). What each viewer is shown
    of an item is decided per layer (``items.item_view``)."""
    items = Item.objects.all()
    if user.is_admin:
        return items
    held = _circuit_items_of_member(user).values("item_id")
    added = CircuitItem.objects.filter(added_by=user.pk).values("item_id")
    contributed = ItemContribution.objects.filter(contributor=user).values("item_id")
    shared = _active_shares_to(user).values("item_id")
    return items.filter(
        Q(created_by=user)
        | Q(dfid__in=held)
        | Q(created_by__isnull=True, dfid__in=added)
        | Q(dfid__in=contributed)
        | Q(dfid__in=shared)
        | Q(created_by__in=workspace_sharers(user=user)) & _not_local()
    )


def item_is_visible_to(*, user: User, item: Item | ItemRow) -> bool:
    """Whether ``item`` is one of ``items_visible_to(user=user)``, for an item already loaded
    (a model instance or an ``ItemRow``)."""
    return (
        user.is_admin
        or item.created_by_id == user.pk
        or _circuit_items_of_member(user).filter(item_id=item.dfid).exists()
        or (
            item.created_by_id is None
            and CircuitItem.objects.filter(item_id=item.dfid, added_by=user.pk).exists()
        )
        or ItemContribution.objects.filter(contributor=user, item_id=item.dfid).exists()
        or _active_shares_to(user).filter(item_id=item.dfid).exists()
        or (
            item.created_by_id is not None
            and not item.is_local
            and workspace_sharers(user=user).filter(user_id=item.created_by_id).exists()
        )
    )


def item_base_is_visible_to(*, user: User, item: Item) -> bool:
    """Whether ``user`` sees the item's base layer (its creator's data): what the item's
    storage records and other item-wide data require."""
    return (
        user.is_admin
        or item.created_by_id == user.pk
        or contributions_visible_to(user=user).filter(item=item, is_base=True).exists()
    )


def item_get_visible(*, user: User, dfid: str, require_base: bool = False) -> Item:
    """The item, with what ``item_view`` needs for ``user`` prefetched, if ``user`` may see it
    (with ``require_base``: may see its creator's layer), otherwise 404. Loaded by primary key
    and then checked: cheaper than filtering ``items_visible_to`` for one row."""
    item = Item.objects.filter(dfid=dfid).first()
    if item is None or not item_is_visible_to(user=user, item=item):
        raise exceptions.NotFound(f"Item {dfid} not found.")
    if require_base and not item_base_is_visible_to(user=user, item=item):
        raise exceptions.NotFound(f"Item {dfid} not found.")
    items_prefetch_views([item], viewer=user)
    return item


def item_view_get_visible(*, user: User, dfid: str) -> ItemView:
    """The item ``dfid`` as ``user`` sees it, if ``user`` may see it, otherwise 404: the item's
    read (``GET /api/items/{dfid}``). Read as plain values by ``item_views_read`` (the item's
    columns, identifiers, layers and source entries; no model instances), then checked with
    the rule of ``items_visible_to``: for the item's creator, the common reader, without a
    further query."""
    view = item_views_read(dfids=[dfid], viewer=user).get(dfid)
    if view is None or not item_is_visible_to(user=user, item=view.item):
        raise exceptions.NotFound(f"Item {dfid} not found.")
    return view


def canonical_identifiers_of_live_items(
    *, triples: Iterable[tuple[str, str, str]]
) -> QuerySet[ItemIdentifier]:
    """Canonical identifier rows matching ``triples`` on live global items. The filter on
    ``id_type`` and ``(namespace, key, value)`` is served by the partial index
    ``item_identifiers_canonical_idx``."""
    values_by_registry: dict[tuple[str, str], set[str]] = defaultdict(set)
    for namespace, key, value in triples:
        values_by_registry[(namespace, key)].add(value)
    if not values_by_registry:
        return ItemIdentifier.objects.none()
    condition = Q()
    for (namespace, key), values in values_by_registry.items():
        condition |= Q(namespace=namespace, key=key, value__in=sorted(values))
    return (
        ItemIdentifier.objects.filter(condition, id_type=IdentifierType.CANONICAL)
        .filter(item__status=ItemStatus.ACTIVE)
        .exclude(item__dfid__startswith=LOCAL_DFID_PREFIX)
        .order_by()
    )


def canonical_owners(
    *, triples: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], set[str]]:
    """Live global items holding each canonical ``(namespace, key, value)``; one indexed query.

    On PostgreSQL each registry's values go as one array parameter (a batch names thousands;
    as an ``IN`` list each would be quoted into the SQL text), through the same partial index."""
    rows: Iterable[tuple[str, str, str, str]]
    if connection.vendor == "postgresql":
        values_by_registry: dict[tuple[str, str], set[str]] = defaultdict(set)
        for namespace, key, value in triples:
            values_by_registry[(namespace, key)].add(value)
        if not values_by_registry:
            return {}
        from items.services.rows import _server_bound_cursor

        conditions, params = [], []
        for (namespace, key), values in sorted(values_by_registry.items()):
            conditions.append("(i.namespace = %s AND i.key = %s AND i.value = ANY(%b::text[]))")
            params += [namespace, key, sorted(values)]
        # Constants in the text, so the partial index's predicate is proven whatever plan the
        # statement gets; the values are bound parameters.
        sql = (
            "SELECT i.namespace, i.key, i.value, i.dfid FROM item_identifiers i "  # noqa: S608
            f"JOIN items ON items.dfid = i.dfid WHERE ({' OR '.join(conditions)}) "
            f"AND i.id_type = '{IdentifierType.CANONICAL}' "
            f"AND items.status = '{ItemStatus.ACTIVE}' "
            f"AND items.dfid NOT LIKE '{LOCAL_DFID_PREFIX}%%'"
        )
        with _server_bound_cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        rows = canonical_identifiers_of_live_items(triples=triples).values_list(
            "namespace", "key", "value", "item_id"
        )
    owners: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for namespace, key, value, dfid in rows:
        owners[(namespace, key, value)].add(dfid)
    return dict(owners)


def items_created_this_month_count(*, user: User) -> int:
    """Global items (DFIDs) ``user`` created since the start of the month (UTC)."""
    now = datetime.now(UTC)
    month_start = int(datetime(now.year, now.month, 1, tzinfo=UTC).timestamp())
    return (
        Item.objects.filter(created_by=user, created_at_ts__gte=month_start)
        .exclude(dfid__startswith=LOCAL_DFID_PREFIX)
        .count()
    )


def user_circuit_ids(*, user: User) -> list[str]:
    return [
        str(circuit_id)
        for circuit_id in CircuitMember.objects.filter(member=user).values_list(
            "circuit_id", flat=True
        )
    ]


def events_visible_to(*, user: User) -> QuerySet[Event]:
    """Events of items ``user`` sees: Public ones, their own Private ones, and CircuitOnly ones
    of circuits they belong to. Staff see all.

    The item's creator's Public events (its Created and Enriched events name its identifiers
    and data) belong to the base layer: they are shown only to who may see that layer, so a
    party that reaches the item through its own contribution or circuit never reads them."""
    events = Event.objects.all()
    if user.is_admin:
        return events
    visible_items = items_visible_to(user=user).values("dfid")
    base_visible = Exists(
        contributions_visible_to(user=user).filter(item_id=OuterRef("item_id"), is_base=True)
    )
    by_creator = Exists(
        Item.objects.filter(dfid=OuterRef("item_id"), created_by=OuterRef("created_by"))
    )
    by_another_party = Q(created_by__isnull=False) & ~by_creator
    return events.filter(Q(item__in=visible_items) | Q(created_by=user)).filter(
        Q(created_by=user)
        | Q(visibility=EventVisibility.PUBLIC) & (base_visible | by_another_party)
        | Q(
            visibility=EventVisibility.CIRCUIT_ONLY,
            metadata__circuit_id__in=user_circuit_ids(user=user),
        )
    )


def receipts_visible_to(*, user: User) -> QuerySet[Receipt]:
    """Receipts ``user`` sent (staff see all)."""
    receipts = Receipt.objects.all()
    return receipts if user.is_admin else receipts.filter(created_by=user)


def conflicts_list() -> QuerySet[ConflictResolution]:
    return ConflictResolution.objects.all()


@dataclass(frozen=True)
class ItemStats:
    total: int
    active: int
    merged: int
    split: int
    deprecated: int
    average_confidence: float


def item_stats(*, user: User) -> ItemStats:
    """Counts by status of the items ``user`` may see (merged into another item counts as
    merged), and the mean confidence of their identifier mappings; two grouped queries."""
    visible = items_visible_to(user=user)
    by_status: dict[str, int] = defaultdict(int)
    for status, count in visible.order_by().values_list("status").annotate(count=Count("dfid")):
        if status.startswith(MERGED_INTO_PREFIX):
            status = ItemStatus.MERGED
        by_status[status] += count
    average = IdentifierMapping.objects.filter(item__in=visible.values("dfid")).aggregate(
        average=Avg("confidence_score")
    )["average"]
    return ItemStats(
        total=sum(by_status.values()),
        active=by_status[ItemStatus.ACTIVE],
        merged=by_status[ItemStatus.MERGED],
        split=by_status[ItemStatus.SPLIT],
        deprecated=by_status[ItemStatus.DEPRECATED],
        average_confidence=float(average or 0.0),
    )


@dataclass(frozen=True)
class LocalDuplicateGroup:
    """Local items of one user sharing an identifier (key and value, any namespace)."""

    identifier_key: str
    identifier_value: str
    items: list[Item]  # oldest first: the first is the suggested master

    @property
    def conflicting_fields(self) -> list[str]:
        """Enriched-data keys the items give different values for."""
        values: dict[str, list[Any]] = defaultdict(list)
        for item in self.items:
            for key, value in (item.enriched_data or {}).items():
                if value not in values[key]:
                    values[key].append(value)
        return sorted(key for key, seen in values.items() if len(seen) > 1)


def local_items_active_of(*, user: User) -> QuerySet[Item]:
    """``user``'s Active local (``LID-``) items, oldest first."""
    return Item.objects.filter(
        created_by=user, dfid__startswith=LOCAL_DFID_PREFIX, status=ItemStatus.ACTIVE
    ).order_by("created_at_ts", "dfid")


def local_duplicate_groups(*, user: User) -> list[LocalDuplicateGroup]:
    """Groups of ``user``'s Active local items holding the same identifier key and value,
    ordered by key and value; three queries whatever the number of items."""
    local_items = local_items_active_of(user=user)
    shared = (
        ItemIdentifier.objects.filter(item__in=local_items.values("dfid"))
        .values("key", "value")
        .annotate(holders=Count("item", distinct=True))
        .filter(holders__gte=2)
        .order_by("key", "value")
    )
    pairs = [(row["key"], row["value"]) for row in shared]
    if not pairs:
        return []
    condition = Q()
    for key, value in pairs:
        condition |= Q(key=key, value=value)
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for key, value, dfid in (
        ItemIdentifier.objects.filter(condition, item__in=local_items.values("dfid"))
        .order_by()
        .values_list("key", "value", "item_id")
    ):
        holders[(key, value)].add(dfid)
    dfids = set().union(*holders.values())
    items = list(local_items.filter(dfid__in=dfids).prefetch_related("identifiers"))
    return [
        LocalDuplicateGroup(
            identifier_key=key,
            identifier_value=value,
            items=[item for item in items if item.dfid in holders[(key, value)]],
        )
        for key, value in pairs
    ]


def item_share_active(*, item: Item, recipient_id: str) -> ItemShare | None:
    """The share giving ``recipient_id`` access to ``item``, if there is one."""
    return ItemShare.objects.filter(
        item=item, recipient_id=recipient_id, revoked_at__isnull=True
    ).first()


def item_shares_to(*, recipient_id: str) -> QuerySet[ItemShare]:
    """Active shares to ``recipient_id``, newest first, with their items' identifiers and
    sources."""
    return (
        ItemShare.objects.filter(recipient_id=recipient_id, revoked_at__isnull=True)
        .select_related("item")
        .prefetch_related("item__identifiers", "item__source_entries")
    )


def pending_items_for(
    *, user: User, reason: str | None = None, priority_min: int | None = None
) -> QuerySet[PendingItem]:
    """``user``'s held item submissions still waiting, highest priority then newest first;
    ``reason`` keeps those whose reason contains it (as the engine filtered)."""
    pending = PendingItem.objects.filter(user=user, status=PendingItemStatus.PENDING)
    if reason:
        pending = pending.filter(reason__contains=reason)
    if priority_min is not None:
        pending = pending.filter(priority__gte=priority_min)
    return pending.order_by("-priority", "-created_at_ts", "pending_id")


def pending_item_get(*, user: User, pending_id: str) -> PendingItem:
    """One of ``user``'s held item submissions, in any status; 404 for anyone else's, 400
    for an id that is no UUID (as the engine answered)."""
    try:
        pending_uuid = uuid.UUID(str(pending_id))
    except ValueError:
        raise exceptions.ValidationError({"id": ["Invalid pending item ID format."]}) from None
    pending = PendingItem.objects.filter(pk=pending_uuid, user=user).first()
    if pending is None:
        raise exceptions.NotFound("Pending item not found.")
    return pending
