"""Events: facts about a DFID, deduplicated by a content hash (same DFID, type, source and
metadata give the same event)."""

import hashlib
import json
from collections import namedtuple
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework import exceptions

from accounts.models import User
from defarm.timeutils import unix_now
from items.models import Event, EventType, EventVisibility, Item
from items.services.activity import event_activity_record
from items.services.rows import rows_insert, uuid4s


def event_content_hash(
    *, dfid: str | None, event_type: str, source: str, metadata: dict[str, Any] | None
) -> str:
    content = json.dumps(
        [dfid, event_type, source or "", metadata or {}],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


# The one fact without which a farm event says nothing: (metadata key, check, description).
FARM_EVENT_REQUIRED_METADATA: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    EventType.VACCINATED: ("vaccine", _text, "the vaccine given"),
    EventType.WEIGHED: ("weight_kg", _positive_number, "the weight in kg, a positive number"),
    EventType.MOVED: ("transport_document", _text, "the transport document (e.g. the GTA)"),
}


@dataclass
class EventDraft:
    """An event to write in bulk with ``events_record_many``."""

    item: Item
    event_type: str
    user: User | None = None
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    visibility: str = EventVisibility.PUBLIC


# ``Choices.values`` builds a new list on every access: looked up once per process.
_EVENT_TYPES = frozenset(EventType.values)
_VISIBILITIES = frozenset(EventVisibility.values)


def _validate(*, event_type: str, visibility: str, metadata: dict[str, Any]) -> None:
    if event_type not in _EVENT_TYPES:
        raise exceptions.ValidationError(
            {"event_type": [f"Unknown event type '{event_type}'."]}, code="invalid"
        )
    if visibility not in _VISIBILITIES:
        raise exceptions.ValidationError(
            {"visibility": [f"Unknown visibility '{visibility}'."]}, code="invalid"
        )
    if visibility == EventVisibility.CIRCUIT_ONLY and not metadata.get("circuit_id"):
        raise exceptions.ValidationError(
            {"metadata": ["A CircuitOnly event names its circuit in metadata.circuit_id."]}
        )
    required = FARM_EVENT_REQUIRED_METADATA.get(event_type)
    if required is not None:
        name, check, description = required
        if not check(metadata.get(name)):
            raise exceptions.ValidationError(
                {"metadata": [f"A {event_type} event gives metadata.{name}: {description}."]}
            )


def _stored_metadata(metadata: dict[str, Any], source: str) -> dict[str, Any]:
    return {**metadata, "source": source} if source else dict(metadata)


def event_author_check(*, user: User, item: Item) -> None:
    """Adding an event to an item is writing to it: its owner may, and a member holding Push
    in a circuit that holds it. Seeing the item through Pull only (or as staff) is reading:
    403."""
    from circuits.models import CircuitItem, CircuitMember
    from circuits.permissions import Permission

    if item.created_by_id == user.pk:
        return
    holding_circuits = CircuitItem.objects.filter(item=item).values("circuit_id")
    owns_a_holder = CircuitItem.objects.filter(item=item, circuit__owner=user).exists()
    may_push = any(
        Permission.PUSH in (permissions or [])
        for permissions in CircuitMember.objects.filter(
            member=user, circuit_id__in=holding_circuits
        ).values_list("permissions", flat=True)
    )
    if not (owns_a_holder or may_push):
        raise exceptions.PermissionDenied(
            "Only the item's owner or a member holding Push in a circuit that holds the item "
            "may add events to it."
        )


def _snapshots_schedule(*, events: list[Event]) -> None:
    """Enrichments and status changes give the item a new snapshot, taken once the write has
    committed (``items.snapshots.services``)."""
    from items.snapshots.services import snapshots_schedule_for_events

    snapshots_schedule_for_events(events=events)


def event_submit(
    *,
    item: Item | None,
    event_type: str,
    user: User | None = None,
    source: str = "",
    metadata: dict[str, Any] | None = None,
    visibility: str = EventVisibility.PUBLIC,
) -> tuple[Event, bool]:
    """A user's event (the API): recorded like ``event_record``, and a new one is written
    to the user's activity."""
    event, created = _event_write(
        item=item,
        event_type=event_type,
        user=user,
        source=source,
        metadata=metadata,
        visibility=visibility,
    )
    if created and user is not None:
        event_activity_record(
            user=user,
            event_id=str(event.event_id),
            dfid=item.dfid if item else None,
            event_type=event_type,
        )
    return event, created


def _event_write(
    *,
    item: Item | None,
    event_type: str,
    user: User | None = None,
    source: str = "",
    metadata: dict[str, Any] | None = None,
    visibility: str = EventVisibility.PUBLIC,
) -> tuple[Event, bool]:
    """Record an event; returns ``(event, created)``, the existing one when identical."""
    metadata = dict(metadata or {})
    _validate(event_type=event_type, visibility=visibility, metadata=metadata)
    content_hash = event_content_hash(
        dfid=item.dfid if item else None, event_type=event_type, source=source, metadata=metadata
    )
    existing = Event.objects.filter(content_hash=content_hash).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            event = Event.objects.create(
                item=item,
                event_type=event_type,
                metadata=_stored_metadata(metadata, source),
                visibility=visibility,
                created_by=user,
                content_hash=content_hash,
            )
    except IntegrityError:  # the same event was recorded concurrently
        return Event.objects.get(content_hash=content_hash), False
    _snapshots_schedule(events=[event])
    return event, True


def event_record(
    *,
    item: Item | None,
    event_type: str,
    user: User | None = None,
    source: str = "",
    metadata: dict[str, Any] | None = None,
    visibility: str = EventVisibility.PUBLIC,
) -> Event:
    """Record an event about ``item``; an identical event already recorded is returned."""
    event, _ = _event_write(
        item=item,
        event_type=event_type,
        user=user,
        source=source,
        metadata=metadata,
        visibility=visibility,
    )
    return event


EVENT_FIELDS = (
    "event_id",
    "item_id",
    "event_type",
    "timestamp",
    "metadata",
    "visibility",
    "created_by_id",
    "content_hash",
)


# An event ``events_record_many`` wrote, as the snapshot scheduling reads it (the attributes
# of an ``Event``; a model instance for each of thousands of rows would cost more than its row).
_WrittenEvent = namedtuple("_WrittenEvent", EVENT_FIELDS)


def events_record_many(*, drafts: Iterable[EventDraft]) -> list[str]:
    """Write many events in one statement, skipping those already recorded (by content
    hash, also against a concurrent writer); answers the content hashes written."""
    by_hash: dict[str, tuple[Any, ...]] = {}
    now = unix_now()
    drafts = list(drafts)
    for draft, event_id in zip(drafts, uuid4s(len(drafts)), strict=True):
        _validate(event_type=draft.event_type, visibility=draft.visibility, metadata=draft.metadata)
        content_hash = event_content_hash(
            dfid=draft.item.dfid,
            event_type=draft.event_type,
            source=draft.source,
            metadata=draft.metadata,
        )
        if content_hash in by_hash:
            continue
        by_hash[content_hash] = (
            event_id,
            draft.item.dfid,
            draft.event_type,
            now,
            _stored_metadata(draft.metadata, draft.source),
            draft.visibility,
            draft.user.pk if draft.user is not None else None,
            content_hash,
        )
    written = rows_insert(
        model=Event,
        fields=EVENT_FIELDS,
        rows=list(by_hash.values()),
        conflict_target="content_hash",
        returning="content_hash",
    )
    _snapshots_schedule(events=[_WrittenEvent(*by_hash[key]) for key in written])
    return written


@transaction.atomic
def event_metadata_add(*, user: User, event: Event, metadata: dict[str, Any]) -> Event:
    """Merge ``metadata`` into the event's (later keys win). Only the event's creator and
    staff add to it (403 for others who see it); its content hash stays the one it was
    recorded with."""
    if not user.is_admin and event.created_by_id != user.pk:
        raise exceptions.PermissionDenied("Only the creator of an event adds metadata to it.")
    if not isinstance(metadata, dict):
        raise exceptions.ValidationError({"metadata": ["Metadata is a JSON object."]})
    event = Event.objects.select_for_update().get(pk=event.pk)
    event.metadata = {**(event.metadata or {}), **metadata}
    event.save(update_fields=["metadata"])
    return event
