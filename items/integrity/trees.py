"""The Merkle trees DeFarm serves, built from the database on each request (nothing stored).

- An **item's tree** has one leaf per event, oldest first (``timestamp``, then ``event_id``);
  a leaf is the canonical JSON of the event (``event_leaf_document``). Over the events the
  caller sees (``events_visible_to``); in the public view, over the item's Public events that
  a public circuit publishing it shows.
- The EPCIS events captured about the item (an EPC of the event linked to the item through
  its ``gs1`` canonical identifier) are leaves of the item's tree too, over those the caller
  sees (``items.epcis.selectors.events_visible_to``; in the public view, those every party
  sees). Their leaf is the canonical JSON of ``captured_event_leaf_document``: the DFID, the
  ``eventID``, the event type, its event and record times and its **EPCIS event hash**
  (``ni:///sha-256;...?ver=CBV2.0``, the standard's algorithm, which anyone holding the event
  recomputes with the reference implementation). Leaves of both kinds are in time order
  (DeFarm's ``timestamp``, a captured event's ``eventTime``); at the same instant DeFarm's own
  events come first.
- A **circuit's tree** has one leaf per item of the circuit that has events, in DFID order; a
  leaf is the canonical JSON of ``{"dfid", "merkle_root", "event_count"}``, the item's own tree
  over the events the circuit shows its members (not Private, of the parties whose layers the
  circuit shares, and the captured EPCIS events of its members naming the item). Every member
  gets the same root, so two members can compare states. The public circuit tree covers the
  published items, their Public events and the captured events of the circuit's members.
"""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import User
from circuits.models import Circuit, CircuitItem, CircuitPublishedItem, CircuitStatus
from circuits.permissions import circuit_get_for_member
from circuits.selectors import circuit_public_without_password
from defarm.api.exceptions import ApiError
from items.epcis.event_hash import event_hash as epcis_event_hash
from items.epcis.models import EpcisEvent, EpcisEventEpc
from items.epcis.selectors import Audience
from items.epcis.selectors import events_visible_to as epcis_events_visible_to
from items.integrity.merkle import InclusionProof, MerkleTree, canonical_json
from items.item_view import events_shared_with_circuit
from items.models import Event, EventVisibility, Item
from items.selectors import events_visible_to, item_get_visible

EVENT_ORDER = ("timestamp", "event_id")


def event_leaf_document(event: Event) -> dict[str, Any]:
    """What an event's leaf commits to. Encrypted payloads are committed by their SHA-256."""
    encrypted = bytes(event.encrypted_data) if event.encrypted_data is not None else None
    return {
        "event_id": str(event.event_id),
        "dfid": event.item_id,
        "event_type": event.event_type,
        "timestamp": event.timestamp,
        "visibility": event.visibility,
        "metadata": event.metadata if event.metadata is not None else {},
        "encrypted_data_sha256": hashlib.sha256(encrypted).hexdigest() if encrypted else None,
    }


def _utc(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def captured_event_leaf_document(event: EpcisEvent, *, dfid: str) -> dict[str, Any]:
    """What a captured EPCIS event's leaf in item ``dfid``'s tree commits to: its standard
    event hash (over the event as captured) bound to the item."""
    return {
        "dfid": dfid,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "event_time": _utc(event.event_time),
        "record_time": _utc(event.record_time),
        "epcis_event_hash": epcis_event_hash(event.event, context=event.context),
    }


Leaf = Event | EpcisEvent


def leaf_document(leaf: Leaf, *, dfid: str) -> dict[str, Any]:
    if isinstance(leaf, EpcisEvent):
        return captured_event_leaf_document(leaf, dfid=dfid)
    return event_leaf_document(leaf)


def _leaf_id(leaf: Leaf) -> str:
    return leaf.event_id if isinstance(leaf, EpcisEvent) else str(leaf.event_id)


def _in_time_order(events: Iterable[Event], captured: Iterable[EpcisEvent]) -> tuple[Leaf, ...]:
    """DeFarm's events (already in ``EVENT_ORDER``) and captured ones (in ``eventTime``, id
    order) merged by time; the sort is stable, so each kind keeps its own order."""
    keyed: list[tuple[float, int, Leaf]] = [(float(e.timestamp), 0, e) for e in events]
    keyed += [(c.event_time.timestamp(), 1, c) for c in captured]
    keyed.sort(key=lambda entry: (entry[0], entry[1]))
    return tuple(leaf for _time, _kind, leaf in keyed)


def item_entry_document(*, dfid: str, merkle_root: str, event_count: int) -> dict[str, Any]:
    return {"dfid": dfid, "merkle_root": merkle_root, "event_count": event_count}


@dataclass(frozen=True)
class ItemTree:
    dfid: str
    events: tuple[Leaf, ...]
    tree: MerkleTree

    @property
    def merkle_root(self) -> str:
        return self.tree.root

    @property
    def event_count(self) -> int:
        return self.tree.size

    def event_proof(self, event_id: str) -> tuple[InclusionProof, dict[str, Any]]:
        """The proof of one event (a DeFarm event id or a captured event's ``eventID``) and
        the document its leaf hashes; 404 when the event is not a leaf of this tree (another
        item's event, or one the caller does not see)."""
        for index, event in enumerate(self.events):
            if _leaf_id(event) == str(event_id):
                return self.tree.proof(index), leaf_document(event, dfid=self.dfid)
        raise ApiError(
            f"Event {event_id} is not in the Merkle tree of item {self.dfid}.",
            code="event_not_in_tree",
            status_code=404,
            details={"dfid": self.dfid, "event_id": str(event_id)},
        )


@dataclass(frozen=True)
class ItemEntry:
    dfid: str
    merkle_root: str
    event_count: int


@dataclass(frozen=True)
class CircuitTree:
    circuit_id: str
    items: tuple[ItemEntry, ...]
    tree: MerkleTree

    @property
    def merkle_root(self) -> str:
        return self.tree.root

    def item_proof(self, dfid: str) -> tuple[InclusionProof, dict[str, Any]]:
        for index, entry in enumerate(self.items):
            if entry.dfid == dfid:
                document = item_entry_document(
                    dfid=entry.dfid, merkle_root=entry.merkle_root, event_count=entry.event_count
                )
                return self.tree.proof(index), document
        raise ApiError(
            f"Item {dfid} is not in the Merkle tree of circuit {self.circuit_id}.",
            code="item_not_in_tree",
            status_code=404,
            details={"circuit_id": self.circuit_id, "dfid": dfid},
        )


def _no_events(dfid: str) -> ApiError:
    return ApiError(
        "No events found for item", code="no_events", status_code=404, details={"dfid": dfid}
    )


def _no_items(circuit_id: str) -> ApiError:
    return ApiError(
        "No items with events found in circuit",
        code="no_items_with_events",
        status_code=404,
        details={"circuit_id": circuit_id},
    )


def _item_tree(dfid: str, events: Iterable[Event], captured: Iterable[EpcisEvent] = ()) -> ItemTree:
    events = _in_time_order(events, captured)
    if not events:
        raise _no_events(dfid)
    leaves = [canonical_json(leaf_document(event, dfid=dfid)) for event in events]
    return ItemTree(dfid=dfid, events=events, tree=MerkleTree.from_leaves(leaves))


def _circuit_tree(
    circuit_id: str,
    events: QuerySet[Event],
    captured: dict[str, list[EpcisEvent]] | None = None,
) -> CircuitTree:
    """The tree over ``events`` (already limited to the circuit's items) grouped by item, with
    the captured events of each item in ``captured``."""
    by_item: dict[str, list[Event]] = defaultdict(list)
    for event in events.order_by("item_id", *EVENT_ORDER):
        by_item[event.item_id].append(event)
    captured = captured or {}
    entries = []
    for dfid in sorted(set(by_item) | set(captured)):
        item_tree = _item_tree(dfid, by_item.get(dfid, ()), captured.get(dfid, ()))
        entries.append(ItemEntry(dfid, item_tree.merkle_root, item_tree.event_count))
    if not entries:
        raise _no_items(circuit_id)
    leaves = [
        canonical_json(
            item_entry_document(dfid=e.dfid, merkle_root=e.merkle_root, event_count=e.event_count)
        )
        for e in entries
    ]
    return CircuitTree(
        circuit_id=circuit_id, items=tuple(entries), tree=MerkleTree.from_leaves(leaves)
    )


def _circuit_captured(circuit: Circuit, *, item_ids) -> dict[str, list[EpcisEvent]]:
    """The captured events a circuit shows of its items ``item_ids``: those its members
    captured (the events shared through it), per item in ``eventTime`` order."""
    rows = (
        EpcisEventEpc.objects.filter(
            item_id__in=item_ids, event__owner__circuit_memberships__circuit=circuit
        )
        .select_related("event")
        .order_by("event__event_time", "event_id")
    )
    by_item: dict[str, dict[int, EpcisEvent]] = defaultdict(dict)
    for row in rows:
        by_item[row.item_id].setdefault(row.event_id, row.event)
    return {dfid: list(events.values()) for dfid, events in by_item.items()}


def _circuit_events(circuit: Circuit, *, item_ids, public: bool) -> QuerySet[Event]:
    events = Event.objects.filter(item_id__in=item_ids).filter(
        events_shared_with_circuit(circuit_id=circuit.pk)
    )
    if public:
        return events.filter(visibility=EventVisibility.PUBLIC)
    return events.exclude(visibility=EventVisibility.PRIVATE)


# --- what a signed-in caller may see ----------------------------------------------------------


def item_tree_for_user(*, user: User, dfid: str) -> ItemTree:
    """The tree of an item the caller sees, over the events the caller sees; 404 otherwise."""
    item = item_get_visible(user=user, dfid=dfid)
    events = events_visible_to(user=user).filter(item=item).order_by(*EVENT_ORDER)
    captured = _captured_events_of(item.dfid, epcis_events_visible_to(user=user))
    return _item_tree(item.dfid, events, captured)


def _captured_events_of(dfid: str, visible: QuerySet[EpcisEvent]) -> QuerySet[EpcisEvent]:
    """The captured events among ``visible`` that name item ``dfid`` (by the partial index on
    the event EPCs' item), in ``eventTime`` order."""
    naming = EpcisEventEpc.objects.filter(item_id=dfid).values("event_id")
    return visible.filter(pk__in=naming).order_by("event_time", "id")


def circuit_tree_for_member(*, user: User, circuit_id: str) -> CircuitTree:
    """The tree of a circuit the caller belongs to (or owns; staff: any); 404 otherwise."""
    circuit = circuit_get_for_member(user=user, circuit_id=circuit_id)
    item_ids = CircuitItem.objects.filter(circuit=circuit).values("item_id")
    return _circuit_tree(
        str(circuit.pk),
        _circuit_events(circuit, item_ids=item_ids, public=False),
        _circuit_captured(circuit, item_ids=item_ids),
    )


# --- the public view --------------------------------------------------------------------------


def _published_item_ids(circuit: Circuit) -> QuerySet[CircuitItem]:
    published = CircuitPublishedItem.objects.filter(circuit=circuit).values("item_id")
    return CircuitItem.objects.filter(circuit=circuit, item_id__in=published).values("item_id")


def public_circuit_tree(*, circuit_id: str) -> CircuitTree:
    """The tree of a circuit anyone may read without a password, over its published items and
    their Public events; 404 ``circuit_not_public`` otherwise."""
    circuit = _public_circuit(circuit_id)
    item_ids = _published_item_ids(circuit)
    events = _circuit_events(circuit, item_ids=item_ids, public=True)
    return _circuit_tree(str(circuit.pk), events, _circuit_captured(circuit, item_ids=item_ids))


def _public_circuit(circuit_id: str) -> Circuit:
    try:
        circuit = Circuit.objects.filter(pk=uuid.UUID(str(circuit_id))).first()
    except ValueError:
        circuit = None
    if circuit is None or not circuit_public_without_password(circuit):
        raise ApiError(
            "Circuit not found or not public",
            code="circuit_not_public",
            status_code=404,
            details={"circuit_id": str(circuit_id)},
        )
    return circuit


def public_item_tree(*, dfid: str) -> ItemTree:
    """The tree of an item published by at least one circuit anyone may read without a
    password, over its Public events those circuits show; 404 otherwise."""
    holding = CircuitItem.objects.filter(item_id=dfid).values("circuit_id")
    published = CircuitPublishedItem.objects.filter(circuit_id__in=holding, item_id=dfid)
    holders = Circuit.objects.filter(circuit_id__in=published.values("circuit_id")).exclude(
        status=CircuitStatus.ARCHIVED
    )
    publishing = [circuit for circuit in holders if circuit_public_without_password(circuit)]
    if not publishing or not Item.objects.filter(pk=dfid).exists():
        raise ApiError(
            "Item not found in any public circuit",
            code="item_not_public",
            status_code=404,
            details={"dfid": dfid},
        )
    shown = reduce(or_, (events_shared_with_circuit(circuit_id=c.pk) for c in publishing), Q())
    events = (
        Event.objects.filter(item_id=dfid, visibility=EventVisibility.PUBLIC)
        .filter(shown)
        .order_by(*EVENT_ORDER)
    )
    # Captured events everyone sees: those of members of a circuit publishing the item.
    everyone = Audience(everything=False, public_circuit_ids=tuple(c.pk for c in publishing))
    captured = _captured_events_of(dfid, epcis_events_visible_to(user=None, audience=everyone))
    return _item_tree(dfid, events, captured)


@dataclass(frozen=True)
class SyncComparison:
    in_sync: bool
    local_root: str
    remote_root: str
    local_only: tuple[str, ...] = ()
    remote_only: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()

    @property
    def differing_items(self) -> tuple[str, ...]:
        return (*self.local_only, *self.remote_only, *self.modified)


def circuit_sync_compare(
    *, tree: CircuitTree, remote_root: str, remote_items: list[dict[str, Any]] | None
) -> SyncComparison:
    """The circuit's state as DeFarm computes it now against a remote one: in sync when the
    roots agree; otherwise, given the remote per-item roots, which items differ."""
    local_root = tree.merkle_root
    if remote_root.lower() == local_root:
        return SyncComparison(True, local_root, remote_root)
    if not remote_items:
        return SyncComparison(False, local_root, remote_root)
    local = {entry.dfid: entry.merkle_root for entry in tree.items}
    remote = {entry["dfid"]: entry["merkle_root"].lower() for entry in remote_items}
    return SyncComparison(
        False,
        local_root,
        remote_root,
        local_only=tuple(sorted(set(local) - set(remote))),
        remote_only=tuple(sorted(set(remote) - set(local))),
        modified=tuple(sorted(d for d in set(local) & set(remote) if local[d] != remote[d])),
    )
