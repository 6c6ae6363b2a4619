"""Creating and enriching global items, one or a thousand at a time.

Every write goes through ``items_write``: canonical identifiers of the whole batch are looked
up in one indexed query, new DFIDs come from the database sequence in one query, and items,
identifiers, identifier mappings and events are written with ``bulk_create``.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import TransactionType, User
from accounts.services.credits import credits_add, credits_charge
from accounts.tiers import CreditOperation, operation_cost
from defarm.timeutils import unix_now
from items.identifiers import Identifier
from items.item_view import ITEM_ROW_FIELDS
from items.models import (
    ConflictResolution,
    ConflictStatus,
    EventType,
    EventVisibility,
    IdentifierMapping,
    Item,
    ItemContribution,
    ItemIdentifier,
    ItemSourceEntry,
    ItemStatus,
    PendingItem,
    PendingItemReason,
)
from items.selectors import canonical_owners
from items.services.dfid import dfids_issue
from items.services.events import EventDraft, events_record_many
from items.services.limits import item_limit_check
from items.services.rows import _server_bound_cursor, rows_insert, rows_pipeline, uuid4s

Triple = tuple[str, str, str]


class WriteStatus:
    CREATED = "created"
    ENRICHED = "enriched"
    CONFLICT = "conflict"
    INVALID = "invalid"


@dataclass
class ItemWriteResult:
    """What a create/tokenize did: ``created`` is True when a new DFID was issued."""

    item: Item
    created: bool


@dataclass
class Submission:
    """One item's identifiers and data, as submitted."""

    identifiers: list[Identifier]
    enriched_data: dict[str, Any] | None = None
    target: Item | None = None  # enrich this item (PATCH) rather than look one up
    deduplicate: bool = True
    source_entry_id: Any = None
    event_metadata: dict[str, Any] = field(default_factory=dict)
    circuit_id: Any = None  # the circuit the data came through (push-local, approval)


@dataclass
class WriteOutcome:
    status: str
    item: Item | None = None
    conflict: ConflictResolution | None = None
    pending: PendingItem | None = None  # the submission held for its submitter

    @property
    def conflicting_dfids(self) -> list[str]:
        return list(self.conflict.conflicting_dfids) if self.conflict else []


def identifier_from_row(row: ItemIdentifier) -> Identifier:
    return Identifier(
        namespace=row.namespace,
        key=row.key,
        value=row.value,
        id_type=row.id_type,
        type_metadata=row.type_metadata or {},
    )


def item_hash_compute(
    *, identifiers: Iterable[Identifier], enriched_data: dict[str, Any] | None
) -> str:
    """SHA-256 over the item's canonical content: sorted identifiers and enriched data."""
    content = json.dumps(
        {
            "identifiers": sorted(
                [i.namespace, i.key, i.value, str(i.id_type)] for i in identifiers
            ),
            "enriched_data": enriched_data or {},
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def item_identifiers(item: Item) -> list[Identifier]:
    """The identifiers of the item's base layer (its creator's, the item row), from the
    prefetch cache when there is one. Other parties' layers are never part of it."""
    return [
        identifier_from_row(row) for row in item.identifiers.all() if row.contribution_id is None
    ]


def item_rehash(item: Item) -> None:
    item.item_hash = item_hash_compute(
        identifiers=item_identifiers(item), enriched_data=item.enriched_data
    )


def item_snapshot(*, item: Item) -> dict[str, Any]:
    """The item's identifiers and enriched data, JSON-serialisable."""
    return {
        "identifiers": [identifier.as_dict() for identifier in item_identifiers(item)],
        "enriched_data": item.enriched_data or {},
    }


def _lock_canonical_ids(triples: Iterable[Triple]) -> None:
    """Serialise concurrent writes of the same canonical ids (PostgreSQL advisory locks)."""
    if connection.vendor != "postgresql":
        return  # SQLite writes one transaction at a time
    keys = sorted(
        {
            int.from_bytes(
                hashlib.sha256("\x1f".join(triple).encode()).digest()[:8], "big", signed=True
            )
            for triple in triples
        }
    )
    if keys:
        with _server_bound_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%b::bigint[]) AS k", [keys])


def _charge_item_creation(*, user: User, count: int) -> None:
    """Charge ``count`` item creations at once (one ledger row); 402 when short."""
    if count == 1:
        credits_charge(
            user=user, operation=CreditOperation.ITEM_CREATION, description="Item creation"
        )
        return
    total = operation_cost(user.tier, CreditOperation.ITEM_CREATION) * count
    if total:
        credits_add(
            user=user,
            amount=-total,
            transaction_type=TransactionType.CONSUMPTION,
            description=f"Item creation x{count}",
        )


@dataclass
class _Draft:
    """An item being built or enriched during a batch."""

    item: Item
    is_new: bool
    identifiers: list[Identifier]
    added: list[Identifier] = field(default_factory=list)
    changed: bool = False
    circuit_id: Any = None

    def triples(self) -> set[Triple]:
        return {identifier.triple for identifier in self.identifiers}

    def absorb(self, submission: Submission) -> tuple[list[Identifier], list[str]]:
        """Append new identifiers and merge data (later keys win); returns what changed."""
        known = self.triples()
        added = [i for i in submission.identifiers if i.triple not in known]
        self.identifiers.extend(added)
        self.added.extend(added)
        keys: list[str] = []
        if submission.enriched_data:
            current = dict(self.item.enriched_data or {})
            keys = [k for k, v in submission.enriched_data.items() if current.get(k, ...) != v]
            current.update(submission.enriched_data)
            self.item.enriched_data = current
        if added or keys:
            self.changed = True
        return added, keys


@dataclass
class _LayerDraft:
    """The caller's own layer of an item it did not create, being built or enriched."""

    contribution: ItemContribution
    is_new: bool
    known: set[Triple]
    added: list[Identifier] = field(default_factory=list)
    changed: bool = False

    def absorb(self, submission: Submission) -> tuple[list[Identifier], list[str]]:
        """Like ``_Draft.absorb``, on the layer: the item row is never touched."""
        added = [i for i in submission.identifiers if i.triple not in self.known]
        self.known |= {i.triple for i in added}
        self.added.extend(added)
        keys: list[str] = []
        if submission.enriched_data:
            current = dict(self.contribution.enriched_data or {})
            keys = [k for k, v in submission.enriched_data.items() if current.get(k, ...) != v]
            current.update(submission.enriched_data)
            self.contribution.enriched_data = current
        if added or keys:
            self.changed = True
        return added, keys


def _own_layers(
    *, user: User, items: Sequence[Item], circuit_ids: dict[str, Any], now: int
) -> dict[str, _LayerDraft]:
    """The caller's layers of ``items`` (made when missing), with the triples they hold; two
    queries for any number of items."""
    if not items:
        return {}
    existing = {
        contribution.item_id: contribution
        for contribution in ItemContribution.objects.select_for_update()
        .filter(item__in=[item.dfid for item in items], contributor=user, is_base=False)
        .order_by("item_id")
    }
    known: dict[Any, set[Triple]] = {}
    for contribution_id, namespace, key, value in ItemIdentifier.objects.filter(
        contribution__in=[c.pk for c in existing.values()]
    ).values_list("contribution_id", "namespace", "key", "value"):
        known.setdefault(contribution_id, set()).add((namespace, key, value))
    layers: dict[str, _LayerDraft] = {}
    for item in items:
        contribution = existing.get(item.dfid)
        if contribution is None:
            layers[item.dfid] = _LayerDraft(
                contribution=ItemContribution(
                    item=item,
                    contributor=user,
                    circuit_id=circuit_ids.get(item.dfid),
                    created_at_ts=now,
                    updated_at_ts=now,
                ),
                is_new=True,
                known=set(),
            )
        else:
            layers[item.dfid] = _LayerDraft(
                contribution=contribution, is_new=False, known=known.get(contribution.pk, set())
            )
    return layers


CONTRIBUTION_FIELDS = (
    "id",
    "item_id",
    "contributor_id",
    "circuit_id",
    "is_base",
    "enriched_data",
    "verified",
    "created_at_ts",
    "updated_at_ts",
)
IDENTIFIER_FIELDS = (
    "item_id",
    "namespace",
    "key",
    "value",
    "id_type",
    "type_metadata",
    "contribution_id",
)
MAPPING_FIELDS = (
    "identifier_key",
    "identifier_value",
    "item_id",
    "confidence_score",
    "source_entry_id",
)


def _identifier_values(dfid: str, identifier: Identifier, contribution_id: Any) -> tuple:
    return (
        dfid,
        identifier.namespace,
        identifier.key,
        identifier.value,
        identifier.id_type,
        identifier.type_metadata or None,
        contribution_id,
    )


_ITEM_ATTRIBUTES = tuple(field.attname for field in Item._meta.concrete_fields)
_ITEM_CREATOR = Item._meta.get_field("created_by")


def _item_unsaved(
    *, dfid: str, created_by: User, enriched_data: dict[str, Any] | None, now: int
) -> Item:
    """A new item, not saved: ``Item(...)`` with its values in field order (Django's
    positional path; by keyword a model instance costs several times as much, which a batch
    of thousands feels). Timestamps in the row are set when it is written."""
    values = {
        "dfid": dfid,
        "item_hash": "",
        "status": ItemStatus.ACTIVE,
        "enriched_data": enriched_data,
        "created_at_ts": now,
        "last_updated_ts": now,
        "created_at": None,
        "updated_at": None,
        "created_by_id": created_by.pk,
    }
    item = Item(*(values[attribute] for attribute in _ITEM_ATTRIBUTES))
    _ITEM_CREATOR.set_cached_value(item, created_by)
    return item


def _describe(identifiers: Iterable[Identifier]) -> list[str]:
    return [f"{i.namespace}:{i.key}={i.value}" for i in identifiers]


def pending_item_reason_details(*, identifier_key: str, identifier_value: str, dfids) -> str:
    return f"Identifier {identifier_key}:{identifier_value} maps to DFIDs: {', '.join(dfids)}"


@transaction.atomic
def items_write(
    *,
    user: User,
    submissions: Sequence[Submission],
    source: str = "api",
    hold_conflicts: bool = False,
) -> list[WriteOutcome]:
    """Create or enrich one item per submission, deduplicating by canonical identifier.

    A submission whose canonical ids belong to one live item enriches it; to none, creates a
    new DFID (charged once for the whole batch, 402 with nothing written when short); to two
    or more, writes a Pending ``conflict_resolutions`` row and changes nothing. Earlier
    submissions of the same batch count as existing items for later ones. With
    ``hold_conflicts`` a conflicting submission is also kept as the caller's ``pending_items``
    row (identifiers and data as submitted), to approve, change or reject later.

    Dedup never crosses a tenancy line: enriching the caller's own item (or the ``target`` it
    was authorised to change) changes the item row, its base layer; enriching an item someone
    else created writes only the caller's own layer of it (``item_contributions``), and its
    event is private to the caller.
    """
    triples = {
        identifier.triple
        for submission in submissions
        if submission.deduplicate
        for identifier in submission.identifiers
        if identifier.is_canonical
    }
    _lock_canonical_ids(triples)
    owners = canonical_owners(triples=triples) if triples else {}
    existing_dfids = {dfid for dfids in owners.values() for dfid in dfids}
    explicit = {s.target.dfid for s in submissions if s.target is not None}
    existing_dfids |= explicit
    drafts: dict[str, _Draft] = {}
    foreign: list[Item] = []
    if existing_dfids:
        for item in (
            Item.objects.select_for_update()
            .filter(dfid__in=sorted(existing_dfids))
            .prefetch_related("identifiers")
            .order_by("dfid")
        ):
            if item.dfid in explicit or item.created_by_id == user.pk:
                drafts[item.dfid] = _Draft(
                    item=item, is_new=False, identifiers=item_identifiers(item)
                )
            else:
                foreign.append(item)
    now = unix_now()
    circuit_ids: dict[str, Any] = {}
    for submission in submissions:
        for identifier in submission.identifiers:
            for dfid in owners.get(identifier.triple, ()):
                circuit_ids.setdefault(dfid, submission.circuit_id)
    layers = _own_layers(user=user, items=foreign, circuit_ids=circuit_ids, now=now)
    owner_keys: dict[Triple, set[str]] = {t: set(dfids) for t, dfids in owners.items()}

    plan: list[tuple[str, str | None, list[str], list[Identifier], list[str]]] = []
    new_count = 0
    for index, submission in enumerate(submissions):
        canonical = [i.triple for i in submission.identifiers if i.is_canonical]
        targets: set[str] = set()
        if submission.target is not None:
            targets.add(submission.target.dfid)
        if submission.deduplicate:
            for triple in canonical:
                targets |= owner_keys.get(triple, set())
        if len(targets) >= 2:
            plan.append((WriteStatus.CONFLICT, None, sorted(targets), [], []))
            continue
        if targets:
            key = next(iter(targets))
            absorbing = layers[key] if key in layers else drafts[key]
            added, keys = absorbing.absorb(submission)
            plan.append((WriteStatus.ENRICHED, key, [], added, keys))
            held = submission.identifiers if key in layers else drafts[key].identifiers
        else:
            key = f"new:{index}"
            item = _item_unsaved(
                dfid=key,
                created_by=user,
                enriched_data=dict(submission.enriched_data or {}) or None,
                now=now,
            )
            drafts[key] = _Draft(item=item, is_new=True, identifiers=list(submission.identifiers))
            drafts[key].added = list(submission.identifiers)
            drafts[key].circuit_id = submission.circuit_id
            new_count += 1
            plan.append((WriteStatus.CREATED, key, [], [], []))
            held = drafts[key].identifiers
        if submission.deduplicate:
            for identifier in held:
                if identifier.is_canonical:
                    owner_keys.setdefault(identifier.triple, set()).add(key)

    new_drafts = [draft for draft in drafts.values() if draft.is_new]
    if new_drafts:
        item_limit_check(user=user, count=len(new_drafts))
        _charge_item_creation(user=user, count=len(new_drafts))
        for draft, dfid in zip(new_drafts, dfids_issue(count=len(new_drafts)), strict=True):
            draft.item.dfid = dfid
    for draft in drafts.values():
        if draft.is_new or draft.changed:
            draft.item.item_hash = item_hash_compute(
                identifiers=draft.identifiers, enriched_data=draft.item.enriched_data
            )
        if draft.changed and not draft.is_new:
            draft.item.last_updated_ts = now
            draft.item.updated_at = timezone.now()

    # Changes to existing rows first: the ORM reads each statement's outcome at once, so its
    # writes stay out of the pipelined inserts below.
    changed = [d.item for d in drafts.values() if d.changed and not d.is_new]
    if changed:
        Item.objects.bulk_update(
            changed, ["enriched_data", "item_hash", "last_updated_ts", "updated_at"]
        )
    changed_layers = [
        layer.contribution for layer in layers.values() if layer.changed and not layer.is_new
    ]
    for contribution in changed_layers:
        contribution.updated_at_ts = now
        contribution.updated_at = timezone.now()
    if changed_layers:
        ItemContribution.objects.bulk_update(
            changed_layers, ["enriched_data", "updated_at_ts", "updated_at"]
        )

    stamp = timezone.now()
    for draft in new_drafts:
        draft.item.created_at = draft.item.updated_at = stamp
    with rows_pipeline():
        outcomes, sources, conflicts, held = _new_rows_write(
            user=user,
            submissions=submissions,
            plan=plan,
            drafts=drafts,
            layers=layers,
            new_drafts=new_drafts,
            stamp=stamp,
            now=now,
            source=source,
            hold_conflicts=hold_conflicts,
        )
    ItemSourceEntry.objects.bulk_create(sources)
    ConflictResolution.objects.bulk_create(conflicts)
    PendingItem.objects.bulk_create(held)
    return outcomes


def _new_rows_write(
    *,
    user: User,
    submissions: Sequence[Submission],
    plan: list[tuple[str, str | None, list[str], list[Identifier], list[str]]],
    drafts: dict[str, _Draft],
    layers: dict[str, _LayerDraft],
    new_drafts: list[_Draft],
    stamp: Any,
    now: int,
    source: str,
    hold_conflicts: bool,
) -> tuple[list[WriteOutcome], list[ItemSourceEntry], list[ConflictResolution], list[PendingItem]]:
    """The rows ``items_write`` adds (items, layers, identifiers, mappings, events), each
    table's in one statement; answers the outcome of each submission and the rows the ORM
    writes after (source entries, conflicts, held submissions)."""
    rows_insert(
        model=Item,
        fields=ITEM_ROW_FIELDS,
        rows=[
            (
                d.item.dfid,
                d.item.item_hash,
                d.item.status,
                d.item.enriched_data,
                d.item.created_at_ts,
                d.item.last_updated_ts,
                user.pk,
                stamp,
                stamp,
            )
            for d in new_drafts
        ],
    )
    new_layers = [layer.contribution for layer in layers.values() if layer.is_new]
    for contribution in new_layers:
        contribution.created_at = contribution.updated_at = stamp
    rows_insert(
        model=ItemContribution,
        fields=CONTRIBUTION_FIELDS,
        rows=[
            (contribution_id, d.item.dfid, user.pk, d.circuit_id, True, None, False, now, now)
            for d, contribution_id in zip(new_drafts, uuid4s(len(new_drafts)), strict=True)
        ]
        + [
            (
                c.pk,
                c.item_id,
                c.contributor_id,
                c.circuit_id,
                False,
                c.enriched_data,
                c.verified,
                c.created_at_ts,
                c.updated_at_ts,
            )
            for c in new_layers
        ],
    )
    rows_insert(
        model=ItemIdentifier,
        fields=IDENTIFIER_FIELDS,
        rows=[_identifier_values(d.item.dfid, i, None) for d in drafts.values() for i in d.added]
        + [
            _identifier_values(layer.contribution.item_id, i, layer.contribution.pk)
            for layer in layers.values()
            for i in layer.added
        ],
    )

    outcomes: list[WriteOutcome] = []
    mappings: list[tuple[Any, ...]] = []
    sources: list[ItemSourceEntry] = []
    conflicts: list[ConflictResolution] = []
    held: list[PendingItem] = []
    events: list[EventDraft] = []
    for submission, (status, key, conflicting, added, keys) in zip(submissions, plan, strict=True):
        if status == WriteStatus.CONFLICT:
            dfids = sorted(
                drafts[k].item.dfid if k in drafts else layers[k].contribution.item_id
                for k in conflicting
            )
            first = next(
                (i for i in submission.identifiers if i.is_canonical), submission.identifiers[0]
            )
            conflict = ConflictResolution(
                identifier_key=first.key,
                identifier_value=first.value,
                conflicting_dfids=dfids,
                resolution_strategy="ManualReview",
                status=ConflictStatus.PENDING,
                created_at_ts=now,
            )
            conflicts.append(conflict)
            pending = None
            if hold_conflicts:
                pending = PendingItem(
                    user=user,
                    conflict=conflict,
                    identifiers=[identifier.as_dict() for identifier in submission.identifiers],
                    enriched_data=submission.enriched_data,
                    source_entry=submission.source_entry_id,
                    reason=PendingItemReason.CONFLICTING_DFIDS,
                    reason_details=pending_item_reason_details(
                        identifier_key=first.key, identifier_value=first.value, dfids=dfids
                    ),
                    metadata={"source": source},
                    created_at_ts=now,
                    updated_at_ts=now,
                )
                held.append(pending)
            outcomes.append(WriteOutcome(status=status, conflict=conflict, pending=pending))
            continue
        own_layer = key in layers
        item = layers[key].contribution.item if own_layer else drafts[key].item
        outcomes.append(WriteOutcome(status=status, item=item))
        mappings.extend(
            (identifier.key, identifier.value, item.dfid, 1.0, submission.source_entry_id)
            for identifier in submission.identifiers
        )
        if submission.source_entry_id is not None:
            sources.append(ItemSourceEntry(item=item, entry_id=submission.source_entry_id))
        if status == WriteStatus.CREATED:
            metadata = {"identifiers": _describe(submission.identifiers)}
            events.append(
                EventDraft(
                    item=item,
                    event_type=EventType.CREATED,
                    user=user,
                    source=source,
                    metadata={**metadata, **submission.event_metadata},
                )
            )
        elif added or keys:
            metadata = {"identifiers_added": _describe(added), "enriched_keys": sorted(keys)}
            if own_layer:  # the caller's layer: its event is the caller's alone
                metadata["contributor"] = user.pk
            events.append(
                EventDraft(
                    item=item,
                    event_type=EventType.ENRICHED,
                    user=user,
                    source=source,
                    metadata={**metadata, **submission.event_metadata},
                    visibility=EventVisibility.PRIVATE if own_layer else EventVisibility.PUBLIC,
                )
            )
    rows_insert(model=IdentifierMapping, fields=MAPPING_FIELDS, rows=mappings)
    events_record_many(drafts=events)
    return outcomes, sources, conflicts, held
