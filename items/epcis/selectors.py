"""Reads of captured EPCIS events: who sees what, and the standard's SimpleEventQuery."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.selectors import workspace_sharers
from circuits.models import (
    Circuit,
    CircuitItem,
    CircuitMember,
    CircuitPublishedItem,
    CircuitStatus,
)
from circuits.selectors import circuit_public_without_password
from items.epcis.identifiers import canonical_identifier
from items.epcis.models import (
    CaptureJob,
    EpcisBizTransaction,
    EpcisEvent,
    EpcisEventEpc,
    EpcRole,
    NamedQuery,
)
from items.epcis.validation import date_time_parse
from items.epcis.vocabulary import ACTIONS, vocabulary_normal_form


class QueryParameterError(ValueError):
    """A query parameter the standard does not define, or a value it does not allow."""


def _co_member_ids(user: User) -> list[str]:
    """``user`` and the parties whose own workspace shares their work with ``user``
    (``accounts.selectors.workspace_sharers``: the rule of their items and circuits)."""
    sharers = workspace_sharers(user=user).values_list("user_id", flat=True)
    return sorted({str(user.pk), *(str(pk) for pk in sharers)})


def _member_circuit_ids(user: User) -> list[Any]:
    return list(
        CircuitMember.objects.filter(member=user).order_by().values_list("circuit_id", flat=True)
    )


def public_circuit_ids() -> list[Any]:
    """Circuits anyone may read now without a password (``circuit_public_without_password``)
    that publish at least one item: few, and read once per request."""
    candidates = (
        Circuit.objects.exclude(status=CircuitStatus.ARCHIVED)
        .filter(public_settings__access_mode__in=("public", "scheduled"))
        .filter(Exists(CircuitPublishedItem.objects.filter(circuit_id=OuterRef("pk"))))
        .only("circuit_id", "status", "public_settings")
    )
    return [circuit.pk for circuit in candidates if circuit_public_without_password(circuit)]


def shared_through_circuits(circuit_ids: list[Any], *, published: bool) -> Exists:
    """Events (a filter on ``EpcisEvent``) naming an item held by one of ``circuit_ids`` whose
    capturer is a member of that circuit (with ``published``: an item the circuit publishes).

    Keyed on the event itself: for each candidate event, its own few EPC rows (``event``
    index), then ``circuit_items`` by the item (``dfid`` index, the circuit among the small
    constant set) and ``circuit_members`` by its unique (circuit, member) index. A query by EPC
    probes only the events naming that EPC, so its cost does not grow with the table; a
    listing of everything lets PostgreSQL hash the same subquery once instead."""
    conditions: dict[str, Any] = {
        "event_id": OuterRef("pk"),
        "item__circuit_items__circuit_id__in": circuit_ids,
        "item__circuit_items__circuit__members__member_id": OuterRef("owner_id"),
    }
    if published:
        conditions["item__circuit_items__circuit__published_items__item_id"] = F("item_id")
    return Exists(EpcisEventEpc.objects.filter(item__isnull=False, **conditions))


@dataclass(frozen=True)
class Audience:
    """What decides which captured events a caller sees, read once per request: the parties
    whose workspace shares their work with the caller, the caller's circuits and the open
    public circuits."""

    everything: bool
    co_member_ids: tuple[str, ...] = ()
    circuit_ids: tuple[Any, ...] = ()
    public_circuit_ids: tuple[Any, ...] = ()


def audience_of(*, user: User) -> Audience:
    if user.is_admin:
        return Audience(everything=True)
    return Audience(
        everything=False,
        co_member_ids=tuple(_co_member_ids(user)),
        circuit_ids=tuple(_member_circuit_ids(user)),
        public_circuit_ids=tuple(public_circuit_ids()),
    )


def events_visible_to(
    *, user: User | None, audience: Audience | None = None
) -> QuerySet[EpcisEvent]:
    """Captured events ``user`` may see. A captured event belongs to the party that captured
    it and is visible to:

    1. its capturer, and the other members of the capturer's own workspace when that
       workspace shares its members' work (``settings.default_visibility`` ``Workspace``, the
       rule of their items and circuits);
    2. the members of a circuit that holds an item the event names (an EPC linked to the item
       through its ``gs1`` canonical identifier), when the capturer is a member of that
       circuit too: the event is shared through the circuits its capturer trades in;
    3. everyone, when a circuit that anyone may read without a password publishes an item the
       event names and the capturer is a member of that circuit;
    4. staff, who see every event.

    Memberships are read when the query runs, so leaving a workspace or a circuit (or an item
    leaving a circuit) takes the events shared that way out of sight again. The caller's
    sets (co-members, circuits, public circuits) are small lists read once; (1) is the owner
    indexes, (2) and (3) an index probe of the event's own EPC rows
    (``shared_through_circuits``). ``audience`` given: the events it sees (``user`` unused)."""
    events = EpcisEvent.objects.all()
    if audience is None:
        assert user is not None
        audience = audience_of(user=user)
    if audience.everything:
        return events
    visible = Q(owner_id__in=audience.co_member_ids)
    if audience.circuit_ids:
        visible |= shared_through_circuits(list(audience.circuit_ids), published=False)
    if audience.public_circuit_ids:
        visible |= shared_through_circuits(list(audience.public_circuit_ids), published=True)
    return events.filter(visible)


def item_public_circuit_ids(*, dfid: str) -> list[Any]:
    """The circuits anyone may read now without a password that hold and publish item
    ``dfid`` (``circuit_public_without_password``)."""
    holding = CircuitItem.objects.filter(item_id=dfid).values("circuit_id")
    published = CircuitPublishedItem.objects.filter(circuit_id__in=holding, item_id=dfid)
    candidates = (
        Circuit.objects.filter(pk__in=published.values("circuit_id"))
        .exclude(status=CircuitStatus.ARCHIVED)
        .only("circuit_id", "status", "public_settings")
    )
    return [circuit.pk for circuit in candidates if circuit_public_without_password(circuit)]


def item_captured_events_public(*, dfid: str, circuit_id: Any = None) -> QuerySet[EpcisEvent]:
    """The captured events naming item ``dfid`` that everyone sees through the item itself
    (rule 3 of ``events_visible_to``: a circuit anyone may read without a password publishes
    the item and the capturer is a member of it), in ``eventTime`` order: what a snapshot of
    the item, whose bytes others may read, may hold.

    With ``circuit_id``: only those the circuit shares as well (rule 2: the circuit holds the
    item and the capturer is a member of it), for the item as that circuit holds it."""
    publishing = item_public_circuit_ids(dfid=dfid)
    if not publishing:
        return EpcisEvent.objects.none()
    everyone = Audience(everything=False, public_circuit_ids=tuple(publishing))
    naming = EpcisEventEpc.objects.filter(item_id=dfid).values("event_id")
    events = events_visible_to(user=None, audience=everyone).filter(pk__in=naming)
    if circuit_id is not None:
        if not CircuitItem.objects.filter(circuit_id=circuit_id, item_id=dfid).exists():
            return EpcisEvent.objects.none()
        members = CircuitMember.objects.filter(circuit_id=circuit_id).values("member_id")
        events = events.filter(owner_id__in=members)
    return events.order_by("event_time", "id")


def capture_item_ids(*, capture_id: str) -> list[str]:
    """The DeFarm items the events stored by capture ``capture_id`` name (their EPCs linked
    through ``gs1`` identifiers), each once, sorted."""
    return list(
        EpcisEventEpc.objects.filter(event__capture_job_id=capture_id, item__isnull=False)
        .order_by("item_id")
        .values_list("item_id", flat=True)
        .distinct()
    )


def event_by_id(*, user: User, event_id: str) -> QuerySet[EpcisEvent]:
    """The events with ``eventID`` ``event_id`` that ``user`` may see (one per capturer)."""
    return events_visible_to(user=user).filter(event_id=event_id).order_by("id")


def named_queries_of(*, user: User) -> QuerySet[NamedQuery]:
    return NamedQuery.objects.filter(owner=user)


def capture_jobs_visible_to(*, user: User) -> QuerySet[CaptureJob]:
    jobs = CaptureJob.objects.select_related("owner")
    return jobs if user.is_admin else jobs.filter(owner=user)


# MATCH_* parameter -> the roles it matches.
MATCH_ROLES: dict[str, tuple[str, ...]] = {
    "MATCH_epc": (EpcRole.EPC, EpcRole.CHILD),
    "MATCH_parentID": (EpcRole.PARENT,),
    "MATCH_inputEPC": (EpcRole.INPUT,),
    "MATCH_outputEPC": (EpcRole.OUTPUT,),
    "MATCH_anyEPC": (EpcRole.EPC, EpcRole.CHILD, EpcRole.PARENT, EpcRole.INPUT, EpcRole.OUTPUT),
    "MATCH_epcClass": (EpcRole.QUANTITY,),
    "MATCH_inputEPCClass": (EpcRole.INPUT_CLASS,),
    "MATCH_outputEPCClass": (EpcRole.OUTPUT_CLASS,),
    "MATCH_anyEPCClass": (EpcRole.QUANTITY, EpcRole.INPUT_CLASS, EpcRole.OUTPUT_CLASS),
}
_QUANTITY_ROLES = (EpcRole.QUANTITY, EpcRole.INPUT_CLASS, EpcRole.OUTPUT_CLASS)
QUANTITY_OPERATORS = {
    "EQ_quantity": "exact",
    "GT_quantity": "gt",
    "GE_quantity": "gte",
    "LT_quantity": "lt",
    "LE_quantity": "lte",
}
LIST_PARAMETERS = (
    "eventType",
    "EQ_action",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_readPoint",
    "EQ_bizLocation",
    "EQ_eventID",
    *MATCH_ROLES,
)
TIME_PARAMETERS = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
INTEGER_PARAMETERS = ("eventCountLimit", "maxEventCount", "perPage")
OTHER_PARAMETERS = ("orderBy", "orderDirection", "nextPageToken")
BIZ_TRANSACTION_PREFIX = "EQ_bizTransaction_"
SIMPLE_EVENT_QUERY_PARAMETERS = frozenset(
    (
        *LIST_PARAMETERS,
        *TIME_PARAMETERS,
        *INTEGER_PARAMETERS,
        *OTHER_PARAMETERS,
        *QUANTITY_OPERATORS,
    )
)
MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 100


@dataclass
class SimpleEventQuery:
    lists: dict[str, list[str]] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)
    quantities: dict[str, float] = field(default_factory=dict)
    biz_transactions: dict[str, list[str]] = field(default_factory=dict)
    order_by: str = "eventTime"
    descending: bool = False
    event_count_limit: int | None = None
    max_event_count: int | None = None
    per_page: int = DEFAULT_PER_PAGE


def _values(raw: Any) -> list[str]:
    """A parameter's values: repeated, pipe-delimited (the REST binding) or a JSON array."""
    items = raw if isinstance(raw, list) else [raw]
    values: list[str] = []
    for item in items:
        if isinstance(item, list):
            values.extend(str(each) for each in item)
        else:
            values.extend(part for part in str(item).split("|") if part)
    return values


def _positive_integer(name: str, raw: Any) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise QueryParameterError(f"{name}: {raw!r} is not an integer.") from None
    if value < 1:
        raise QueryParameterError(f"{name}: must be at least 1.")
    return value


def simple_event_query_parse(parameters: dict[str, Any]) -> SimpleEventQuery:
    """SimpleEventQuery parameters (name -> value or list of values) as a query, or
    ``QueryParameterError`` naming the first wrong one."""
    query = SimpleEventQuery()
    for name, raw in parameters.items():
        if name.startswith(BIZ_TRANSACTION_PREFIX):
            kind = name.removeprefix(BIZ_TRANSACTION_PREFIX)
            normal = vocabulary_normal_form(kind, field="bizTransaction")
            query.biz_transactions[normal] = _values(raw)
            continue
        if name not in SIMPLE_EVENT_QUERY_PARAMETERS:
            raise QueryParameterError(f"{name}: not a parameter of SimpleEventQuery.")
        if name in LIST_PARAMETERS:
            values = _values(raw)
            if not values:
                raise QueryParameterError(f"{name}: give at least one value.")
            if name == "EQ_action":
                wrong = [value for value in values if value not in ACTIONS]
                if wrong:
                    raise QueryParameterError(
                        f"EQ_action: {wrong[0]!r} is not one of {', '.join(ACTIONS)}."
                    )
            query.lists[name] = values
        elif name in TIME_PARAMETERS:
            moment = date_time_parse(str(raw)) if isinstance(raw, str) else None
            if moment is None:
                raise QueryParameterError(f"{name}: {raw!r} is not an RFC 3339 date-time.")
            query.times[name] = moment
        elif name in QUANTITY_OPERATORS:
            try:
                query.quantities[name] = float(raw)
            except (TypeError, ValueError):
                raise QueryParameterError(f"{name}: {raw!r} is not a number.") from None
        elif name == "orderBy":
            if raw not in ("eventTime", "recordTime"):
                raise QueryParameterError("orderBy: must be eventTime or recordTime.")
            query.order_by = raw
        elif name == "orderDirection":
            if raw not in ("ASC", "DESC"):
                raise QueryParameterError("orderDirection: must be ASC or DESC.")
            query.descending = raw == "DESC"
        elif name == "eventCountLimit":
            query.event_count_limit = _positive_integer(name, raw)
        elif name == "maxEventCount":
            query.max_event_count = _positive_integer(name, raw)
        elif name == "perPage":
            query.per_page = min(_positive_integer(name, raw), MAX_PER_PAGE)
    if query.event_count_limit is not None and query.max_event_count is not None:
        raise QueryParameterError("eventCountLimit and maxEventCount exclude each other.")
    if "orderDirection" in parameters and "orderBy" not in parameters:
        query.order_by = "eventTime"
    return query


def _epc_filter(roles: tuple[str, ...], values: list[str]) -> Exists:
    return Exists(
        EpcisEventEpc.objects.filter(
            event=OuterRef("pk"),
            role__in=roles,
            epc__in=[canonical_identifier(value) for value in values],
        )
    )


def events_query(*, user: User, query: SimpleEventQuery) -> QuerySet[EpcisEvent]:
    """The events ``user`` may see that match ``query``, in its order (id breaks ties)."""
    events = events_visible_to(user=user)
    lists = query.lists
    if "eventType" in lists:
        events = events.filter(event_type__in=lists["eventType"])
    if "EQ_action" in lists:
        events = events.filter(action__in=lists["EQ_action"])
    if "EQ_bizStep" in lists:
        steps = [vocabulary_normal_form(v, field="bizStep") for v in lists["EQ_bizStep"]]
        events = events.filter(biz_step__in=steps)
    if "EQ_disposition" in lists:
        values = [vocabulary_normal_form(v, field="disposition") for v in lists["EQ_disposition"]]
        events = events.filter(disposition__in=values)
    if "EQ_readPoint" in lists:
        events = events.filter(
            read_point__in=[canonical_identifier(v) for v in lists["EQ_readPoint"]]
        )
    if "EQ_bizLocation" in lists:
        events = events.filter(
            biz_location__in=[canonical_identifier(v) for v in lists["EQ_bizLocation"]]
        )
    if "EQ_eventID" in lists:
        events = events.filter(event_id__in=lists["EQ_eventID"])
    for name, roles in MATCH_ROLES.items():
        if name in lists:
            events = events.filter(_epc_filter(roles, lists[name]))
    times = query.times
    if "GE_eventTime" in times:
        events = events.filter(event_time__gte=times["GE_eventTime"])
    if "LT_eventTime" in times:
        events = events.filter(event_time__lt=times["LT_eventTime"])
    if "GE_recordTime" in times:
        events = events.filter(record_time__gte=times["GE_recordTime"])
    if "LT_recordTime" in times:
        events = events.filter(record_time__lt=times["LT_recordTime"])
    if query.quantities:
        conditions = Q(role__in=_QUANTITY_ROLES)
        for name, value in query.quantities.items():
            conditions &= Q(**{f"quantity__{QUANTITY_OPERATORS[name]}": value})
        events = events.filter(
            Exists(EpcisEventEpc.objects.filter(conditions, event=OuterRef("pk")))
        )
    for kind, values in query.biz_transactions.items():
        events = events.filter(
            Exists(
                EpcisBizTransaction.objects.filter(
                    event=OuterRef("pk"), transaction_type=kind, transaction__in=values
                )
            )
        )
    column = "event_time" if query.order_by == "eventTime" else "record_time"
    prefix = "-" if query.descending else ""
    return events.order_by(f"{prefix}{column}", f"{prefix}id")


def distinct_values(*, user: User, column: str) -> list[str]:
    """The values of ``column`` among the events ``user`` may see, sorted."""
    return list(
        events_visible_to(user=user)
        .exclude(**{column: ""})
        .order_by(column)
        .values_list(column, flat=True)
        .distinct()
    )
