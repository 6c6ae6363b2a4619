"""Reads of circuits and what hangs off them. Each list declares what its serializer walks,
so the number of queries does not grow with rows."""

import uuid
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password
from django.db.models import Prefetch, Q, QuerySet
from rest_framework import exceptions

from accounts.models import User
from circuits.models import (
    Activity,
    Circuit,
    CircuitCustomRole,
    CircuitItem,
    CircuitJoinRequest,
    CircuitMember,
    CircuitOperation,
    CircuitPendingItem,
    CircuitStatus,
    JoinRequestStatus,
    PendingItemStatus,
)
from defarm.api.exceptions import ApiError
from defarm.timeutils import unix_now
from items.item_view import VIEW_LAYERS, contributions_visible_to
from items.models import Event, EventVisibility, Item


def _with_members(circuits: QuerySet[Circuit]) -> QuerySet[Circuit]:
    return circuits.prefetch_related(
        Prefetch("members", queryset=CircuitMember.objects.select_related("member"))
    )


def circuits_for_user(
    *, user: User, status: str | None = None, include_public: bool = False
) -> QuerySet[Circuit]:
    """Circuits ``user`` belongs to (or owns); with ``include_public`` also those that allow
    public visibility. Archived circuits appear only when asked for by ``status``."""
    condition = Q(members__member=user) | Q(owner=user)
    if include_public:
        condition |= Q(permissions__allow_public_visibility=True)
    ids = Circuit.objects.filter(condition).values("circuit_id")
    circuits = Circuit.objects.filter(circuit_id__in=ids)
    if status:
        circuits = circuits.filter(status=status)
    else:
        circuits = circuits.exclude(status=CircuitStatus.ARCHIVED)
    return _with_members(circuits).order_by("-created_at_ts", "circuit_id")


def circuit_detail(*, circuit: Circuit) -> Circuit:
    return _with_members(Circuit.objects.filter(pk=circuit.pk)).get()


def circuit_for_join_request(*, circuit_id) -> Circuit:
    """The circuit a user asks to join: any circuit that exists and is not archived."""
    circuit = (
        Circuit.objects.filter(pk=circuit_id).exclude(status=CircuitStatus.ARCHIVED).first()
        if _is_uuid(circuit_id)
        else None
    )
    if circuit is None:
        raise exceptions.NotFound("Circuit not found.")
    return circuit


def circuit_items_list(*, circuit: Circuit, viewer: User) -> QuerySet[CircuitItem]:
    """The circuit's items with what ``viewer``'s view of each needs (``items.item_view``)."""
    return (
        CircuitItem.objects.filter(circuit=circuit)
        .select_related("item")
        .prefetch_related(
            "item__identifiers",
            Prefetch(
                "item__contributions",
                queryset=contributions_visible_to(user=viewer),
                to_attr=VIEW_LAYERS,
            ),
        )
        .order_by("-added_at_ts", "id")
    )


def circuit_operations_list(
    *, circuit: Circuit, status: str | None = None
) -> QuerySet[CircuitOperation]:
    operations = CircuitOperation.objects.filter(circuit=circuit)
    if status:
        operations = operations.filter(status=status)
    return operations.order_by("-created_at_ts", "operation_id")


def circuit_activities_list(*, circuit: Circuit) -> QuerySet[Activity]:
    return Activity.objects.filter(circuit=circuit).order_by("-timestamp_ts", "activity_id")


def circuit_pending_items_list(
    *, circuit: Circuit, status: str | None = PendingItemStatus.PENDING
) -> QuerySet[CircuitPendingItem]:
    pending = CircuitPendingItem.objects.filter(circuit=circuit)
    if status:
        pending = pending.filter(status=status)
    return pending.order_by("-pushed_at_ts", "id")


def circuit_join_requests_list(
    *, circuit: Circuit, status: str | None = JoinRequestStatus.PENDING
) -> QuerySet[CircuitJoinRequest]:
    requests = CircuitJoinRequest.objects.filter(circuit=circuit).select_related("requester")
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("-created_at_ts", "id")


def circuit_roles_list(*, circuit: Circuit) -> QuerySet[CircuitCustomRole]:
    return CircuitCustomRole.objects.filter(circuit=circuit).order_by("role_name")


def circuit_role_get(*, circuit: Circuit, role_name: str) -> CircuitCustomRole:
    role = CircuitCustomRole.objects.filter(circuit=circuit, role_name=role_name).first()
    if role is None:
        raise exceptions.NotFound(f"The circuit has no custom role '{role_name}'.")
    return role


def circuit_pending_item_get(*, circuit: Circuit, pending_item_id) -> CircuitPendingItem:
    pending = (
        CircuitPendingItem.objects.filter(circuit=circuit, pk=pending_item_id).first()
        if _is_uuid(pending_item_id)
        else None
    )
    if pending is None:
        raise exceptions.NotFound("Pending item not found.")
    return pending


def circuit_operation_get(*, circuit: Circuit, operation_id) -> CircuitOperation:
    operation = (
        CircuitOperation.objects.filter(circuit=circuit, pk=operation_id).first()
        if _is_uuid(operation_id)
        else None
    )
    if operation is None:
        raise exceptions.NotFound("Operation not found.")
    return operation


def circuit_join_request_pending_get(*, circuit: Circuit, requester_id: str) -> CircuitJoinRequest:
    join_request = CircuitJoinRequest.objects.filter(
        circuit=circuit, requester_id=requester_id, status=JoinRequestStatus.PENDING
    ).first()
    if join_request is None:
        raise exceptions.NotFound("No pending join request from this user.")
    return join_request


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- the public view ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicCircuit:
    circuit: Circuit
    settings: dict
    items: list[Item]


def _publicly_open(settings: dict | None, now_ts: int) -> bool:
    if not settings or not settings.get("enabled", True):
        return False
    mode = settings.get("access_mode")
    if mode in ("public", "protected"):
        return True
    if mode == "scheduled":
        public_from = settings.get("public_from_ts")
        return public_from is not None and public_from <= now_ts
    return False


def circuit_public_get(*, circuit_id, password: str | None) -> PublicCircuit:
    """The public view of a circuit: 404 unless its public settings make it public now; a
    protected circuit needs its password (401 when missing, 403 when wrong). Published items
    come with their Public events only."""
    circuit = (
        Circuit.objects.filter(pk=circuit_id).exclude(status=CircuitStatus.ARCHIVED).first()
        if _is_uuid(circuit_id)
        else None
    )
    settings = circuit.public_settings if circuit is not None else None
    if circuit is None or not _publicly_open(settings, unix_now()):
        raise exceptions.NotFound("Circuit not found.")
    if settings.get("access_mode") == "protected":
        if not password:
            raise ApiError(
                "This circuit is protected: send its password in X-Circuit-Password.",
                code="circuit_password_required",
                status_code=401,
            )
        if not check_password(password, settings.get("password_hash") or ""):
            raise ApiError(
                "The circuit password is wrong.", code="invalid_circuit_password", status_code=403
            )
    published = settings.get("published_items") or []
    in_circuit = CircuitItem.objects.filter(circuit=circuit, item_id__in=published).values(
        "item_id"
    )
    items = list(
        Item.objects.filter(dfid__in=in_circuit)
        .prefetch_related(
            Prefetch(
                "events",
                queryset=Event.objects.filter(visibility=EventVisibility.PUBLIC).order_by(
                    "-timestamp", "event_id"
                ),
                to_attr="public_events",
            )
        )
        .order_by("-created_at_ts", "dfid")
    )
    return PublicCircuit(circuit=circuit, settings=settings, items=items)
