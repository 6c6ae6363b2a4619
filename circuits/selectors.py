"""Reads of circuits and what hangs off them. Each list declares what its serializer walks,
so the number of queries does not grow with rows."""

import uuid
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from rest_framework import exceptions

from accounts.models import User
from accounts.selectors import workspace_sharers
from circuits.models import (
    Activity,
    Circuit,
    CircuitCustomRole,
    CircuitItem,
    CircuitJoinRequest,
    CircuitMember,
    CircuitOperation,
    CircuitPendingItem,
    CircuitPublishedItem,
    CircuitStatus,
    JoinRequestStatus,
    PendingItemStatus,
    WebhookConfig,
    WebhookDelivery,
)
from defarm.api.exceptions import ApiError
from defarm.timeutils import unix_now
from items.item_view import events_shared_with_circuit
from items.models import Event, EventVisibility, Item


def _with_members(circuits: QuerySet[Circuit]) -> QuerySet[Circuit]:
    """Members (their users prefetched, not joined, so a V1 member row whose user does not
    exist still shows), custom roles, pending join requests and published items."""
    return circuits.prefetch_related(
        Prefetch("members", queryset=CircuitMember.objects.order_by("joined_at_ts", "id")),
        "members__member",
        Prefetch("custom_roles", queryset=CircuitCustomRole.objects.order_by("role_name")),
        Prefetch(
            "join_requests",
            queryset=CircuitJoinRequest.objects.filter(status=JoinRequestStatus.PENDING).order_by(
                "created_at_ts", "id"
            ),
            to_attr="pending_join_requests",
        ),
        Prefetch(
            "published_items",
            queryset=CircuitPublishedItem.objects.only("id", "circuit_id", "item_id"),
            to_attr="published_rows",
        ),
    )


def circuit_published_dfids(*, circuit: Circuit) -> list[str]:
    """The DFIDs the circuit publishes, in the order they were published (from the
    ``published_rows`` prefetch when the circuit came through ``_with_members``)."""
    rows = getattr(circuit, "published_rows", None)
    if rows is not None:
        return [row.item_id for row in rows]
    return list(
        CircuitPublishedItem.objects.filter(circuit=circuit)
        .order_by("id")
        .values_list("item_id", flat=True)
    )


def circuits_for_user(
    *, user: User, status: str | None = None, include_public: bool = False
) -> QuerySet[Circuit]:
    """Circuits ``user`` belongs to (or owns), those owned by the other members of a workspace
    that shares with its members (``accounts.selectors.workspace_sharers``, read-only); with
    ``include_public`` also those that allow public visibility. Archived circuits appear only
    when asked for by ``status``."""
    condition = (
        Q(members__member=user) | Q(owner=user) | Q(owner_id__in=workspace_sharers(user=user))
    )
    if include_public:
        condition |= Q(permissions__allow_public_visibility=True)
    ids = Circuit.objects.filter(condition).values("circuit_id")
    circuits = Circuit.objects.filter(circuit_id__in=ids)
    if status:
        circuits = circuits.filter(status=status)
    else:
        circuits = circuits.exclude(status=CircuitStatus.ARCHIVED)
    return _with_members(circuits).order_by("-created_at_ts", "circuit_id")


def circuits_of_member(*, member_id: str) -> QuerySet[Circuit]:
    """Circuits ``member_id`` belongs to (or owns), archived ones left out."""
    ids = Circuit.objects.filter(Q(members__member_id=member_id) | Q(owner_id=member_id)).values(
        "circuit_id"
    )
    circuits = Circuit.objects.filter(circuit_id__in=ids).exclude(status=CircuitStatus.ARCHIVED)
    return _with_members(circuits).order_by("-created_at_ts", "circuit_id")


def circuit_with_webhooks(*, circuit: Circuit) -> Circuit:
    """``circuit`` with its webhooks, oldest first, as ``webhook_rows``."""
    circuit.webhook_rows = list(
        WebhookConfig.objects.filter(circuit=circuit).order_by("created_at_ts", "webhook_id")
    )
    return circuit


def circuit_webhook_get(*, circuit: Circuit, webhook_id) -> WebhookConfig:
    """One webhook of ``circuit``; 404 for an id that is no webhook of it."""
    webhook = (
        WebhookConfig.objects.filter(circuit=circuit, pk=webhook_id).first()
        if _is_uuid(webhook_id)
        else None
    )
    if webhook is None:
        raise exceptions.NotFound("Webhook not found.")
    return webhook


def circuit_webhook_deliveries_list(
    *, circuit: Circuit, webhook_id=None
) -> QuerySet[WebhookDelivery]:
    """Deliveries of ``circuit``'s webhooks (of one when ``webhook_id``), newest first."""
    deliveries = WebhookDelivery.objects.filter(webhook__circuit=circuit)
    if webhook_id is not None:
        deliveries = deliveries.filter(webhook_id=webhook_id)
    return deliveries.select_related("webhook").order_by("-created_at_ts", "delivery_id")


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


def circuit_items_list(*, circuit: Circuit, with_events: bool = False) -> QuerySet[CircuitItem]:
    """The circuit's items; ``with_events`` prefetches, as ``item.member_events``, the events
    a member sees: all but Private ones, of the parties whose layers the circuit shares."""
    items = CircuitItem.objects.filter(circuit=circuit).select_related("circuit", "item")
    if with_events:
        items = items.prefetch_related(
            Prefetch(
                "item__events",
                queryset=Event.objects.exclude(visibility=EventVisibility.PRIVATE)
                .filter(events_shared_with_circuit(circuit_id=circuit.pk))
                .order_by("timestamp", "event_id"),
                to_attr="member_events",
            )
        )
    return items.order_by("-added_at_ts", "id")


def pulled_item_get(*, dfid: str) -> Item:
    """The item a completed pull answers, with its identifiers."""
    return Item.objects.prefetch_related("identifiers").get(pk=dfid)


def item_events_for_member(*, item: Item, user: User) -> list[Event]:
    """The events of ``item`` a circuit member sees: all but other users' Private ones, and of
    the item's creator only when the member sees the creator's layer (``events_visible_to``)."""
    from items.selectors import events_visible_to

    return list(
        events_visible_to(user=user)
        .filter(item=item)
        .filter(~Q(visibility=EventVisibility.PRIVATE) | Q(created_by=user))
        .order_by("timestamp", "event_id")
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


def activities_visible_to(*, user: User, performed_by: str | None = None) -> QuerySet[Activity]:
    """Activities of the circuits ``user`` is a member of (every activity for staff), newest
    first; only those ``performed_by`` a user when given."""
    activities = Activity.objects.all()
    if not user.is_admin:
        activities = activities.filter(
            circuit_id__in=CircuitMember.objects.filter(member=user).values("circuit_id")
        )
    if performed_by is not None:
        activities = activities.filter(performed_by=performed_by)
    return activities.order_by("-timestamp_ts", "activity_id")


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
    """The circuit's custom roles, each with ``member_count`` (members holding it)."""
    holders = (
        CircuitMember.objects.filter(circuit=OuterRef("circuit"), role=OuterRef("role_name"))
        .order_by()
        .values("circuit")
        .annotate(count=Count("id"))
        .values("count")
    )
    return (
        CircuitCustomRole.objects.filter(circuit=circuit)
        .annotate(member_count=Coalesce(Subquery(holders), 0))
        .order_by("role_name")
    )


def circuit_role_get(*, circuit: Circuit, role_name: str) -> CircuitCustomRole:
    role = CircuitCustomRole.objects.filter(circuit=circuit, role_name=role_name).first()
    if role is None:
        raise exceptions.NotFound(f"The circuit has no custom role '{role_name}'.")
    return role


def circuit_pending_item_get(*, circuit: Circuit, pending_item_id) -> CircuitPendingItem:
    """A pending item by its own id or by the id of the operation waiting on it."""
    pending = (
        CircuitPendingItem.objects.filter(circuit=circuit)
        .filter(Q(pk=pending_item_id) | Q(operation_id=pending_item_id))
        .first()
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


def operation_get(*, operation_id) -> CircuitOperation:
    """An operation by id alone (the caller's right to it is checked on its circuit)."""
    operation = (
        CircuitOperation.objects.filter(pk=operation_id).first() if _is_uuid(operation_id) else None
    )
    if operation is None:
        raise exceptions.NotFound("Operation not found.")
    return operation


def circuit_join_request_pending_get(*, circuit: Circuit, requester_id: str) -> CircuitJoinRequest:
    """The pending request of ``requester_id`` (a user id or, as the engine's scripts send,
    a username)."""
    join_request = (
        CircuitJoinRequest.objects.filter(circuit=circuit, status=JoinRequestStatus.PENDING)
        .filter(Q(requester_id=requester_id) | Q(requester__username=requester_id))
        .first()
    )
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
    member_count: int
    accessible: bool


def _public_settings_open(settings: dict | None) -> bool:
    return (
        bool(settings)
        and settings.get("enabled", True)
        and settings.get("access_mode")
        in (
            "public",
            "protected",
            "scheduled",
        )
    )


def circuit_public_without_password(circuit: Circuit) -> bool:
    """Whether anyone may read ``circuit``'s published items now without a password: public
    settings enabled in ``public`` mode, or ``scheduled`` from their date on; not archived."""
    settings = circuit.public_settings
    if circuit.status == CircuitStatus.ARCHIVED or not _public_settings_open(settings):
        return False
    if settings.get("access_mode") == "scheduled":
        public_from = settings.get("public_from_ts")
        return public_from is not None and public_from <= unix_now()
    return settings.get("access_mode") == "public"


def circuit_public_get(*, circuit_id, password: str | None) -> PublicCircuit:
    """The public page of a circuit: 404 unless it has enabled public settings. Its published
    items (with their Public events) show when the page is accessible: from the scheduled date
    on, and for a protected circuit with its password (none given: the page without items;
    a wrong one: 403)."""
    circuit = (
        Circuit.objects.filter(pk=circuit_id).exclude(status=CircuitStatus.ARCHIVED).first()
        if _is_uuid(circuit_id)
        else None
    )
    settings = circuit.public_settings if circuit is not None else None
    if circuit is None or not _public_settings_open(settings):
        raise ApiError(
            "Circuit not found or not public.", code="circuit_not_public", status_code=404
        )
    accessible = True
    if settings.get("access_mode") == "scheduled":
        public_from = settings.get("public_from_ts")
        accessible = public_from is not None and public_from <= unix_now()
    if settings.get("access_mode") == "protected":
        if not password:
            accessible = False
        elif not check_password(password, settings.get("password_hash") or ""):
            raise ApiError(
                "The circuit password is wrong.", code="invalid_circuit_password", status_code=403
            )
    member_count = CircuitMember.objects.filter(circuit=circuit).count()
    if not accessible:
        return PublicCircuit(circuit, settings, [], member_count, False)
    published = CircuitPublishedItem.objects.filter(circuit=circuit).values("item_id")
    in_circuit = CircuitItem.objects.filter(circuit=circuit, item_id__in=published).values(
        "item_id"
    )
    items = list(
        Item.objects.filter(dfid__in=in_circuit)
        .prefetch_related(
            Prefetch(
                "events",
                queryset=Event.objects.filter(visibility=EventVisibility.PUBLIC)
                .filter(events_shared_with_circuit(circuit_id=circuit.pk))
                .order_by("-timestamp", "event_id"),
                to_attr="public_events",
            )
        )
        .order_by("-created_at_ts", "dfid")
    )
    return PublicCircuit(circuit, settings, items, member_count, True)
