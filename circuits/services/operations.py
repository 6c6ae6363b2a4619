"""Pushing items into a circuit and pulling them out, with or without a manager's approval.

An operation (``circuit_operations``) is written for every push and pull. Without approval
it completes at once; with ``require_approval_for_push`` the item waits in
``circuit_pending_items`` as a snapshot until a manager approves or rejects it; with
``require_approval_for_pull`` the Pull operation stays Pending until a manager approves or
rejects the operation itself. Completion is one transaction: the circuit item, an activity,
a CircuitOnly event and the requester's circuit-operation credits; when anything fails (not
enough credits, an identifier conflict) nothing is written. Signals go out after commit.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from rest_framework import exceptions

from accounts.models import User
from accounts.services.credits import credits_charge
from accounts.services.notifications import (
    NotificationType,
    notification_create,
    notifications_create_many,
)
from accounts.tiers import CreditOperation
from adapters.services import circuit_storage_check
from circuits import signals
from circuits.configs import alias_default_namespace
from circuits.models import (
    Activity,
    Circuit,
    CircuitItem,
    CircuitOperation,
    CircuitPendingItem,
    CircuitPublishedItem,
    OperationStatus,
    OperationType,
    PendingItemStatus,
)
from circuits.services.activity import ActivityType, records_circuit_activity
from circuits.services.circuits import circuit_lock, circuit_require_active
from circuits.services.members import circuit_managers
from defarm.api.exceptions import ApiError, Conflict
from defarm.timeutils import unix_now
from items.identifiers import Identifier, identifiers_parse
from items.item_view import item_view, item_view_snapshot
from items.models import (
    DEFAULT_NAMESPACE,
    LOCAL_DFID_PREFIX,
    EventType,
    EventVisibility,
    Item,
    ItemStatus,
    LidDfidMapping,
)
from items.selectors import item_get_visible
from items.services import event_record, item_snapshot, local_item_get, local_item_tokenize


class PushLocalStatus:
    NEW_ITEM_CREATED = "NewItemCreated"
    EXISTING_ITEM_ENRICHED = "ExistingItemEnriched"
    PENDING_APPROVAL = "PendingApproval"


@dataclass(frozen=True)
class PushLocalResult:
    dfid: str | None
    status: str
    operation: CircuitOperation
    local_id: str


FINGERPRINT_KEY = "fingerprint"


class _AfterCommit:
    """Signals to send once the transaction commits."""

    def __init__(self) -> None:
        self.sends: list[Callable[[], None]] = []

    def add(self, signal, *, circuit: Circuit, item: Item, user: User, operation) -> None:
        self.sends.append(
            lambda: signal.send(
                sender=Circuit, circuit=circuit, item=item, user=user, operation=operation
            )
        )

    def schedule(self) -> None:
        sends = list(self.sends)

        def send_all() -> None:
            for send in sends:
                send()

        if sends:
            transaction.on_commit(send_all)


def _alias_error(rule: str, message: str, **details: Any) -> ApiError:
    return ApiError(
        f"Alias rule {rule} failed: {message}",
        code="alias_rule_failed",
        status_code=400,
        details={"rule": rule, **details},
    )


def circuit_alias_identifiers(
    *, circuit: Circuit, existing: list[Identifier], sent: Any
) -> tuple[list[Identifier], list[Identifier]]:
    """Check the identifiers of a push-local against the circuit's alias rules.

    Returns ``(all identifiers, identifiers to add)``: the local item's own plus those sent
    (sent ones without a namespace take the circuit's default namespace when
    ``auto_apply_namespace``), and the circuit fingerprint when ``use_fingerprint``.
    A broken rule is a 400 ``alias_rule_failed`` naming the rule.
    """
    config = circuit.alias_config or {}
    default_namespace = alias_default_namespace(config)
    added = identifiers_parse(sent or [], namespace_default=default_namespace)
    if default_namespace:
        # Tokenization gives the local item's ``generic`` identifiers the default namespace.
        existing = [
            replace(identifier, namespace=default_namespace)
            if identifier.namespace == DEFAULT_NAMESPACE
            else identifier
            for identifier in existing
        ]
    merged: dict[tuple[str, str, str], Identifier] = {}
    for identifier in [*existing, *added]:
        merged.setdefault(identifier.triple, identifier)
    identifiers = list(merged.values())

    allowed = config.get("allowed_namespaces") or []
    if allowed:
        outside = sorted(
            {
                identifier.namespace
                for identifier in identifiers
                if identifier.namespace not in allowed
            }
        )
        if outside:
            raise _alias_error(
                "allowed_namespaces",
                f"namespaces {', '.join(outside)} are not allowed (allowed: {', '.join(allowed)}).",
                namespaces=outside,
            )
    canonical_keys = {identifier.key for identifier in identifiers if identifier.is_canonical}
    missing = [key for key in config.get("required_canonical") or [] if key not in canonical_keys]
    if missing:
        raise _alias_error(
            "required_canonical",
            f"canonical identifiers required: {', '.join(missing)}.",
            missing=missing,
        )
    contextual_keys = {identifier.key for identifier in identifiers if not identifier.is_canonical}
    missing = [key for key in config.get("required_contextual") or [] if key not in contextual_keys]
    if missing:
        raise _alias_error(
            "required_contextual",
            f"contextual identifiers required: {', '.join(missing)}.",
            missing=missing,
        )
    if config.get("use_fingerprint"):
        contextual = sorted(
            identifier.triple
            for identifier in identifiers
            if not identifier.is_canonical and identifier.key != FINGERPRINT_KEY
        )
        if not contextual:
            raise _alias_error(
                "use_fingerprint",
                "items are fingerprinted by their contextual identifiers; send at least one.",
            )
        digest = hashlib.sha256(
            "|".join([str(circuit.pk), *("=".join(triple) for triple in contextual)]).encode()
        ).hexdigest()
        fingerprint = Identifier(
            namespace=default_namespace or contextual[0][0],
            key=FINGERPRINT_KEY,
            value=digest,
            id_type="Canonical",
            type_metadata={
                "registry": FINGERPRINT_KEY,
                "verified": False,
                "circuit_id": str(circuit.pk),
            },
        )
        if fingerprint.triple not in merged:
            identifiers.append(fingerprint)
            added.append(fingerprint)
    return identifiers, added


def _operation_create(
    *, circuit: Circuit, user: User, operation_type: str, dfid: str
) -> CircuitOperation:
    return CircuitOperation.objects.create(
        circuit=circuit,
        requester_id=user.pk,
        operation_type=operation_type,
        status=OperationStatus.PENDING,
        dfid=dfid,
    )


def _event_metadata(circuit: Circuit, operation: CircuitOperation) -> dict[str, Any]:
    return {"circuit_id": str(circuit.pk), "operation_id": str(operation.pk)}


def _operation_complete(
    *,
    circuit: Circuit,
    operation: CircuitOperation,
    item: Item,
    requester: User,
    approver: User | None,
    event_type: str,
    now: int,
    extra_details: dict[str, Any] | None = None,
) -> None:
    """What every completed push or pull leaves: an activity, a circuit-only event on the
    item, and the operation marked Completed (with its approver when one approved it)."""
    Activity.objects.create(
        activity_type=operation.operation_type,
        circuit=circuit,
        circuit_name=circuit.name,
        dfids=[item.pk],
        performed_by=requester.pk,
        status=OperationStatus.COMPLETED,
        details={
            "operation_id": str(operation.pk),
            "approver_id": approver.pk if approver else None,
            **(extra_details or {}),
        },
        timestamp_ts=now,
    )
    event_record(
        item=item,
        event_type=event_type,
        user=requester,
        source=f"circuit:{circuit.pk}",
        metadata=_event_metadata(circuit, operation),
        visibility=EventVisibility.CIRCUIT_ONLY,
    )
    operation.dfid = item.pk
    operation.status = OperationStatus.COMPLETED
    operation.completed_at_ts = now
    if approver is not None:
        operation.approver_id = approver.pk
        operation.approved_at_ts = now
    operation.save()


def _complete_push(
    *,
    circuit: Circuit,
    operation: CircuitOperation,
    item: Item,
    requester: User,
    approver: User | None,
    after: _AfterCommit,
    extra_details: dict[str, Any] | None = None,
) -> None:
    circuit_storage_check(circuit=circuit)
    now = unix_now()
    credits_charge(
        user=requester,
        operation=CreditOperation.CIRCUIT_OPERATION,
        description=f"Push of {item.pk} into circuit {circuit.name}",
    )
    CircuitItem.objects.get_or_create(
        circuit=circuit, item=item, defaults={"added_by": requester.pk, "added_at_ts": now}
    )
    _operation_complete(
        circuit=circuit,
        operation=operation,
        item=item,
        requester=requester,
        approver=approver,
        event_type=EventType.PUSHED_TO_CIRCUIT,
        now=now,
        extra_details=extra_details,
    )
    after.add(signals.item_pushed, circuit=circuit, item=item, user=requester, operation=operation)
    if (circuit.public_settings or {}).get("auto_publish_pushed_items"):
        _, published = CircuitPublishedItem.objects.get_or_create(
            circuit=circuit,
            item=item,
            defaults={"published_by": requester.pk, "published_at_ts": now},
        )
        if published:
            after.add(
                signals.item_published,
                circuit=circuit,
                item=item,
                user=requester,
                operation=operation,
            )


def _complete_pull(
    *,
    circuit: Circuit,
    operation: CircuitOperation,
    item: Item,
    requester: User,
    approver: User | None,
) -> None:
    now = unix_now()
    credits_charge(
        user=requester,
        operation=CreditOperation.CIRCUIT_OPERATION,
        description=f"Pull of {item.pk} from circuit {circuit.name}",
    )
    removed, _ = CircuitItem.objects.filter(circuit=circuit, item=item).delete()
    if not removed:
        raise ApiError(
            f"Item {item.pk} is no longer in the circuit.",
            code="item_not_in_circuit",
            status_code=404,
        )
    CircuitPublishedItem.objects.filter(circuit=circuit, item=item).delete()
    _operation_complete(
        circuit=circuit,
        operation=operation,
        item=item,
        requester=requester,
        approver=approver,
        event_type=EventType.PULLED_FROM_CIRCUIT,
        now=now,
    )


def _pending_item_create(
    *,
    circuit: Circuit,
    item: Item,
    operation: CircuitOperation,
    user: User,
    identifiers: list[dict[str, Any]],
    enriched_data: dict[str, Any] | None,
) -> CircuitPendingItem:
    existing = CircuitPendingItem.objects.select_for_update().filter(circuit=circuit, item=item)
    previous = existing.first()
    if previous is not None and previous.status == PendingItemStatus.PENDING:
        raise Conflict(
            f"Item {item.pk} already waits for approval in this circuit.",
            code="push_pending",
            details={"pending_item_id": str(previous.pk)},
        )
    # One row per (circuit, item): a new push after a decision reuses the decided row.
    values = {
        "identifiers": identifiers,
        "enriched_data": enriched_data,
        "pushed_by": user.pk,
        "pushed_at_ts": unix_now(),
        "status": PendingItemStatus.PENDING,
        "operation": operation,
    }
    if previous is not None:
        for field, value in values.items():
            setattr(previous, field, value)
        previous.save()
        pending = previous
    else:
        pending = CircuitPendingItem.objects.create(circuit=circuit, item=item, **values)
    notifications_create_many(
        users=circuit_managers(circuit=circuit),
        notification_type=NotificationType.ITEM_PENDING_APPROVAL,
        title=f"Item waiting for approval in {circuit.name}",
        message=f"{user.username} pushed {item.pk} into {circuit.name}; it waits for approval.",
        data={
            "circuit_id": str(circuit.pk),
            "pending_item_id": str(pending.pk),
            "operation_id": str(operation.pk),
        },
    )
    return pending


def _require_not_in_circuit(*, circuit: Circuit, item: Item) -> None:
    if CircuitItem.objects.filter(circuit=circuit, item=item).exists():
        raise Conflict(f"Item {item.pk} is already in the circuit.", code="item_already_in_circuit")


@records_circuit_activity(ActivityType.SHARE, "circuit_push", actor="user")
@transaction.atomic
def circuit_push(*, circuit: Circuit, user: User, dfid: str) -> CircuitOperation:
    """Push an existing item (which ``user`` must be able to see) into the circuit."""
    item = item_get_visible(user=user, dfid=dfid)
    if item.is_local:
        raise exceptions.ValidationError(
            {"dfid": ["A local item is pushed with push-local, which tokenizes it."]}
        )
    if item.status != ItemStatus.ACTIVE:
        raise Conflict(f"Item {item.pk} is {item.status}.", code="item_not_active")
    circuit = circuit_lock(circuit=circuit)
    circuit_require_active(circuit=circuit)
    _require_not_in_circuit(circuit=circuit, item=item)
    operation = _operation_create(
        circuit=circuit, user=user, operation_type=OperationType.PUSH, dfid=item.pk
    )
    if (circuit.permissions or {}).get("require_approval_for_push"):
        snapshot = item_view_snapshot(item_view(item=item, viewer=user))  # what the pusher sees
        _pending_item_create(
            circuit=circuit,
            item=item,
            operation=operation,
            user=user,
            identifiers=snapshot["identifiers"],
            enriched_data=snapshot["enriched_data"],
        )
        return operation
    after = _AfterCommit()
    _complete_push(
        circuit=circuit,
        operation=operation,
        item=item,
        requester=user,
        approver=None,
        after=after,
    )
    after.schedule()
    return operation


def _local_item_of(*, user: User, local_id: str) -> Item:
    """The caller's local item, still Active (404 for someone else's; 409 once tokenized)."""
    local_item = local_item_get(user=user, local_id=local_id)
    if local_item.status == ItemStatus.ACTIVE:
        return local_item
    mapping = LidDfidMapping.objects.filter(local_id=local_item.local_id).first()
    if mapping is not None and not mapping.item_id.startswith(LOCAL_DFID_PREFIX):
        raise Conflict(
            f"Local item {local_id} is already tokenized to {mapping.item_id}; "
            "push that DFID instead.",
            code="already_tokenized",
            details={"dfid": mapping.item_id},
        )
    raise Conflict(
        f"Local item {local_id} is {local_item.status}; only Active local items are pushed.",
        code="item_not_active",
    )


def _tokenize_and_push(
    *,
    circuit: Circuit,
    operation: CircuitOperation,
    requester: User,
    local_id: str,
    identifiers: list[Any],
    enriched_data: dict[str, Any] | None,
    approver: User | None,
    after: _AfterCommit,
    conflicts: list[Conflict],
) -> tuple[Item | None, str | None]:
    """Tokenize then push. When the identifiers point at several items, items has written
    the conflict row: the operation is marked Failed, the conflict is appended to
    ``conflicts`` (the caller raises it after commit) and ``(None, None)`` is returned."""
    mapping = LidDfidMapping.objects.select_related("item").get(local_id=local_id)
    if mapping.item.is_local:
        try:
            result = local_item_tokenize(
                user=requester,
                local_id=local_id,
                identifiers=identifiers,
                enriched_data=enriched_data,
                namespace_default=alias_default_namespace(circuit.alias_config),
                circuit_id=circuit.pk,
            )
        except Conflict as conflict:
            if not (conflict.details or {}).get("conflict_id"):
                raise
            operation.status = OperationStatus.FAILED
            operation.completed_at_ts = unix_now()
            operation.save(update_fields=["status", "completed_at_ts"])
            conflicts.append(conflict)
            return None, None
        item, created = result.item, result.created
        after.add(
            signals.item_tokenized,
            circuit=circuit,
            item=item,
            user=requester,
            operation=operation,
        )
    else:  # tokenized elsewhere while it waited for approval
        item, created = mapping.item, False
    status = PushLocalStatus.NEW_ITEM_CREATED if created else PushLocalStatus.EXISTING_ITEM_ENRICHED
    _complete_push(
        circuit=circuit,
        operation=operation,
        item=item,
        requester=requester,
        approver=approver,
        after=after,
        extra_details={"local_id": local_id, "result": status},
    )
    return item, status


@records_circuit_activity(ActivityType.SHARE, "circuit_push_local", actor="user")
def circuit_push_local(
    *,
    circuit: Circuit,
    user: User,
    local_id: str,
    identifiers: list[Any] | None = None,
    enriched_data: dict[str, Any] | None = None,
) -> PushLocalResult:
    """Tokenize one of ``user``'s local items into the circuit.

    Identifiers (the local item's plus those sent) must pass the circuit's alias rules.
    Without approval the item is tokenized at once (a new DFID, or an existing DFID holding
    one of its canonical identifiers is enriched) and pushed; with approval the snapshot waits
    for a manager and the answer is ``PendingApproval`` with no DFID yet.

    When the identifiers point at several existing items, the conflict row and the Failed
    operation are committed and the 409 naming the conflict is raised; any other failure
    writes nothing.
    """
    conflicts: list[Conflict] = []
    with transaction.atomic():
        result = _circuit_push_local(
            circuit=circuit,
            user=user,
            local_id=str(local_id),
            identifiers=identifiers,
            enriched_data=enriched_data,
            conflicts=conflicts,
        )
    if conflicts:
        raise conflicts[0]
    assert result is not None
    return result


def _circuit_push_local(
    *,
    circuit: Circuit,
    user: User,
    local_id: str,
    identifiers: list[Any] | None,
    enriched_data: dict[str, Any] | None,
    conflicts: list[Conflict],
) -> PushLocalResult | None:
    local_item = _local_item_of(user=user, local_id=local_id)
    if enriched_data is not None and not isinstance(enriched_data, dict):
        raise exceptions.ValidationError({"enriched_data": ["Must be an object."]})
    circuit = circuit_lock(circuit=circuit)
    circuit_require_active(circuit=circuit)
    existing = [Identifier(**row) for row in item_snapshot(item=local_item)["identifiers"]]
    all_identifiers, added = circuit_alias_identifiers(
        circuit=circuit, existing=existing, sent=identifiers
    )
    operation = _operation_create(
        circuit=circuit, user=user, operation_type=OperationType.PUSH, dfid=local_item.pk
    )
    if (circuit.permissions or {}).get("require_approval_for_push"):
        data = {**(local_item.enriched_data or {}), **(enriched_data or {})}
        _pending_item_create(
            circuit=circuit,
            item=local_item,
            operation=operation,
            user=user,
            identifiers=[identifier.as_dict() for identifier in all_identifiers],
            enriched_data=data,
        )
        return PushLocalResult(
            dfid=None,
            status=PushLocalStatus.PENDING_APPROVAL,
            operation=operation,
            local_id=local_id,
        )
    after = _AfterCommit()
    item, status = _tokenize_and_push(
        circuit=circuit,
        operation=operation,
        requester=user,
        local_id=local_id,
        identifiers=added,
        enriched_data=enriched_data,
        approver=None,
        after=after,
        conflicts=conflicts,
    )
    if item is None:
        return None
    after.schedule()
    return PushLocalResult(dfid=item.pk, status=status, operation=operation, local_id=local_id)


def _pending_item_lock(pending_item: CircuitPendingItem) -> CircuitPendingItem:
    locked = (
        CircuitPendingItem.objects.select_for_update(of=("self",))
        .select_related("circuit", "item", "operation")
        .get(pk=pending_item.pk)
    )
    if locked.status != PendingItemStatus.PENDING:
        raise Conflict(f"This item is already {locked.status}.", code="not_pending")
    return locked


def _pending_operation(pending_item: CircuitPendingItem, user_id: str) -> CircuitOperation:
    """The Push operation waiting on a pending item (created for rows that lack one)."""
    if pending_item.operation_id is not None:
        return CircuitOperation.objects.select_for_update().get(pk=pending_item.operation_id)
    return CircuitOperation.objects.create(
        circuit_id=pending_item.circuit_id,
        requester_id=user_id,
        operation_type=OperationType.PUSH,
        status=OperationStatus.PENDING,
        dfid=pending_item.item_id,
        created_at_ts=pending_item.pushed_at_ts,
    )


def approval_check_separation_of_duties(
    *, circuit: Circuit, requester_id: str, approver: User
) -> None:
    """A manager does not approve their own push or pull: a second manager or the circuit's
    owner does. The owner may approve their own request (a circuit they run alone must still
    work, and the owner holds every permission anyway)."""
    if approver.pk == requester_id and approver.pk != circuit.owner_id:
        raise exceptions.PermissionDenied(
            "You asked for this operation: another manager or the circuit's owner approves it."
        )


@records_circuit_activity(ActivityType.APPROVE, "pending_item_approve", actor="approver")
def pending_item_approve(*, pending_item: CircuitPendingItem, approver: User) -> CircuitOperation:
    """Approve a pushed item waiting in the circuit: a local item is tokenized now, then the
    push completes (charged to the member who pushed it).

    An identifier conflict met while tokenizing marks the operation Failed, keeps the item
    pending (it can be approved again once staff resolved the conflict) and raises the 409.
    """
    conflicts: list[Conflict] = []
    with transaction.atomic():
        operation = _pending_item_approve(
            pending_item=pending_item, approver=approver, conflicts=conflicts
        )
    if conflicts:
        raise conflicts[0]
    return operation


def _pending_item_approve(
    *, pending_item: CircuitPendingItem, approver: User, conflicts: list[Conflict]
) -> CircuitOperation:
    # Locks in one order everywhere: the circuit, then its pending item, then the operation.
    circuit = circuit_lock(circuit=Circuit(pk=pending_item.circuit_id))
    pending_item = _pending_item_lock(pending_item)
    circuit_require_active(circuit=circuit)
    requester = User.objects.get(pk=pending_item.pushed_by)
    approval_check_separation_of_duties(
        circuit=circuit, requester_id=requester.pk, approver=approver
    )
    operation = _pending_operation(pending_item, requester.pk)
    after = _AfterCommit()
    item = pending_item.item
    if item.is_local:
        local_id = item.local_id
        item, _ = _tokenize_and_push(
            circuit=circuit,
            operation=operation,
            requester=requester,
            local_id=local_id,
            identifiers=pending_item.identifiers or [],
            enriched_data=pending_item.enriched_data,
            approver=approver,
            after=after,
            conflicts=conflicts,
        )
        if item is None:
            return operation
    else:
        _complete_push(
            circuit=circuit,
            operation=operation,
            item=item,
            requester=requester,
            approver=approver,
            after=after,
        )
    after.sends.insert(
        0,
        lambda: signals.item_approved.send(
            sender=Circuit, circuit=circuit, item=item, user=approver, operation=operation
        ),
    )
    pending_item.status = PendingItemStatus.APPROVED
    pending_item.operation = operation
    pending_item.save(update_fields=["status", "operation"])
    notification_create(
        user=requester,
        notification_type=NotificationType.ITEM_APPROVED,
        title=f"Item approved in {circuit.name}",
        message=f"{item.pk} was approved into the circuit {circuit.name}.",
        data={"circuit_id": str(circuit.pk), "dfid": item.pk, "operation_id": str(operation.pk)},
    )
    after.schedule()
    return operation


@records_circuit_activity(ActivityType.REJECT, "pending_item_reject", actor="approver")
@transaction.atomic
def pending_item_reject(
    *, pending_item: CircuitPendingItem, approver: User, reason: str = ""
) -> CircuitOperation:
    """Refuse a pushed item: nothing enters the circuit and nothing is charged."""
    pending_item = _pending_item_lock(pending_item)
    operation = _pending_operation(pending_item, pending_item.pushed_by)
    now = unix_now()
    operation.status = OperationStatus.REJECTED
    operation.approver_id = approver.pk
    operation.completed_at_ts = now
    operation.rejection_reason = reason or None
    operation.save()
    pending_item.status = PendingItemStatus.REJECTED
    pending_item.operation = operation
    pending_item.save(update_fields=["status", "operation"])
    circuit = pending_item.circuit
    notification_create(
        user=pending_item.pushed_by,
        notification_type=NotificationType.ITEM_REJECTED,
        title=f"Item rejected in {circuit.name}",
        message=f"{pending_item.item_id} was not accepted into the circuit {circuit.name}."
        + (f" Reason: {reason}" if reason else ""),
        data={
            "circuit_id": str(circuit.pk),
            "dfid": pending_item.item_id,
            "operation_id": str(operation.pk),
            "reason": reason,
        },
    )
    return operation


@records_circuit_activity(ActivityType.READ, "circuit_pull", actor="user")
@transaction.atomic
def circuit_pull(*, circuit: Circuit, user: User, dfid: str) -> CircuitOperation:
    """Take an item out of the circuit; with ``require_approval_for_pull`` the Pull operation
    waits (Pending) for a manager's ``operation_approve``."""
    circuit = circuit_lock(circuit=circuit)
    circuit_require_active(circuit=circuit)
    circuit_item = (
        CircuitItem.objects.select_related("item").filter(circuit=circuit, item_id=dfid).first()
    )
    if circuit_item is None:
        raise ApiError(
            f"Item {dfid} is not in the circuit.", code="item_not_in_circuit", status_code=404
        )
    if CircuitOperation.objects.filter(
        circuit=circuit,
        dfid=dfid,
        operation_type=OperationType.PULL,
        status=OperationStatus.PENDING,
    ).exists():
        raise Conflict(f"A pull of {dfid} already waits for approval.", code="pull_pending")
    operation = _operation_create(
        circuit=circuit, user=user, operation_type=OperationType.PULL, dfid=dfid
    )
    if (circuit.permissions or {}).get("require_approval_for_pull"):
        notifications_create_many(
            users=circuit_managers(circuit=circuit),
            notification_type=NotificationType.ITEM_PENDING_APPROVAL,
            title=f"Pull waiting for approval in {circuit.name}",
            message=f"{user.username} asks to pull {dfid} from {circuit.name}.",
            data={"circuit_id": str(circuit.pk), "operation_id": str(operation.pk)},
        )
        return operation
    _complete_pull(
        circuit=circuit, operation=operation, item=circuit_item.item, requester=user, approver=None
    )
    return operation


def _operation_lock(operation: CircuitOperation) -> CircuitOperation:
    locked = CircuitOperation.objects.select_for_update().get(pk=operation.pk)
    if locked.status != OperationStatus.PENDING:
        raise Conflict(f"This operation is already {locked.status}.", code="not_pending")
    return locked


@records_circuit_activity(ActivityType.APPROVE, "operation_approve", actor="approver")
def operation_approve(*, operation: CircuitOperation, approver: User) -> CircuitOperation:
    """Approve a Pending operation: a push through its pending item, a pull by completing it
    (charged to the member who asked)."""
    if operation.operation_type == OperationType.PUSH:
        pending = CircuitPendingItem.objects.filter(operation=operation).first()
        if pending is None or operation.status != OperationStatus.PENDING:
            raise Conflict(f"This operation is already {operation.status}.", code="not_pending")
        return pending_item_approve(pending_item=pending, approver=approver)
    return _pull_approve(operation=operation, approver=approver)


@transaction.atomic
def _pull_approve(*, operation: CircuitOperation, approver: User) -> CircuitOperation:
    circuit = circuit_lock(circuit=Circuit(pk=operation.circuit_id))
    operation = _operation_lock(operation)
    circuit_require_active(circuit=circuit)
    approval_check_separation_of_duties(
        circuit=circuit, requester_id=operation.requester_id, approver=approver
    )
    item = Item.objects.filter(pk=operation.dfid).first()
    if item is None:
        raise exceptions.NotFound(f"Item {operation.dfid} not found.")
    _complete_pull(
        circuit=circuit,
        operation=operation,
        item=item,
        requester=User.objects.get(pk=operation.requester_id),
        approver=approver,
    )
    return operation


@records_circuit_activity(ActivityType.REJECT, "operation_reject", actor="approver")
@transaction.atomic
def operation_reject(
    *, operation: CircuitOperation, approver: User, reason: str = ""
) -> CircuitOperation:
    operation = _operation_lock(operation)
    if operation.operation_type == OperationType.PUSH:
        pending = CircuitPendingItem.objects.filter(operation=operation).first()
        if pending is not None:
            return pending_item_reject(pending_item=pending, approver=approver, reason=reason)
    operation.status = OperationStatus.REJECTED
    operation.approver_id = approver.pk
    operation.completed_at_ts = unix_now()
    operation.rejection_reason = reason or None
    operation.save()
    notification_create(
        user=operation.requester_id,
        notification_type=NotificationType.ITEM_REJECTED,
        title=f"{operation.operation_type} rejected in {operation.circuit.name}",
        message=f"Your {operation.operation_type.lower()} of {operation.dfid} was not approved."
        + (f" Reason: {reason}" if reason else ""),
        data={
            "circuit_id": str(operation.circuit_id),
            "operation_id": str(operation.pk),
            "reason": reason,
        },
    )
    return operation
