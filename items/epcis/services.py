"""Capture of EPCIS 2.0 documents: validation, event identity, storage."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
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
from items.epcis.validation import DocumentErrors, date_time_parse, document_validate, event_list_of
from items.epcis.vocabulary import vocabulary_normal_form
from items.identifiers import Identifier, identifier_parse
from items.services.writes import Submission, items_write

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
    row: EpcisEvent
    epcs: list[tuple[str, str, float | None]]
    transactions: list[tuple[str, str]]


def _prepare(
    *, owner: User, job: CaptureJob, event: dict[str, Any], context: Any, now: datetime
) -> _Prepared:
    stored = dict(event)  # only top-level keys are added; the rest is stored as sent
    event_id = stored.get("eventID") or event_hash(event, context=context)
    stored["eventID"] = event_id
    stored["recordTime"] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event_time = date_time_parse(stored["eventTime"])
    assert event_time is not None  # validated before
    row = EpcisEvent(
        owner=owner,
        capture_job=job,
        event_id=event_id,
        event_type=stored.get("type", ""),
        event_time=event_time,
        event_timezone_offset=stored.get("eventTimeZoneOffset", ""),
        record_time=now,
        action=stored.get("action", "") or "",
        biz_step=vocabulary_normal_form(stored.get("bizStep"), field="bizStep"),
        disposition=vocabulary_normal_form(stored.get("disposition"), field="disposition"),
        read_point=_identifier_of(stored.get("readPoint")),
        biz_location=_identifier_of(stored.get("bizLocation")),
        context=context if context is not None else [],
        event=stored,
    )
    return _Prepared(row, event_epcs(stored), event_biz_transactions(stored))


def _store(*, owner: User, prepared: list[_Prepared]) -> tuple[int, int]:
    """Insert the events not stored yet (by owner and eventID); (stored, duplicates)."""
    by_id: dict[str, _Prepared] = {}
    for each in prepared:
        by_id.setdefault(each.row.event_id, each)
    existing = set(
        EpcisEvent.objects.filter(owner=owner, event_id__in=list(by_id)).values_list(
            "event_id", flat=True
        )
    )
    new = [each for event_id, each in by_id.items() if event_id not in existing]
    EpcisEvent.objects.bulk_create([each.row for each in new], ignore_conflicts=True)
    # Rows another capture inserted meanwhile were skipped: only this job's rows get side rows.
    ids = (
        dict(
            EpcisEvent.objects.filter(
                owner=owner,
                capture_job=new[0].row.capture_job,
                event_id__in=[e.row.event_id for e in new],
            ).values_list("event_id", "id")
        )
        if new
        else {}
    )
    new = [each for each in new if each.row.event_id in ids]
    dfids = epcis_items_link(
        owner=owner, epcs=[epc for each in new for epc, _role, _quantity in each.epcs]
    )
    EpcisEventEpc.objects.bulk_create(
        [
            EpcisEventEpc(
                event_id=ids[each.row.event_id],
                epc=epc,
                role=role,
                quantity=quantity,
                item_id=dfids.get(epc),
            )
            for each in new
            for epc, role, quantity in each.epcs
        ]
    )
    EpcisBizTransaction.objects.bulk_create(
        [
            EpcisBizTransaction(
                event_id=ids[each.row.event_id], transaction_type=kind, transaction=value
            )
            for each in new
            for kind, value in each.transactions
        ]
    )
    return len(new), len(prepared) - len(new)


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
    job = CaptureJob.objects.create(
        owner=owner, error_behaviour=error_behaviour, event_count=len(events)
    )
    context = document.get("@context")
    prepared = [
        _prepare(owner=owner, job=job, event=event, context=context, now=now)
        for index, event in enumerate(events)
        if index not in errors.events
    ]
    stored, duplicates = _store(owner=owner, prepared=prepared)
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
