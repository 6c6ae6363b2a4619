"""Writes: taking snapshots of items and circuits, and scheduling them off the request.

``snapshot_take`` builds the canonical document of an entity, stores its bytes through the
entity's adapter and records it as the next version of its chain. The chain is extended under
a per-chain lock (PostgreSQL advisory lock held until the transaction ends), so two takers of
the same chain never both read the same head: each new snapshot names the one before it.

An item's snapshot also gets the item's next timeline sequence (``item_cid_timeline``) and
maps the events first appearing in it (``event_cid_mapping``); a snapshot stored through a
Stellar adapter is anchored there, and the anchor is recorded on the snapshot, its timeline
entry and the network's progress (``snapshot_anchor_record``).

Pushes, enrichments, status changes and EPCIS captures do not take snapshots inside the
request: ``snapshots_schedule`` enqueues one background task per write once it has committed
(``items.snapshots.tasks.snapshots_take_requested``, run by ``manage.py db_worker``), so a bulk
write of a thousand items costs one enqueued task; a capture naming items enqueues one
``snapshots_take_captured`` naming only the capture (``snapshots_schedule_for_capture``).

Document formats: ``defarm-snapshot/1`` (snapshots taken before captured EPCIS events joined
them) and ``defarm-snapshot/2``, whose item documents add ``epcis_events``. A stored snapshot
is never rewritten: its bytes, CID and ``state`` stay those of its own format.
"""

import hashlib
import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from adapters import registry
from adapters.backends import (
    AdapterNotConfigured,
    ContentIntegrityFailed,
    StorageFailed,
    UnavailableStorageAdapter,
    canonical_json_bytes,
)
from adapters.cid import cid_v1_raw
from adapters.selectors import storage_adapter_for, storage_history_primary
from defarm.timeutils import unix_now
from items.snapshots.models import (
    BlockchainIndexingProgress,
    EventCidMapping,
    ItemCidTimeline,
    Snapshot,
    SnapshotEntityType,
    SnapshotOperation,
    TimelineNetwork,
)

logger = logging.getLogger("defarm.snapshots")

DOCUMENT_FORMAT = "defarm-snapshot/2"
SYSTEM = "system"


# --- Documents ----------------------------------------------------------------------------------


def event_hash(event: dict[str, Any]) -> str:
    """SHA-256 (hex) of an event's canonical JSON (event_id, event_type, timestamp, metadata):
    whoever reads the event can recompute it."""
    return hashlib.sha256(
        canonical_json_bytes(
            {
                "event_id": event["event_id"],
                "event_type": event["event_type"],
                "timestamp": event["timestamp"],
                "metadata": event.get("metadata"),
            }
        )
    ).hexdigest()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def captured_event_entry(event) -> dict[str, Any]:
    """A captured EPCIS event in a snapshot: its ``eventID``, type, event time (UTC) and its
    standard EPCIS event hash (``ni:///sha-256;...?ver=CBV2.0``, over the event as captured),
    which anyone holding the event recomputes with the reference implementation."""
    from items.epcis.event_hash import event_hash as epcis_event_hash

    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "event_time": _utc(event.event_time),
        "epcis_event_hash": epcis_event_hash(event.event, context=event.context),
    }


def item_snapshot_body(*, item, circuit_id: str | None) -> dict[str, Any]:
    """The item's identity, identifiers, data, the hashes of its public events (oldest first)
    and of the captured EPCIS events that everyone sees through the item (in ``eventTime``
    order); as circuit ``circuit_id`` holds it when given, otherwise its creator's layer.

    Snapshot bytes may be read by others (IPFS, public chains), so they hold only what is
    public: DeFarm's Public events (of the parties whose layers the circuit shares, for a
    circuit's chain) and the captured events a circuit anyone may read publishes through the
    item, its capturer a member (of the chain's circuit too, for a circuit's chain)."""
    from adapters.services import item_storage_snapshot
    from items.epcis.selectors import item_captured_events_public

    content = item_storage_snapshot(item=item, circuit_id=circuit_id)
    events = content.pop("events")
    captured = item_captured_events_public(dfid=item.dfid, circuit_id=circuit_id)
    return {
        **content,
        "events": [
            {
                "event_id": event["event_id"],
                "event_type": event["event_type"],
                "timestamp": event["timestamp"],
                "hash": event_hash(event),
            }
            for event in events
        ],
        "epcis_events": [
            captured_event_entry(event)
            for event in captured.only("event_id", "event_type", "event_time", "event", "context")
        ],
    }


def circuit_snapshot_body(*, circuit) -> dict[str, Any]:
    """The circuit's identity, settings, members (user id and role) and items (sorted)."""
    from adapters.services import circuit_adapter_type
    from circuits.models import CircuitItem, CircuitMember

    members = CircuitMember.objects.filter(circuit=circuit).values_list("member_id", "role")
    items = CircuitItem.objects.filter(circuit=circuit).values_list("item_id", "added_at_ts")
    return {
        "circuit_id": str(circuit.circuit_id),
        "name": circuit.name,
        "description": circuit.description,
        "status": circuit.status,
        "owner_id": circuit.owner_id,
        "adapter_type": circuit_adapter_type(circuit),
        "permissions": circuit.permissions or {},
        "members": [
            {"user_id": user_id, "role": role} for user_id, role in sorted(members.order_by())
        ],
        "items": [
            {"dfid": dfid, "added_at": added_at} for dfid, added_at in sorted(items.order_by())
        ],
    }


def snapshot_document(
    *,
    entity_type: str,
    entity_id: str,
    scope: str,
    version: int,
    previous_cid: str | None,
    operation: str,
    taken_at: int,
    body: dict[str, Any],
) -> dict[str, Any]:
    return {
        "format": DOCUMENT_FORMAT,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "circuit_id": scope or None,
        "version": version,
        "previous_cid": previous_cid,
        "operation": operation,
        "taken_at": taken_at,
        entity_type: body,
    }


# --- Where snapshots are stored -----------------------------------------------------------------


def _content_adapter_type(adapter_type: str) -> str:
    """``adapter_type`` when it stores content; ``local`` for ``none`` (a snapshot is always
    kept somewhere it can be read back from)."""
    if adapter_type == registry.NONE or not registry.adapter_type_is_known(adapter_type):
        return registry.LOCAL
    return adapter_type


def snapshot_adapter_type(*, entity, entity_type: str, scope: str) -> str:
    """The adapter of a chain: the circuit's for a circuit and for an item as a circuit holds
    it; for an item's own data, the adapter of its primary storage location (``local`` when it
    has none)."""
    from adapters.services import circuit_adapter_type
    from circuits.models import Circuit

    if entity_type == SnapshotEntityType.CIRCUIT:
        return _content_adapter_type(circuit_adapter_type(entity))
    if scope:
        circuit = Circuit.objects.filter(pk=scope).only("adapter_config").first()
        return _content_adapter_type(circuit_adapter_type(circuit) if circuit else registry.NONE)
    primary = storage_history_primary(item=entity)
    return _content_adapter_type(primary.adapter_type if primary else registry.NONE)


# --- Taking snapshots ---------------------------------------------------------------------------


def _lock_chain(*, entity_type: str, entity_id: str, scope: str) -> None:
    """Serialise the extension of one chain until the transaction ends (PostgreSQL); SQLite
    runs one writing transaction at a time."""
    if connection.vendor != "postgresql":
        return
    key = f"snapshot-chain:{entity_type}:{entity_id}:{scope}".encode()
    lock_id = int.from_bytes(hashlib.sha256(key).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def _load_entity(*, entity_type: str, entity_id: str):
    from circuits.models import Circuit
    from items.models import Item

    if entity_type == SnapshotEntityType.CIRCUIT:
        return Circuit.objects.filter(pk=entity_id).first()
    return Item.objects.filter(pk=entity_id).prefetch_related("identifiers").first()


def chain_head(*, entity_type: str, entity_id: str, scope: str = "") -> Snapshot | None:
    return (
        Snapshot.objects.filter(entity_type=entity_type, entity_id=entity_id, scope=scope)
        .order_by("-version")
        .first()
    )


def snapshot_take(
    *,
    entity_type: str,
    entity_id: str,
    scope: str = "",
    operation: str,
    operation_details: dict[str, Any] | None = None,
    created_by: str = SYSTEM,
    message: str | None = None,
) -> Snapshot:
    """Take the next snapshot of a chain: the entity's canonical document, naming the CID of
    the chain's previous snapshot, stored through the chain's adapter.

    Raises LookupError when the entity no longer exists, AdapterNotConfigured / StorageFailed
    when the adapter cannot store (nothing is recorded then).
    """
    snapshot = _chain_extend(
        entity_type=entity_type,
        entity_id=entity_id,
        scope=scope,
        operation=operation,
        operation_details=operation_details,
        created_by=created_by,
        message=message,
    )
    assert snapshot is not None
    return snapshot


def _captured_entries(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The captured events an item document holds (none in ``defarm-snapshot/1``)."""
    return ((document or {}).get(SnapshotEntityType.ITEM) or {}).get("epcis_events") or []


def item_snapshot_take_if_captured_events_changed(
    *,
    dfid: str,
    scope: str = "",
    operation_details: dict[str, Any] | None = None,
    created_by: str = SYSTEM,
) -> Snapshot | None:
    """The next snapshot of item ``dfid``'s chain ``scope`` after a capture, taken only when
    the captured events it shows differ from those of the chain's head: a capture whose events
    no snapshot may show (or whose events an earlier snapshot already took in) takes none.
    Decided under the chain's lock, so two captures racing for one item extend it once."""
    return _chain_extend(
        entity_type=SnapshotEntityType.ITEM,
        entity_id=dfid,
        scope=scope,
        operation=SnapshotOperation.EPCIS_EVENTS_CAPTURED,
        operation_details=operation_details,
        created_by=created_by,
        message=None,
        only_if_captured_events_changed=True,
    )


@transaction.atomic
def _chain_extend(
    *,
    entity_type: str,
    entity_id: str,
    scope: str,
    operation: str,
    operation_details: dict[str, Any] | None,
    created_by: str,
    message: str | None,
    only_if_captured_events_changed: bool = False,
) -> Snapshot | None:
    if entity_type == SnapshotEntityType.CIRCUIT and scope:
        raise ValueError("A circuit's snapshots have no scope.")
    entity = _load_entity(entity_type=entity_type, entity_id=entity_id)
    if entity is None:
        raise LookupError(f"No {entity_type} {entity_id}.")
    _lock_chain(entity_type=entity_type, entity_id=entity_id, scope=scope)
    previous = chain_head(entity_type=entity_type, entity_id=entity_id, scope=scope)
    version = previous.version + 1 if previous else 1
    taken_at = unix_now()
    if entity_type == SnapshotEntityType.CIRCUIT:
        body = circuit_snapshot_body(circuit=entity)
    else:
        body = item_snapshot_body(item=entity, circuit_id=scope or None)
        if only_if_captured_events_changed and body["epcis_events"] == _captured_entries(
            previous.state if previous else None
        ):
            return None
    document = snapshot_document(
        entity_type=entity_type,
        entity_id=entity_id,
        scope=scope,
        version=version,
        previous_cid=previous.cid if previous else None,
        operation=operation,
        taken_at=taken_at,
        body=body,
    )
    data = canonical_json_bytes(document)
    adapter_type = snapshot_adapter_type(entity=entity, entity_type=entity_type, scope=scope)
    backend = storage_adapter_for(adapter_type=adapter_type)
    if isinstance(backend, UnavailableStorageAdapter) or backend is None:
        reason = getattr(backend, "reason", "The adapter stores nothing.")
        raise AdapterNotConfigured(reason, details={"adapter_type": adapter_type})
    location = backend.store(data)
    snapshot = Snapshot.objects.create(
        snapshot_id=hashlib.sha256(data).hexdigest(),
        cid=cid_v1_raw(data),
        entity_type=entity_type,
        entity_id=entity_id,
        scope=scope,
        version=version,
        parent=previous,
        operation=operation,
        operation_details=operation_details or {},
        state=document,
        size_bytes=len(data),
        adapter_type=adapter_type,
        storage_location=location,
        created_by=created_by,
        message=message,
        taken_at_ts=taken_at,
        created_at=timezone.now(),
    )
    if entity_type == SnapshotEntityType.ITEM:
        timeline_entry_append(snapshot=snapshot)
    anchor = location.get("Stellar") if isinstance(location, dict) else None
    if anchor and anchor.get("transaction_id"):
        snapshot_anchor_record(
            snapshot=snapshot,
            network=f"stellar-{anchor.get('network')}",
            transaction_hash=str(anchor["transaction_id"]),
            ledger_timestamp=taken_at,  # the ledger closed as the submission returned
            ledger=anchor.get("ledger"),
        )
    return snapshot


# --- Scheduling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRequest:
    """One snapshot to take later; plain values only (it travels as the task's argument)."""

    entity_type: str
    entity_id: str
    operation: str
    scope: str = ""
    created_by: str = SYSTEM
    operation_details: dict[str, Any] = field(default_factory=dict)
    message: str | None = None


def _enqueue(requests: list[dict[str, Any]]) -> None:
    from items.snapshots.tasks import snapshots_take_requested

    snapshots_take_requested.enqueue(requests)


def snapshots_schedule(*, requests: list[SnapshotRequest]) -> None:
    """Take ``requests`` in the background once the current transaction commits (at once
    when there is none); one task for all of them."""
    if not requests:
        return
    payload = [asdict(request) for request in requests]
    transaction.on_commit(lambda: _enqueue(payload))


def snapshots_schedule_for_capture(*, capture_id: str, created_by: str) -> None:
    """After capture ``capture_id`` stored events naming items: once the transaction commits,
    queue one task (``snapshots_take_captured``) for the capture. The payload is the capture
    alone (the worker reads which items its events name), so queuing it costs the capture one
    small insert after commit, whatever the number of events and items."""

    def enqueue() -> None:
        from items.snapshots.tasks import snapshots_take_captured

        snapshots_take_captured.enqueue(capture_id, created_by)

    transaction.on_commit(enqueue)


def snapshots_take_captured(*, capture_id: str, created_by: str) -> list[Snapshot]:
    """The snapshots of the items the events of capture ``capture_id`` name, taken by the
    worker: each item's own chain and its chain in each circuit holding it that the capturer
    is a member of (``_capture_requests_expanded``), each only where the captured events it
    shows change: a capture no snapshot may show takes none."""
    from items.epcis.selectors import capture_item_ids

    return snapshots_take_requested(
        requests=[
            asdict(
                SnapshotRequest(
                    entity_type=SnapshotEntityType.ITEM,
                    entity_id=dfid,
                    operation=SnapshotOperation.EPCIS_EVENTS_CAPTURED,
                    created_by=created_by,
                    operation_details={"capture_id": capture_id},
                )
            )
            for dfid in capture_item_ids(capture_id=capture_id)
        ]
    )


def _capture_requests_expanded(requests: list[SnapshotRequest]) -> list[SnapshotRequest]:
    """Each capture request for an item's own chain, followed by one for the item's chain in
    each circuit holding it that the capturer is a member of (the chains that may show the
    capturer's events); other requests as they are. One read for all of them."""
    from circuits.models import CircuitItem

    captured = [
        request
        for request in requests
        if request.operation == SnapshotOperation.EPCIS_EVENTS_CAPTURED and not request.scope
    ]
    if not captured:
        return requests
    holdings = CircuitItem.objects.filter(
        item_id__in={request.entity_id for request in captured},
        circuit__members__member_id__in={request.created_by for request in captured},
    ).values_list("item_id", "circuit_id", "circuit__members__member_id")
    scopes: dict[tuple[str, str], list[str]] = {}
    for dfid, circuit_id, member_id in holdings.order_by("item_id", "circuit_id"):
        scopes.setdefault((dfid, member_id), []).append(str(circuit_id))
    captured_ids = {id(request) for request in captured}
    expanded: list[SnapshotRequest] = []
    for request in requests:
        expanded.append(request)
        if id(request) in captured_ids:
            expanded += [
                replace(request, scope=scope)
                for scope in scopes.get((request.entity_id, request.created_by), [])
            ]
    return expanded


def _request_take(request: SnapshotRequest) -> Snapshot | None:
    if request.operation == SnapshotOperation.EPCIS_EVENTS_CAPTURED:
        return item_snapshot_take_if_captured_events_changed(
            dfid=request.entity_id,
            scope=request.scope,
            operation_details=request.operation_details,
            created_by=request.created_by,
        )
    return snapshot_take(
        entity_type=request.entity_type,
        entity_id=request.entity_id,
        scope=request.scope,
        operation=request.operation,
        operation_details=request.operation_details,
        created_by=request.created_by,
        message=request.message,
    )


def snapshots_take_requested(*, requests: list[dict[str, Any]]) -> list[Snapshot]:
    """Take each requested snapshot in its own transaction. One that cannot be taken (entity
    gone, adapter failing) is logged and skipped; the others are still taken. A capture's
    request that changes nothing a snapshot shows takes none."""
    from audit.services import log_write

    taken = []
    for request in _capture_requests_expanded([SnapshotRequest(**raw) for raw in requests]):
        try:
            snapshot = _request_take(request)
            if snapshot is not None:
                taken.append(snapshot)
        except LookupError:
            continue
        except (AdapterNotConfigured, StorageFailed) as error:
            logger.error(
                "Snapshot of %s %s failed: %s", request.entity_type, request.entity_id, error
            )
            log_write(
                level="ERROR",
                engine="snapshots",
                event_type="snapshot_failed",
                message=f"Snapshot of {request.entity_type} {request.entity_id} failed: {error}",
                context={
                    "entity_type": request.entity_type,
                    "entity_id": request.entity_id,
                    "circuit_id": request.scope or None,
                    "operation": request.operation,
                    "error": getattr(error, "error_code", "storage_failed"),
                },
            )
    return taken


# Events after which an item's own chain gets a snapshot, and the operation each one is.
_EVENT_OPERATIONS = {
    "Enriched": SnapshotOperation.ITEM_ENRICHED,
    "Updated": SnapshotOperation.ITEM_ENRICHED,
    "StatusChanged": SnapshotOperation.ITEM_STATUS_CHANGED,
    "Merged": SnapshotOperation.ITEM_MERGED,
    "Split": SnapshotOperation.ITEM_SPLIT,
}


def snapshots_schedule_for_events(*, events) -> None:
    """Schedule a snapshot of each item's own data whose public events include an enrichment
    or a status change (one per item). A contributor's private layer changes no snapshot."""
    from items.models import EventVisibility

    requests: dict[str, SnapshotRequest] = {}
    for event in events:
        operation = _EVENT_OPERATIONS.get(event.event_type)
        if operation is None or event.visibility != EventVisibility.PUBLIC or not event.item_id:
            continue
        if event.item_id in requests:
            continue
        details = {"event_id": str(event.event_id), "event_type": event.event_type}
        if event.event_type == "StatusChanged":
            details["to"] = (event.metadata or {}).get("to")
        requests[event.item_id] = SnapshotRequest(
            entity_type=SnapshotEntityType.ITEM,
            entity_id=event.item_id,
            operation=operation,
            created_by=event.created_by_id or SYSTEM,
            operation_details=details,
        )
    snapshots_schedule(requests=list(requests.values()))


# --- The timeline -------------------------------------------------------------------------------


def _lock_timeline(dfid: str) -> None:
    """Serialise sequence numbering of one item's timeline until the transaction ends."""
    if connection.vendor != "postgresql":
        return
    key = f"item-timeline:{dfid}".encode()
    lock_id = int.from_bytes(hashlib.sha256(key).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def timeline_network_of(adapter_type: str) -> str:
    """Where a snapshot's CID lives before any anchoring: the local store or IPFS."""
    return TimelineNetwork.LOCAL if adapter_type == registry.LOCAL else TimelineNetwork.IPFS


@transaction.atomic
def timeline_entry_append(*, snapshot: Snapshot) -> ItemCidTimeline:
    """Give a stored snapshot of an item the item's next timeline sequence number, and record
    the events that first appear in it (``event_cid_mapping``)."""
    dfid = snapshot.entity_id
    _lock_timeline(dfid)
    last = (
        ItemCidTimeline.objects.filter(dfid=dfid)
        .order_by("-event_sequence")
        .values_list("event_sequence", flat=True)
        .first()
    )
    entry = ItemCidTimeline.objects.create(
        dfid=dfid,
        cid=snapshot.cid,
        event_sequence=(last or 0) + 1,
        blockchain_timestamp=0,
        ipcm_transaction_hash="",
        network=timeline_network_of(snapshot.adapter_type),
        created_at=timezone.now(),
    )
    events = (snapshot.state.get("item") or {}).get("events") or []
    EventCidMapping.objects.bulk_create(
        [
            EventCidMapping(
                event_id=event["event_id"],
                dfid=dfid,
                first_cid=snapshot.cid,
                appeared_in_sequence=entry.event_sequence,
            )
            for event in events
        ],
        ignore_conflicts=True,
    )
    return entry


@transaction.atomic
def snapshot_anchor_record(
    *,
    snapshot: Snapshot,
    network: str,
    transaction_hash: str,
    ledger_timestamp: int,
    ledger: int | None = None,
) -> Snapshot:
    """Record that ``snapshot``'s CID was anchored on ``network`` (``stellar-testnet`` or
    ``stellar-mainnet``) by ``transaction_hash``: on the snapshot, on its timeline entry, and in
    the network's indexing progress."""
    if network not in TimelineNetwork.INDEXED:
        raise ValueError(f"Unknown anchoring network {network!r}.")
    snapshot.network = network
    snapshot.blockchain_tx = transaction_hash
    snapshot.save(update_fields=["network", "blockchain_tx"])
    ItemCidTimeline.objects.filter(dfid=snapshot.entity_id, cid=snapshot.cid).update(
        network=network,
        ipcm_transaction_hash=transaction_hash,
        blockchain_timestamp=ledger_timestamp,
    )
    progress, _ = BlockchainIndexingProgress.objects.select_for_update().get_or_create(
        network=network
    )
    now = timezone.now()
    progress.total_events_indexed = (progress.total_events_indexed or 0) + 1
    progress.last_indexed_at = now
    progress.status = "active"
    if ledger is not None:
        progress.last_indexed_ledger = max(progress.last_indexed_ledger, ledger)
        progress.last_confirmed_ledger = max(progress.last_confirmed_ledger, ledger)
    progress.save()
    return snapshot


# --- Content retrieval --------------------------------------------------------------------------


def snapshot_content_get(*, snapshot: Snapshot) -> bytes:
    """The stored bytes of ``snapshot``, read back through its adapter and checked against its
    CID: altered or missing bytes raise (StorageFailed, ContentIntegrityFailed), never return."""
    backend = storage_adapter_for(adapter_type=snapshot.adapter_type)
    if backend is None or isinstance(backend, UnavailableStorageAdapter):
        reason = getattr(backend, "reason", "The adapter stores nothing.")
        raise AdapterNotConfigured(reason, details={"adapter_type": snapshot.adapter_type})
    data = backend.retrieve(snapshot.storage_location)
    if cid_v1_raw(data) != snapshot.cid:
        raise ContentIntegrityFailed(
            f"The content stored for {snapshot.cid} does not match its CID.",
            details={"cid": snapshot.cid, "adapter_type": snapshot.adapter_type},
        )
    return data
