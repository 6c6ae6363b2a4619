"""A DeFarm item's history as an EPCIS 2.0 document.

DeFarm's own events of the item become EPCIS events (creation as commissioning, circuit pushes
and pulls as shipping and receiving, merges and splits as transformations, status changes as
disposition changes, farm records as observations); the EPCIS events captured about the item's
GS1 keys follow as they were captured. DFIDs, circuits and registry identifiers are written as
URIs of DeFarm's own (``DEFARM_EPCIS_URI_BASE``)."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef

from accounts.models import User
from items.epcis.models import EpcisEvent, EpcisEventEpc
from items.epcis.selectors import events_visible_to as epcis_events_visible_to
from items.epcis.vocabulary import CONTEXT_URL
from items.models import Event, EventType, Item, ItemStatus
from items.selectors import events_visible_to

DEFARM_PREFIX = "defarm"


def _base() -> str:
    return settings.EPCIS_URI_BASE.rstrip("/")


def dfid_uri(dfid: str) -> str:
    return f"{_base()}/dfid/{dfid}"


def _namespace() -> str:
    return f"{_base()}/epcis/"


def _custom(kind: str, name: str) -> str:
    return f"{_base()}/epcis/{kind}/{name}"


# DeFarm event type -> (EPCIS bizStep, disposition); standard CBV names where one fits.
_FARM_STEPS: dict[str, tuple[str, str | None]] = {
    EventType.ENRICHED: ("enriching", None),
    EventType.UPDATED: ("updating", None),
    EventType.VACCINATED: ("vaccinating", None),
    EventType.WEIGHED: ("inspecting", None),
    EventType.MOVED: ("transporting", "in_transit"),
    EventType.SLAUGHTERED: ("killing", "inactive"),
    EventType.CERTIFIED: ("inspecting", "conformant"),
    EventType.SOLD: ("retail_selling", "retail_sold"),
}
_STANDARD_STEPS = {"inspecting", "transporting", "killing", "retail_selling"}
_STATUS_DISPOSITIONS = {
    ItemStatus.ACTIVE: "active",
    ItemStatus.DEPRECATED: "inactive",
    ItemStatus.MERGED: "inactive",
    ItemStatus.SPLIT: "inactive",
}


def _time(timestamp: int) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _item_epcs(item: Item) -> list[str]:
    """The item as EPCs: its GS1 keys (canonical Digital Links), else its DFID as a URI."""
    keys = [
        row.value
        for row in item.identifiers.all()
        if row.namespace == "gs1" and row.id_type == "Canonical"
    ]
    return keys or [dfid_uri(item.dfid)]


def _step(name: str) -> str:
    return name if name in _STANDARD_STEPS else _custom("bizStep", name)


def _defarm_event(event: Event, item: Item, epcs: list[str]) -> dict[str, Any]:
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    base: dict[str, Any] = {
        "eventID": f"urn:uuid:{event.event_id}",
        "eventTime": _time(event.timestamp),
        "eventTimeZoneOffset": "+00:00",
    }
    extension = {f"{DEFARM_PREFIX}:eventType": event.event_type}
    kind = event.event_type
    if kind in (EventType.MERGED, EventType.SPLIT):
        if kind == EventType.MERGED:
            inputs = [metadata.get("secondary_dfid"), metadata.get("primary_dfid")]
            outputs = [metadata.get("primary_dfid")]
        else:
            inputs = [metadata.get("original_dfid")]
            outputs = [metadata.get("original_dfid"), metadata.get("new_dfid")]
        return {
            "type": "TransformationEvent",
            **base,
            "inputEPCList": [dfid_uri(dfid) for dfid in inputs if dfid] or epcs,
            "outputEPCList": [dfid_uri(dfid) for dfid in outputs if dfid] or epcs,
            "bizStep": _custom("bizStep", "merging" if kind == EventType.MERGED else "splitting"),
            **extension,
        }
    body: dict[str, Any] = {"type": "ObjectEvent", **base, "epcList": epcs}
    if kind == EventType.CREATED:
        body |= {"action": "ADD", "bizStep": "commissioning", "disposition": "active"}
    elif kind in (EventType.PUSHED_TO_CIRCUIT, EventType.PULLED_FROM_CIRCUIT):
        pushed = kind == EventType.PUSHED_TO_CIRCUIT
        body |= {
            "action": "OBSERVE",
            "bizStep": "shipping" if pushed else "receiving",
            "disposition": "in_transit" if pushed else "in_progress",
        }
        circuit = metadata.get("circuit_id")
        if circuit:
            party = {"type": "possessing_party"}
            key = "destination" if pushed else "source"
            body[f"{key}List"] = [party | {key: f"{_base()}/circuit/{circuit}"}]
    elif kind == EventType.STATUS_CHANGED:
        body |= {
            "action": "OBSERVE",
            "bizStep": _custom("bizStep", "status_changing"),
            "disposition": _STATUS_DISPOSITIONS.get(metadata.get("to"), "unknown"),
        }
    else:
        step, disposition = _FARM_STEPS.get(kind, (kind.lower(), None))
        body |= {"action": "OBSERVE", "bizStep": _step(step)}
        if disposition:
            body["disposition"] = disposition
    return body | extension


def item_epcis_document(*, user: User, item: Item) -> dict[str, Any]:
    """``item``'s history as ``user`` may see it, as an ``EPCISDocument`` (oldest first)."""
    epcs = _item_epcs(item)
    own = events_visible_to(user=user).filter(item=item).order_by("timestamp", "event_id")
    events: list[tuple[str, dict[str, Any]]] = [
        (_time(event.timestamp), _defarm_event(event, item, epcs)) for event in own
    ]
    captured = (
        epcis_events_visible_to(user=user)
        .filter(Exists(EpcisEventEpc.objects.filter(event=OuterRef("pk"), item=item)))
        .order_by("event_time", "id")
    )
    namespaces: dict[str, str] = {DEFARM_PREFIX: _namespace()}
    for row in captured:
        events.append((row.event_time.astimezone(UTC).isoformat(), _captured(row, namespaces)))
    events.sort(key=lambda pair: pair[0])
    return {
        "@context": [CONTEXT_URL, *({prefix: uri} for prefix, uri in namespaces.items())],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "epcisBody": {"eventList": [event for _time_key, event in events]},
    }


def _captured(row: EpcisEvent, namespaces: dict[str, str]) -> dict[str, Any]:
    """A captured event as it was captured; its namespaces join the document's (an event-level
    ``@context`` when a prefix means something else there)."""
    body = dict(row.event)
    context = row.context if isinstance(row.context, list) else [row.context]
    own: dict[str, str] = {}
    for entry in context:
        if isinstance(entry, dict):
            for prefix, uri in entry.items():
                if isinstance(uri, str) and namespaces.setdefault(prefix, uri) != uri:
                    own[prefix] = uri
    if own:
        body = {"@context": [own], **body}
    return body
