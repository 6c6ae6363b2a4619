"""The item as one viewer sees it: the contribution layers it may see, merged.

Every party's identifiers and enriched data are its own layer (``ItemContribution``). A viewer
sees its own layers, those shared with it through circuits it belongs to, and (in a public
circuit's view) those the circuit publishes; staff see every layer. The item shown is the merge
of the visible layers, applied in this order, later values winning:

1. layers verified against their registry (server-decided, never what a client sent),
2. the base layer (the item's creator, or the adopted layer of an item without one),
3. the other parties' layers, oldest first,
4. the viewer's own layers, so its values win for the viewer.

Registry ids that identify people (CPF, CNPJ, IE) are masked for everyone but a party that
contributed them itself.

A layer L of item X is shared with circuit C, which holds X, when L came through C
(``L.circuit``), when L's contributor put X into C (``circuit_items.added_by``), or when L was
adopted from rows that predate contributions while C already held X.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects

from accounts.models import User
from accounts.selectors import workspace_sharers
from circuits.models import CircuitItem, CircuitMember
from items.models import (
    LOCAL_DFID_PREFIX,
    Item,
    ItemContribution,
    ItemIdentifier,
    ItemShare,
    ItemSourceEntry,
)

PERSON_REGISTRIES = frozenset({"cpf", "cnpj", "ie"})
MASK = "•" * 7
VIEW_LAYERS = "view_layers"  # where the prefetch puts the layers a viewer may see


def identifier_value_masked(value: str) -> str:
    """``•••••••`` and the last five characters: enough to tell two ids apart, not to use one."""
    return MASK + value[-5:]


@dataclass(frozen=True, slots=True)
class ViewIdentifier:
    """An identifier as a viewer is shown it (same attributes as an ``ItemIdentifier``)."""

    namespace: str
    key: str
    value: str
    id_type: str
    type_metadata: dict[str, Any] | None
    created_at: datetime | None


@dataclass(frozen=True)
class ItemView:
    """What one viewer is shown of an item."""

    item: Item
    identifiers: Sequence[ItemIdentifier | ViewIdentifier]
    enriched_data: dict[str, Any] | None
    item_hash: str
    created_by_id: str | None
    layers: tuple[ItemContribution, ...]  # the visible layers, in the order they were applied

    @property
    def dfid(self) -> str:
        return self.item.dfid


# --- which layers a viewer may see ------------------------------------------------------------


def _shared_through(held: QuerySet[CircuitItem]) -> Q:
    """Layers shared with the circuits of ``held`` (circuit items of the layer's item)."""
    return (
        Exists(held.filter(circuit_id=OuterRef("circuit_id")))
        | Exists(held.filter(added_by=OuterRef("contributor_id")))
        | (
            Q(adopted_at_ts__isnull=False)
            & Exists(held.filter(added_at_ts__lte=OuterRef("adopted_at_ts")))
        )
    )


def contributions_visible_to(*, user: User) -> QuerySet[ItemContribution]:
    """Layers ``user`` may see: its own, those shared with circuits it belongs to, those of
    whoever shared the item with it, the creator's layer of an item a workspace shares with
    it (and the adopted layer of an item it had added to a circuit before adoption); staff
    see every layer."""
    contributions = ItemContribution.objects.all()
    if user.is_admin:
        return contributions
    member_circuits = CircuitMember.objects.filter(member=user).values("circuit_id")
    held = CircuitItem.objects.filter(item_id=OuterRef("item_id"), circuit_id__in=member_circuits)
    added_before_adoption = CircuitItem.objects.filter(
        item_id=OuterRef("item_id"), added_by=user.pk, added_at_ts__lte=OuterRef("adopted_at_ts")
    )
    shares = ItemShare.objects.filter(
        item_id=OuterRef("item_id"), recipient=user, revoked_at__isnull=True
    )
    return contributions.filter(
        Q(contributor=user)
        | _shared_through(held)
        | Q(adopted_at_ts__isnull=False, contributor__isnull=True) & Exists(added_before_adoption)
        # an item shared with the user: the sharer's own layers, every layer a staff sharer sees
        | Exists(shares.filter(shared_by=OuterRef("contributor_id")))
        | Q(is_base=True) & Exists(shares.filter(shared_by__is_admin=True))
        # the creator's own layer of an item its workspace shares with its members
        | Q(is_base=True, contributor_id__in=workspace_sharers(user=user))
    )


def events_shared_with_circuit(*, circuit_id: Any) -> Q:
    """Events (a filter on ``Event``) a circuit shows of its items: those written by the
    parties whose layers are shared with it, DeFarm's own (no author) when the base layer is,
    and the circuit's own CircuitOnly events."""
    shared = contributions_shared_with_circuit(circuit_id=circuit_id).filter(
        item_id=OuterRef("item_id")
    )
    return (
        Exists(shared.filter(contributor_id=OuterRef("created_by_id")))
        | Q(created_by__isnull=True) & Exists(shared.filter(is_base=True))
        | Q(visibility="CircuitOnly", metadata__circuit_id=str(circuit_id))
    )


def contributions_shared_with_circuit(*, circuit_id: Any) -> QuerySet[ItemContribution]:
    """Layers shared with one circuit (what its public view and its storage show)."""
    held = CircuitItem.objects.filter(item_id=OuterRef("item_id"), circuit_id=circuit_id)
    return ItemContribution.objects.filter(_shared_through(held))


def base_visible_condition(*, user: User) -> Q:
    """Items whose base layer ``user`` may see (a filter on ``Item``)."""
    return Q(
        Exists(contributions_visible_to(user=user).filter(item_id=OuterRef("dfid"), is_base=True))
    )


def layers_prefetch(contributions: QuerySet[ItemContribution]) -> Prefetch:
    return Prefetch("contributions", queryset=contributions, to_attr=VIEW_LAYERS)


def layers_visible_among(layers: Iterable[tuple[Any, str | None]], *, viewer: User) -> set[Any]:
    """Of ``layers`` (``(id, contributor_id)`` pairs, layers of items already read), the ids
    of those ``viewer`` may see: its own without a query, the others' through the rule of
    ``contributions_visible_to`` over their primary keys (one query, only when there are
    others' layers: reading an item holding only its reader's layers builds no rule)."""
    own, others = set(), []
    for layer_id, contributor_id in layers:
        if contributor_id == viewer.pk:
            own.add(layer_id)
        else:
            others.append(layer_id)
    if viewer.is_admin:
        return own.union(others)
    if others:
        own.update(
            contributions_visible_to(user=viewer)
            .filter(id__in=others)
            .order_by()
            .values_list("id", flat=True)
        )
    return own


def items_prefetch_views(items: Iterable[Item], *, viewer: User) -> None:
    """Load what ``item_view`` needs for ``viewer`` into items already fetched: their
    identifiers and every layer of theirs (two queries), then which of the others' layers
    the viewer may see (a third, when there are any)."""
    items = list(items)
    prefetch_related_objects(items, "identifiers")
    layers: dict[str, list[ItemContribution]] = {item.dfid: [] for item in items}
    candidates = list(ItemContribution.objects.filter(item_id__in=list(layers)))
    visible = layers_visible_among(
        ((layer.id, layer.contributor_id) for layer in candidates), viewer=viewer
    )
    for layer in candidates:
        if layer.id in visible:
            layers[layer.item_id].append(layer)
    for item in items:
        setattr(item, VIEW_LAYERS, layers[item.dfid])


# --- the merge ---------------------------------------------------------------------------------


def _precedence(layer: ItemContribution, viewer_id: str | None) -> tuple[int, int, str]:
    if viewer_id is not None and layer.contributor_id == viewer_id:
        group = 3
    elif layer.verified:
        group = 0
    elif layer.is_base:
        group = 1
    else:
        group = 2
    return (group, layer.created_at_ts, str(layer.id))


def item_view_merge(
    *,
    item: Item,
    layers: Iterable[ItemContribution],
    rows: Iterable[ItemIdentifier],
    viewer_id: str | None,
) -> ItemView:
    """Merge the visible ``layers`` of ``item`` (``rows``: all its identifier rows) for the
    viewer ``viewer_id`` (None: nobody's own, as in a public view). No query."""
    rows = list(rows)
    if item.is_local:  # a local item is its owner's alone: one layer, the item row
        return ItemView(
            item=item,
            identifiers=rows,
            enriched_data=item.enriched_data,
            item_hash=item.item_hash,
            created_by_id=item.created_by_id,
            layers=(),
        )
    ordered = tuple(sorted(layers, key=lambda layer: _precedence(layer, viewer_id)))
    sees_base = any(layer.is_base for layer in ordered)
    if (
        len(ordered) == 1
        and sees_base
        and viewer_id is not None
        and ordered[0].contributor_id == viewer_id
    ):  # the creator seeing only its own layer: the item row as it is
        return ItemView(
            item=item,
            identifiers=[row for row in rows if row.contribution_id is None],
            enriched_data=item.enriched_data,
            item_hash=item.item_hash,
            created_by_id=item.created_by_id,
            layers=ordered,
        )
    rows_by_layer: dict[Any, list[ItemIdentifier]] = defaultdict(list)
    for row in rows:
        rows_by_layer[row.contribution_id].append(row)
    # triple -> [first row (position, created_at), winning row (metadata), contributors]
    merged: dict[tuple[str, str, str], list[Any]] = {}
    data: dict[str, Any] = {}
    has_data = False
    for layer in ordered:
        layer_rows = rows_by_layer.get(None if layer.is_base else layer.id, ())
        for row in layer_rows:
            triple = (row.namespace, row.key, row.value)
            entry = merged.get(triple)
            if entry is None:
                merged[triple] = [row, row, {layer.contributor_id}]
            else:
                entry[1] = row
                entry[2].add(layer.contributor_id)
        layer_data = item.enriched_data if layer.is_base else layer.enriched_data
        if layer_data is not None:
            has_data = True
            data.update(layer_data)
    identifiers = [
        ViewIdentifier(
            namespace=first.namespace,
            key=first.key,
            value=(
                first.value
                if first.key.lower() not in PERSON_REGISTRIES
                or (viewer_id is not None and viewer_id in contributors)
                else identifier_value_masked(first.value)
            ),
            id_type=winner.id_type,
            type_metadata=winner.type_metadata,
            created_at=first.created_at,
        )
        for first, winner, contributors in merged.values()
    ]
    enriched_data = data if has_data else None
    if sees_base:
        item_hash = item.item_hash
    else:  # the hash of what this viewer is shown, not of content it may not see
        from items.services.writes import item_hash_compute  # services import this module

        item_hash = item_hash_compute(identifiers=identifiers, enriched_data=enriched_data)
    return ItemView(
        item=item,
        identifiers=identifiers,
        enriched_data=enriched_data,
        item_hash=item_hash,
        created_by_id=item.created_by_id if sees_base else None,
        layers=ordered,
    )


def item_view(*, item: Item, viewer: User) -> ItemView:
    """``item`` as ``viewer`` sees it. Uses what ``items_prefetch_views`` loaded; loads it
    (two queries) otherwise."""
    if not hasattr(item, VIEW_LAYERS):
        items_prefetch_views([item], viewer=viewer)
    return item_view_merge(
        item=item,
        layers=getattr(item, VIEW_LAYERS),
        rows=item.identifiers.all(),
        viewer_id=viewer.pk,
    )


@dataclass(slots=True)
class ItemRow:
    """An item's columns as read by ``item_views_read`` (the attributes of ``Item`` that an
    item's view and its answer use)."""

    dfid: str
    item_hash: str
    status: str
    enriched_data: dict[str, Any] | None
    created_at_ts: int
    last_updated_ts: int
    created_by_id: str | None
    created_at: datetime | None
    updated_at: datetime | None
    source_entries: list[str]  # entry ids, as text, in the order of ``ItemSourceEntry``

    @property
    def is_local(self) -> bool:
        return self.dfid.startswith(LOCAL_DFID_PREFIX)

    @property
    def local_id(self) -> str | None:
        return self.dfid.removeprefix(LOCAL_DFID_PREFIX) if self.is_local else None


@dataclass(slots=True)
class _IdentifierRow:
    namespace: str
    key: str
    value: str
    id_type: str
    type_metadata: dict[str, Any] | None
    created_at: datetime | None
    contribution_id: Any


@dataclass(slots=True)
class _LayerRow:
    id: Any
    contributor_id: str | None
    is_base: bool
    verified: bool
    created_at_ts: int
    enriched_data: dict[str, Any] | None


# Every column of ``items``, in the order ``ItemRow`` takes them (and batch writes insert them).
ITEM_ROW_FIELDS = (
    "dfid",
    "item_hash",
    "status",
    "enriched_data",
    "created_at_ts",
    "last_updated_ts",
    "created_by_id",
    "created_at",
    "updated_at",
)


def item_rows(items: QuerySet[Item]) -> QuerySet[Item]:
    """``items`` read as the tuples ``item_row`` takes (the columns of ``ItemRow``)."""
    return items.values_list(*ITEM_ROW_FIELDS)


def item_row(values: Sequence[Any]) -> ItemRow:
    """An ``ItemRow`` from one tuple of ``item_rows`` (its source entries not yet read)."""
    return ItemRow(*values, source_entries=[])


def item_views_read(*, dfids: Sequence[str], viewer: User) -> dict[str, ItemView]:
    """The items ``dfids`` as ``viewer`` sees them, by DFID (``view.item`` is an ``ItemRow``
    with the item's source entries): the same rows, order and merge as ``items_prefetch_views``
    with the source entries prefetched, read as plain values (at most five queries for any
    number of items, no model instances). For answers about many items at once (a bulk
    create's) and the item's read."""
    if not dfids:
        return {}
    rows = item_rows(Item.objects.filter(dfid__in=dfids).order_by())
    return item_views_of_rows(items=[item_row(values) for values in rows], viewer=viewer)


def item_views_of_rows(*, items: Sequence[ItemRow], viewer: User) -> dict[str, ItemView]:
    """The views of ``items`` (read by ``item_rows``) for ``viewer``, in their order, by DFID;
    fills in their source entries. At most four queries for any number of items."""
    if not items:
        return {}
    by_dfid = {item.dfid: item for item in items}
    keys = list(by_dfid)
    rows: dict[str, list[_IdentifierRow]] = defaultdict(list)
    for dfid, *values in (
        ItemIdentifier.objects.filter(item_id__in=keys)
        .order_by(*ItemIdentifier._meta.ordering)
        .values_list(
            "item_id",
            "namespace",
            "key",
            "value",
            "id_type",
            "type_metadata",
            "created_at",
            "contribution_id",
        )
    ):
        rows[dfid].append(_IdentifierRow(*values))
    # every layer of the items, then which of the other parties' layers the viewer may see:
    # the visibility rule over a list of primary keys (filtered by DFIDs, PostgreSQL's plan
    # for it scans a DFID index for seconds once the table holds 100,000s of layers)
    candidates = [
        (dfid, _LayerRow(*values))
        for dfid, *values in ItemContribution.objects.filter(item_id__in=keys)
        .order_by(*ItemContribution._meta.ordering)
        .values_list(
            "item_id",
            "id",
            "contributor_id",
            "is_base",
            "verified",
            "created_at_ts",
            "enriched_data",
        )
    ]
    visible = layers_visible_among(
        ((layer.id, layer.contributor_id) for _, layer in candidates), viewer=viewer
    )
    layers: dict[str, list[_LayerRow]] = defaultdict(list)
    for dfid, layer in candidates:
        if layer.id in visible:
            layers[dfid].append(layer)
    for dfid, entry_id in (
        ItemSourceEntry.objects.filter(item_id__in=keys)
        .order_by(*ItemSourceEntry._meta.ordering)
        .values_list("item_id", "entry_id")
    ):
        by_dfid[dfid].source_entries.append(str(entry_id))
    return {
        dfid: item_view_merge(
            item=item,  # type: ignore[arg-type]  # an ItemRow has what the merge reads
            layers=layers.get(dfid, ()),  # type: ignore[arg-type]
            rows=rows.get(dfid, ()),  # type: ignore[arg-type]
            viewer_id=viewer.pk,
        )
        for dfid, item in by_dfid.items()
    }


def items_with_circuit_views(items: QuerySet[Item], *, circuit_id: Any) -> QuerySet[Item]:
    """``items`` with what ``item_view_for_circuit`` needs: two queries for any number."""
    return items.prefetch_related(
        "identifiers", layers_prefetch(contributions_shared_with_circuit(circuit_id=circuit_id))
    )


def item_view_for_circuit(*, item: Item, circuit_id: Any) -> ItemView:
    """``item`` as circuit ``circuit_id`` holds it: the layers shared with the circuit, with
    nobody's person ids in clear (what its public view and its storage show)."""
    layers = getattr(item, VIEW_LAYERS, None)
    if layers is None:
        layers = list(contributions_shared_with_circuit(circuit_id=circuit_id).filter(item=item))
    return item_view_merge(item=item, layers=layers, rows=item.identifiers.all(), viewer_id=None)


def item_view_snapshot(view: ItemView) -> dict[str, Any]:
    """The view's identifiers and enriched data, JSON-serialisable (as ``item_snapshot``)."""
    return {
        "identifiers": [
            {
                "namespace": identifier.namespace,
                "key": identifier.key,
                "value": identifier.value,
                "id_type": identifier.id_type,
                "type_metadata": identifier.type_metadata or {},
            }
            for identifier in view.identifiers
        ],
        "enriched_data": view.enriched_data or {},
    }


def events_of_layers(*, events: Iterable[Any], view: ItemView) -> list[Any]:
    """Of ``events`` (of the view's item), those written by the parties of its layers (and
    DeFarm's own, without an author, when the base layer is among them)."""
    parties = {layer.contributor_id for layer in view.layers if layer.contributor_id}
    with_base = any(layer.is_base for layer in view.layers)
    return [
        event
        for event in events
        if event.created_by_id in parties or (event.created_by_id is None and with_base)
    ]
