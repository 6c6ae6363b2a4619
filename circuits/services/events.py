"""Pushing a member's local events into a circuit: each names the circuit's item from then on.

A local event (``POST /api/events/local``) has no item yet. ``circuit_push_events`` links
several of the caller's local events to one item of the circuit, with the rules of recording
an event about that item (``POST /api/events``): the caller holds Push in the circuit, sees
the item and may write to it (``event_author_check``: seeing it through Pull only is 403), the
event's content hash is recomputed with the DFID, and an event already recorded with the same
DFID, type, source and metadata deduplicates it (the local event then stays local). Recording
an event costs no credits, pushed or not. The linked event's metadata names the circuit
(``circuit_id``); a CircuitOnly event must already name this circuit.

Each local event gets its own result; one that cannot be pushed (unknown id, not the
caller's, already pushed, CircuitOnly for another circuit) is reported and the others go on.
The writes are set-based: one read of the local events, one of the content hashes already
recorded and one ``UPDATE ... FROM unnest(...)`` on PostgreSQL (``bulk_update`` elsewhere),
under the item's row lock so two pushes of the same content cannot both create it.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from rest_framework import exceptions

from accounts.models import User
from circuits.models import Circuit, CircuitItem
from circuits.services.circuits import circuit_require_active
from defarm.api.exceptions import ApiError
from items.models import Event, EventVisibility, Item
from items.selectors import item_is_visible_to
from items.services import event_author_check
from items.services.events import event_content_hash

PUSH_EVENTS_MAX = 10_000


@dataclass(frozen=True)
class PushedEvent:
    local_event_id: str
    event_id: str
    dfid: str
    was_deduplicated: bool
    original_event_id: str | None


@dataclass(frozen=True)
class EventPushFailure:
    local_event_id: str
    error: exceptions.APIException


@dataclass
class PushEventsResult:
    circuit: Circuit
    pushed: list[PushedEvent] = field(default_factory=list)
    failed: list[EventPushFailure] = field(default_factory=list)


@dataclass(frozen=True)
class LocalEvent:
    event_id: uuid.UUID
    event_type: str
    metadata: dict[str, Any] | None
    visibility: str


def _hashed_content(event: LocalEvent) -> tuple[str, dict[str, Any]]:
    """The source and metadata an event's content hash was computed from (recording stores
    the source inside the metadata)."""
    stored = dict(event.metadata or {})
    source = stored.pop("source", "")
    return (source if isinstance(source, str) else str(source)), stored


def circuit_push_events(
    *, circuit: Circuit, user: User, dfid: str, local_event_ids: list[str]
) -> PushEventsResult:
    """Link ``local_event_ids`` (the caller's local events) to the circuit's item ``dfid``;
    results in the order sent. The caller's Push permission is checked by the view that
    resolved ``circuit``; an inactive or archived circuit takes no push (409)."""
    if len(local_event_ids) > PUSH_EVENTS_MAX:
        raise exceptions.ValidationError(
            {"local_event_ids": [f"At most {PUSH_EVENTS_MAX} events."]}
        )
    circuit_require_active(circuit=circuit)
    item = Item.objects.filter(dfid=dfid).first()  # what item_get_visible checks, no views
    if item is None or not item_is_visible_to(user=user, item=item):
        raise exceptions.NotFound(f"Item {dfid} not found.")
    event_author_check(user=user, item=item)
    if not CircuitItem.objects.filter(circuit=circuit, item=item).exists():
        raise ApiError(
            f"Item {item.pk} is not in the circuit.", code="item_not_in_circuit", status_code=404
        )
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _push_events(
                    circuit=circuit, user=user, item=item, local_event_ids=local_event_ids
                )
        except IntegrityError:  # the same content was recorded concurrently (POST /api/events)
            if attempt:
                raise
    raise AssertionError("unreachable")


def _push_events(
    *, circuit: Circuit, user: User, item: Item, local_event_ids: list[str]
) -> PushEventsResult:
    Item.objects.select_for_update().filter(pk=item.pk).values_list("pk").first()
    result = PushEventsResult(circuit=circuit)
    ids: list[uuid.UUID | None] = []
    for raw in local_event_ids:
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            ids.append(None)
    local = {
        row[0]: LocalEvent(*row)
        for row in _local_events_read(
            user=user, event_ids=list({event_id for event_id in ids if event_id is not None})
        )
    }
    circuit_id = str(circuit.pk)
    linking: dict[uuid.UUID, str] = {}  # event id -> its content hash with the DFID
    wanted: dict[str, uuid.UUID] = {}  # content hash -> the first local event carrying it
    outcome: list[tuple[str, uuid.UUID | None, exceptions.APIException | None]] = []
    for raw, event_id in zip(local_event_ids, ids, strict=True):
        if event_id is None:
            failure = exceptions.ValidationError({"local_event_id": ["Not a UUID."]})
            outcome.append((str(raw), None, failure))
            continue
        event = local.get(event_id)
        if event is None or event_id in linking:
            outcome.append((str(raw), None, exceptions.NotFound("Local event not found.")))
            continue
        source, metadata = _hashed_content(event)
        if (
            event.visibility == EventVisibility.CIRCUIT_ONLY
            and metadata.get("circuit_id") != circuit_id
        ):
            failure = exceptions.ValidationError(
                {"metadata": ["A CircuitOnly event is pushed only to the circuit it names."]}
            )
            outcome.append((str(raw), None, failure))
            continue
        content_hash = event_content_hash(
            dfid=item.pk, event_type=event.event_type, source=source, metadata=metadata
        )
        wanted.setdefault(content_hash, event_id)
        linking[event_id] = content_hash
        outcome.append((str(raw), event_id, None))
    recorded = _recorded_hashes(content_hashes=list(wanted))
    updates = [
        (event_id, content_hash)
        for event_id, content_hash in linking.items()
        if content_hash not in recorded and wanted[content_hash] == event_id
    ]
    _events_link(dfid=item.pk, circuit_id=circuit_id, updates=updates)
    _snapshots_schedule(item=item, user=user, local=local, event_ids=[row[0] for row in updates])
    for raw, event_id, failure in outcome:
        if failure is not None:
            result.failed.append(EventPushFailure(local_event_id=raw, error=failure))
            continue
        content_hash = linking[event_id]
        original = recorded.get(content_hash)
        if original is None and wanted[content_hash] != event_id:
            original = wanted[content_hash]  # the same content earlier in this push
        result.pushed.append(
            PushedEvent(
                local_event_id=str(event_id),
                event_id=str(original or event_id),
                dfid=item.pk,
                was_deduplicated=original is not None,
                original_event_id=str(original) if original is not None else None,
            )
        )
    return result


def _snapshots_schedule(
    *, item: Item, user: User, local: dict[uuid.UUID, "LocalEvent"], event_ids: list[uuid.UUID]
) -> None:
    """A linked Public event changes the item as recording it would (an enrichment or a status
    change gives the item a new snapshot after commit)."""
    from items.snapshots.services import snapshots_schedule_for_events

    snapshots_schedule_for_events(
        events=[
            Event(
                event_id=event_id,
                item_id=item.pk,
                event_type=local[event_id].event_type,
                metadata=local[event_id].metadata,
                visibility=local[event_id].visibility,
                created_by_id=user.pk,
            )
            for event_id in event_ids
            if local[event_id].visibility == EventVisibility.PUBLIC
        ]
    )


def _local_events_read(*, user: User, event_ids: list[uuid.UUID]) -> list[tuple]:
    """``(event_id, event_type, metadata, visibility)`` of those of ``event_ids`` that are
    local events of ``user``; on PostgreSQL one statement over an array of ids."""
    if connection.vendor != "postgresql":
        return list(
            Event.objects.filter(
                event_id__in=event_ids, item__isnull=True, created_by=user
            ).values_list("event_id", "event_type", "metadata", "visibility")
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_id, event_type, metadata, visibility FROM events "
            "WHERE event_id = ANY(%s::uuid[]) AND dfid IS NULL AND created_by = %s",
            [event_ids, user.pk],
        )
        return [
            (event_id, event_type, _json(metadata), visibility)
            for event_id, event_type, metadata, visibility in cursor.fetchall()
        ]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _recorded_hashes(*, content_hashes: list[str]) -> dict[str, uuid.UUID]:
    """The events already recorded under ``content_hashes``: hash -> event id."""
    if connection.vendor != "postgresql":
        return dict(
            Event.objects.filter(content_hash__in=content_hashes).values_list(
                "content_hash", "event_id"
            )
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT content_hash, event_id FROM events WHERE content_hash = ANY(%s::varchar[])",
            [content_hashes],
        )
        return dict(cursor.fetchall())


def _events_link(*, dfid: str, circuit_id: str, updates: list[tuple[uuid.UUID, str]]) -> None:
    """Give each local event its item and content hash, and name the circuit in its metadata,
    in one statement."""
    if not updates:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE events SET dfid = %s, content_hash = linked.content_hash,
                    metadata = coalesce(events.metadata, '{}'::jsonb) || %s::jsonb
                FROM unnest(%s::uuid[], %s::varchar[]) AS linked(event_id, content_hash)
                WHERE events.event_id = linked.event_id AND events.dfid IS NULL
                """,
                [
                    dfid,
                    json.dumps({"circuit_id": circuit_id}),
                    [event_id for event_id, _ in updates],
                    [content_hash for _, content_hash in updates],
                ],
            )
        return
    events = Event.objects.in_bulk([event_id for event_id, _ in updates])
    for event_id, content_hash in updates:
        event = events[event_id]
        event.item_id = dfid
        event.content_hash = content_hash
        event.metadata = {**(event.metadata or {}), "circuit_id": circuit_id}
    Event.objects.bulk_update(list(events.values()), ["item", "content_hash", "metadata"])
