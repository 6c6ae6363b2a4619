"""Capture of EPCIS 2.0 documents: validation, event identity, storage."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField
from django.utils import timezone

from accounts.models import User
from items.epcis.event_hash import event_hash
from items.epcis.identifiers import canonical_identifier, gs1_key_parse
from items.epcis.models import (
    CaptureErrorBehaviour,
    CaptureJob,
    EpcisBizTransaction,
    EpcisEvent,
    EpcisEventEpc,
    EpcRole,
    NamedQuery,
)
from items.epcis.subscriptions import subscriptions_stream_enqueue
from items.epcis.validation import DocumentErrors, date_time_parse, document_validate, event_list_of
from items.epcis.vocabulary import vocabulary_normal_form
from items.identifiers import Identifier, identifier_parse
from items.services.rows import (
    ROWS_SOURCE,
    _server_bound_cursor,
    rows_columns,
    rows_insert,
    rows_parameter,
    rows_pipeline,
)
from items.services.writes import Submission, items_write
from items.snapshots.services import snapshots_schedule_for_capture

VALIDATION_EXCEPTION = "epcisException:ValidationException"
SIMPLE_EVENT_QUERY = "SimpleEventQuery"

# Roles of the identifier lists of an event.
_EPC_LISTS = (
    ("epcList", EpcRole.EPC),
    ("childEPCs", EpcRole.CHILD),
    ("inputEPCList", EpcRole.INPUT),
    ("outputEPCList", EpcRole.OUTPUT),
)
_QUANTITY_LISTS = (
    ("quantityList", EpcRole.QUANTITY),
    ("childQuantityList", EpcRole.QUANTITY),
    ("inputQuantityList", EpcRole.INPUT_CLASS),
    ("outputQuantityList", EpcRole.OUTPUT_CLASS),
)


class CaptureRefused(Exception):
    """The document is refused as a whole (rollback, or an error of the document itself)."""

    def __init__(self, errors: DocumentErrors):
        super().__init__(errors.first())
        self.errors = errors


def capture_problem(detail: str, *, event_index: int | None = None) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "type": VALIDATION_EXCEPTION,
        "title": "Invalid EPCIS document",
        "status": 400,
        "detail": detail,
    }
    if event_index is not None:
        problem["eventIndex"] = event_index
    return problem


def _identifier_of(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id", "")
    return canonical_identifier(value) if isinstance(value, str) else ""


def event_epcs(event: dict[str, Any]) -> list[tuple[str, str, float | None]]:
    """(canonical identifier, role, quantity) of every EPC and class the event names."""
    found: list[tuple[str, str, float | None]] = []
    if isinstance(event.get("parentID"), str):
        found.append((canonical_identifier(event["parentID"]), EpcRole.PARENT, None))
    for name, role in _EPC_LISTS:
        for epc in event.get(name) or []:
            if isinstance(epc, str):
                found.append((canonical_identifier(epc), role, None))
    for name, role in _QUANTITY_LISTS:
        for element in event.get(name) or []:
            if isinstance(element, dict) and isinstance(element.get("epcClass"), str):
                quantity = element.get("quantity")
                amount = float(quantity) if isinstance(quantity, (int, float)) else None
                found.append((canonical_identifier(element["epcClass"]), role, amount))
    return list(dict.fromkeys(found))


def event_biz_transactions(event: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for entry in event.get("bizTransactionList") or []:
        if isinstance(entry, dict) and isinstance(entry.get("bizTransaction"), str):
            kind = entry.get("type") if isinstance(entry.get("type"), str) else ""
            found.append(
                (vocabulary_normal_form(kind, field="bizTransaction"), entry["bizTransaction"])
            )
    return list(dict.fromkeys(found))


@dataclass
class _Prepared:
    """One event ready to store: its columns (in ``_EVENT_FIELDS`` order) and side rows."""

    event_id: str
    values: tuple[Any, ...]
    epcs: list[tuple[str, str, float | None]]
    transactions: list[tuple[str, str]]


# EpcisEvent fields written by a capture besides owner, job, record time and context.
_EVENT_FIELDS = (
    "event_id",
    "event_type",
    "event_time",
    "event_timezone_offset",
    "action",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "event",
)
# Events inserted (and their items linked) per statement.
_STORE_CHUNK = 1000


def _prepare(*, event: dict[str, Any], context: Any, record_time: str) -> _Prepared:
    stored = dict(event)  # only top-level keys are added; the rest is stored as sent
    event_id = stored.get("eventID") or event_hash(event, context=context)
    stored["eventID"] = event_id
    stored["recordTime"] = record_time
    event_time = date_time_parse(stored["eventTime"])
    assert event_time is not None  # validated before
    values = (
        event_id,
        stored.get("type", ""),
        event_time,
        stored.get("eventTimeZoneOffset", ""),
        stored.get("action", "") or "",
        vocabulary_normal_form(stored.get("bizStep"), field="bizStep"),
        vocabulary_normal_form(stored.get("disposition"), field="disposition"),
        _identifier_of(stored.get("readPoint")),
        _identifier_of(stored.get("bizLocation")),
        stored,
    )
    return _Prepared(event_id, values, event_epcs(stored), event_biz_transactions(stored))


def _events_insert(
    *, owner: User, job: CaptureJob, context: Any, now: datetime, chunk: list[_Prepared]
) -> Callable[[], dict[str, int]]:
    """Insert the events of ``chunk`` not stored yet for ``owner`` (by eventID); answers a
    function answering eventID -> row id of the rows this call inserted (another capture's
    rows are skipped). Inside ``rows_pipeline`` the statement is only sent: the server works
    on it until that function is called."""
    if connection.vendor == "postgresql":
        fields = [EpcisEvent._meta.get_field(field) for field in _EVENT_FIELDS]
        quote = connection.ops.quote_name
        names = ", ".join(quote(field.column) for field in fields)
        selected = rows_columns(
            [(field.db_type(connection), isinstance(field, JSONField)) for field in fields]
        )
        # Column names come from the model; every value is a bound parameter.
        sql = (
            "INSERT INTO epcis_events (owner_id, capture_job_id, record_time, context, "  # noqa: S608
            f"{names}) SELECT %s, %s, %s, %s::jsonb, {selected} FROM {ROWS_SOURCE} "
            "ON CONFLICT (owner_id, event_id) DO NOTHING RETURNING event_id, id"
        )
        params = [
            owner.pk,
            job.pk,
            now,
            json.dumps(context if context is not None else []),
            rows_parameter([each.values for each in chunk]),
        ]
        cursor = _server_bound_cursor()
        cursor.execute(sql, params)

        def inserted() -> dict[str, int]:
            with cursor:
                return dict(cursor.fetchall())

        return inserted
    existing = set(
        EpcisEvent.objects.filter(
            owner=owner, event_id__in=[each.event_id for each in chunk]
        ).values_list("event_id", flat=True)
    )
    new = [
        EpcisEvent(
            owner=owner,
            capture_job=job,
            record_time=now,
            context=context if context is not None else [],
            **dict(zip(_EVENT_FIELDS, each.values, strict=True)),
        )
        for each in chunk
        if each.event_id not in existing
    ]
    EpcisEvent.objects.bulk_create(new)
    ids = {row.event_id: row.pk for row in new}
    return lambda: ids


def _side_rows_insert(*, new: list[_Prepared], ids: dict[str, int], dfids: dict[str, str]) -> None:
    """The EPC rows (with the DeFarm item of each GS1 key) and business transactions of the
    events ``new``, stored as rows ``ids``."""
    rows_insert(
        model=EpcisEventEpc,
        fields=("event_id", "epc", "role", "quantity", "item_id"),
        rows=[
            (ids[each.event_id], epc, str(role), quantity, dfids.get(epc))
            for each in new
            for epc, role, quantity in each.epcs
        ],
    )
    rows_insert(
        model=EpcisBizTransaction,
        fields=("event_id", "transaction_type", "transaction"),
        rows=[
            (ids[each.event_id], kind, value) for each in new for kind, value in each.transactions
        ],
    )


def _store(
    *,
    owner: User,
    job: CaptureJob,
    context: Any,
    now: datetime,
    record_time: str,
    events: list[dict[str, Any]],
) -> tuple[int, int]:
    """Prepare and insert the events not stored yet (by owner and eventID; the first of a
    repeated eventID), with their EPC rows (linked to DeFarm items) and business
    transactions, a chunk at a time; (stored, duplicates).

    While the server inserts a chunk's events (and the EPC rows of the chunk before), the
    next chunk is prepared; its items are then linked, outside the pipeline."""
    seen: set[str] = set()

    def prepared_chunk(start: int) -> list[_Prepared]:
        chunk = []
        for event in events[start : start + _STORE_CHUNK]:
            each = _prepare(event=event, context=context, record_time=record_time)
            if each.event_id not in seen:
                seen.add(each.event_id)
                chunk.append(each)
        return chunk

    stored = 0
    chunk = prepared_chunk(0)
    before: dict[str, Any] | None = None  # the chunk whose EPC rows are still to write
    for start in range(0, len(events), _STORE_CHUNK):
        with rows_pipeline():
            if before is not None:
                _side_rows_insert(**before)
            inserted = _events_insert(owner=owner, job=job, context=context, now=now, chunk=chunk)
            following = prepared_chunk(start + _STORE_CHUNK)
            ids = inserted()
        new = [each for each in chunk if each.event_id in ids]
        stored += len(new)
        dfids = epcis_items_link(
            owner=owner, epcs=[epc for each in new for epc, _role, _quantity in each.epcs]
        )
        if dfids:  # new events naming items: the capture's one snapshot task, after commit
            _capture_snapshots_schedule(job=job)
        before = {"new": new, "ids": ids, "dfids": dfids}
        chunk = following
    if before is not None:
        _side_rows_insert(**before)
    return stored, len(events) - stored


def _capture_snapshots_schedule(*, job: CaptureJob) -> None:
    """Once per capture (the first chunk whose new events name items): queue the snapshots of
    the items its events name for after commit (``snapshots_schedule_for_capture``)."""
    if getattr(job, "_snapshots_scheduled", False):
        return
    job._snapshots_scheduled = True  # type: ignore[attr-defined]
    snapshots_schedule_for_capture(capture_id=str(job.pk), created_by=job.owner_id)


# GS1 keys that name things (a location, SGLN, is not an item).
ITEM_SCHEMES = ("sgtin", "sscc", "grai", "giai", "lgtin")
_LINK_BATCH = 1000


def epcis_items_link(*, owner: User, epcs: list[str]) -> dict[str, str]:
    """The DeFarm item of each GS1 key among ``epcs`` (canonical Digital Links): the item
    holding it as a canonical ``gs1`` identifier, created when there is none. This is the
    items' own create/dedup path (``items_write``): a key on an item of someone else's adds
    ``owner``'s layer to it; new DFIDs are charged and counted against the tier as any item.
    Returns Digital Link -> DFID."""
    wanted: dict[str, Identifier] = {}
    for epc in dict.fromkeys(epcs):
        key = gs1_key_parse(epc)
        if key is None or key.scheme not in ITEM_SCHEMES:
            continue
        wanted[epc] = identifier_parse(
            {"namespace": "gs1", "key": key.scheme, "value": epc, "id_type": "Canonical"}
        )
    links: dict[str, str] = {}
    values = list(wanted)
    for start in range(0, len(values), _LINK_BATCH):
        chunk = values[start : start + _LINK_BATCH]
        outcomes = items_write(
            user=owner,
            submissions=[Submission(identifiers=[wanted[epc]]) for epc in chunk],
            source="epcis",
        )
        for epc, outcome in zip(chunk, outcomes, strict=True):
            if outcome.item is not None:
                links[epc] = outcome.item.dfid
    return links


@transaction.atomic
def capture_job_run(
    *,
    owner: User,
    document: dict[str, Any],
    error_behaviour: str = CaptureErrorBehaviour.ROLLBACK,
) -> CaptureJob:
    """Validate ``document`` and store its events as ``owner``'s; one job records the outcome.

    With ``rollback`` any error refuses the whole document (``CaptureRefused``, nothing stored,
    no job). With ``proceed`` the valid events are stored and the job lists the refused ones;
    an error of the document itself (no @context, not an EPCIS document) still refuses it all.
    """
    errors = document_validate(document)
    if errors.document or (errors.events and error_behaviour == CaptureErrorBehaviour.ROLLBACK):
        raise CaptureRefused(errors)
    events = event_list_of(document) or []
    now = timezone.now()
    record_time = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    job = CaptureJob.objects.create(
        owner=owner, error_behaviour=error_behaviour, event_count=len(events)
    )
    context = document.get("@context")
    valid = [event for index, event in enumerate(events) if index not in errors.events]
    stored, duplicates = _store(
        owner=owner, job=job, context=context, now=now, record_time=record_time, events=valid
    )
    job.errors = [
        capture_problem(f"event {index}: {messages[0]}", event_index=index)
        for index, messages in sorted(errors.events.items())
    ]
    job.success = not job.errors
    job.running = False
    job.stored_count = stored
    job.duplicate_count = duplicates
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "errors",
            "success",
            "running",
            "stored_count",
            "duplicate_count",
            "finished_at",
        ]
    )
    if stored:
        subscriptions_stream_enqueue(capture_job_id=job.pk)
    return job


def single_event_document(event: Any) -> dict[str, Any]:
    """``POST /epcis/events`` takes one event with its own ``@context``: as a document."""
    if not isinstance(event, dict):
        return {"type": None}
    document: dict[str, Any] = {
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {"eventList": [{k: v for k, v in event.items() if k != "@context"}]},
    }
    if "@context" in event:
        document["@context"] = event["@context"]
    return document


class NamedQueryExists(Exception):
    pass


@transaction.atomic
def named_query_create(*, owner: User, name: str, query: dict[str, Any]) -> NamedQuery:
    """Save ``query`` as ``owner``'s query ``name`` (validated by the caller);
    ``NamedQueryExists`` when the name is taken."""
    if name == SIMPLE_EVENT_QUERY or NamedQuery.objects.filter(owner=owner, name=name).exists():
        raise NamedQueryExists(name)
    try:
        with transaction.atomic():
            return NamedQuery.objects.create(owner=owner, name=name, query=query)
    except IntegrityError as error:  # the same name saved at the same moment
        raise NamedQueryExists(name) from error


@transaction.atomic
def named_query_delete(*, query: NamedQuery) -> None:
    query.delete()
