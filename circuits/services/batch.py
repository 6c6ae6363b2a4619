"""Pushing many items into a circuit at once, with the outcome of as many single pushes.

``circuit_push_many`` gives each DFID the answer ``circuit_push`` would have given it, pushed
one after the other in the order sent: a DFID the caller cannot see is 404, a local one 400,
one not Active 409, one already in the circuit (or sent twice) 409; with
``require_approval_for_push`` each waits as a pending item (409 ``push_pending`` when it
already waits); otherwise each completes with its operation, circuit item, activity and
PushedToCircuit event, as many as the pusher's credits cover (the others 402), paid in one
ledger row. A failed DFID writes nothing and does not stop the others.

The work is set-based: one read per kind of row for the whole batch and one insert per table
(``INSERT ... SELECT FROM unnest(...)`` on PostgreSQL, the ORM's ``bulk_create`` elsewhere),
under the circuit's row lock, so concurrent pushes into one circuit serialize as single pushes
do. Receivers hear
the plural signals (``items_pushed``, ``items_published``) once per batch after commit.
"""

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from rest_framework import exceptions

from accounts.models import User
from accounts.services.credits import credits_charge_many
from accounts.services.notifications import NotificationType, notifications_create_each
from accounts.tiers import CreditOperation
from adapters.services import circuit_storage_check
from circuits import signals
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
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now
from items.item_view import item_view, item_view_snapshot, items_prefetch_views
from items.models import EventType, EventVisibility, Item, ItemStatus
from items.selectors import items_visible_to
from items.services import events_record_many
from items.services.events import EventDraft, event_content_hash

PUSH_BATCH_MAX = 1000


@dataclass(frozen=True)
class PushManyResult:
    """The answer for one DFID of a batch: its operation, or the error a single push of it
    would have raised."""

    dfid: str
    operation: CircuitOperation | None = None
    error: exceptions.APIException | None = None


@records_circuit_activity(ActivityType.SHARE, "circuit_push_batch", actor="user")
def circuit_push_many(*, circuit: Circuit, user: User, dfids: list[str]) -> list[PushManyResult]:
    """Push ``dfids`` into ``circuit`` as ``user``: one result per DFID, in the order sent."""
    if len(dfids) > PUSH_BATCH_MAX:
        raise exceptions.ValidationError({"items": [f"At most {PUSH_BATCH_MAX} items."]})
    with transaction.atomic():
        return _push_many(circuit=circuit, user=user, dfids=[str(dfid) for dfid in dfids])


def _item_errors(
    *, user: User, dfids: list[str]
) -> tuple[dict[int, exceptions.APIException], dict[str, Item]]:
    """What ``circuit_push`` checks of the item before it looks at the circuit."""
    wanted = list(dict.fromkeys(dfids))
    items = {item.pk: item for item in items_visible_to(user=user).filter(dfid__in=wanted)}
    errors: dict[int, exceptions.APIException] = {}
    for index, dfid in enumerate(dfids):
        item = items.get(dfid)
        if item is None:
            errors[index] = exceptions.NotFound(f"Item {dfid} not found.")
        elif item.is_local:
            errors[index] = exceptions.ValidationError(
                {"dfid": ["A local item is pushed with push-local, which tokenizes it."]}
            )
        elif item.status != ItemStatus.ACTIVE:
            errors[index] = Conflict(f"Item {item.pk} is {item.status}.", code="item_not_active")
    return errors, items


def _push_many(*, circuit: Circuit, user: User, dfids: list[str]) -> list[PushManyResult]:
    errors, items = _item_errors(user=user, dfids=dfids)
    circuit = circuit_lock(circuit=circuit)
    candidates = [index for index in range(len(dfids)) if index not in errors]
    try:
        circuit_require_active(circuit=circuit)
    except Conflict as error:
        errors.update(dict.fromkeys(candidates, error))
        candidates = []
    held = set(
        CircuitItem.objects.filter(
            circuit=circuit, item_id__in=list({dfids[index] for index in candidates})
        ).values_list("item_id", flat=True)
    )
    accepted: list[int] = []
    for index in candidates:
        if dfids[index] in held:
            errors[index] = _already_in_circuit(dfids[index])
        else:
            accepted.append(index)
    operations: dict[int, CircuitOperation] = {}
    if accepted and (circuit.permissions or {}).get("require_approval_for_push"):
        operations = _queue_for_approval(
            circuit=circuit, user=user, dfids=dfids, items=items, accepted=accepted, errors=errors
        )
    elif accepted:
        operations = _complete_pushes(
            circuit=circuit, user=user, dfids=dfids, items=items, accepted=accepted, errors=errors
        )
    return [
        PushManyResult(dfid=dfid, operation=operations.get(index), error=errors.get(index))
        for index, dfid in enumerate(dfids)
    ]


def _already_in_circuit(dfid: str) -> Conflict:
    return Conflict(f"Item {dfid} is already in the circuit.", code="item_already_in_circuit")


def _operations_create(
    *, circuit: Circuit, user: User, dfids: list[str], status: str, now: int
) -> list[CircuitOperation]:
    return CircuitOperation.objects.bulk_create(
        [
            CircuitOperation(
                operation_id=uuid.uuid4(),
                circuit=circuit,
                requester_id=user.pk,
                operation_type=OperationType.PUSH,
                status=status,
                dfid=dfid,
                created_at_ts=now,
                completed_at_ts=now if status == OperationStatus.COMPLETED else None,
            )
            for dfid in dfids
        ]
    )


def _queue_for_approval(
    *,
    circuit: Circuit,
    user: User,
    dfids: list[str],
    items: dict[str, Item],
    accepted: list[int],
    errors: dict[int, exceptions.APIException],
) -> dict[int, CircuitOperation]:
    """Each accepted DFID waits as a pending item holding what the pusher sees of it; one
    already waiting (before the batch or earlier in it) is 409 ``push_pending``."""
    previous = {
        pending.item_id: pending
        for pending in CircuitPendingItem.objects.select_for_update().filter(
            circuit=circuit, item_id__in=list({dfids[index] for index in accepted})
        )
    }
    waiting = {
        dfid: pending.pk
        for dfid, pending in previous.items()
        if pending.status == PendingItemStatus.PENDING
    }
    queued: list[int] = []
    for index in accepted:
        dfid = dfids[index]
        if dfid in waiting:
            errors[index] = Conflict(
                f"Item {dfid} already waits for approval in this circuit.",
                code="push_pending",
                details={"pending_item_id": str(waiting[dfid])},
            )
            continue
        queued.append(index)
        # One row per (circuit, item): a decided row is reused, as a single push reuses it.
        waiting[dfid] = previous[dfid].pk if dfid in previous else uuid.uuid4()
    if not queued:
        return {}
    now = unix_now()
    queued_items = [items[dfids[index]] for index in queued]
    items_prefetch_views(queued_items, viewer=user)
    operations = _operations_create(
        circuit=circuit,
        user=user,
        dfids=[item.pk for item in queued_items],
        status=OperationStatus.PENDING,
        now=now,
    )
    rows: list[CircuitPendingItem] = []
    for item, operation in zip(queued_items, operations, strict=True):
        snapshot = item_view_snapshot(item_view(item=item, viewer=user))
        rows.append(
            CircuitPendingItem(
                id=waiting[item.pk],
                circuit=circuit,
                item=item,
                identifiers=snapshot["identifiers"],
                enriched_data=snapshot["enriched_data"],
                pushed_by=user.pk,
                pushed_at_ts=now,
                status=PendingItemStatus.PENDING,
                operation=operation,
            )
        )
    CircuitPendingItem.objects.bulk_create([row for row in rows if row.item_id not in previous])
    CircuitPendingItem.objects.bulk_update(
        [row for row in rows if row.item_id in previous],
        ["identifiers", "enriched_data", "pushed_by", "pushed_at_ts", "status", "operation"],
    )
    notifications_create_each(
        users=circuit_managers(circuit=circuit),
        notification_type=NotificationType.ITEM_PENDING_APPROVAL,
        notices=[
            (
                f"Item waiting for approval in {circuit.name}",
                f"{user.username} pushed {row.item_id} into {circuit.name}; it waits for approval.",
                {
                    "circuit_id": str(circuit.pk),
                    "pending_item_id": str(row.pk),
                    "operation_id": str(row.operation_id),
                },
            )
            for row in rows
        ],
    )
    return dict(zip(queued, operations, strict=True))


def _complete_pushes(
    *,
    circuit: Circuit,
    user: User,
    dfids: list[str],
    items: dict[str, Item],
    accepted: list[int],
    errors: dict[int, exceptions.APIException],
) -> dict[int, CircuitOperation]:
    """Each accepted DFID enters the circuit, as many as the pusher's credits pay for,
    charged in one ledger row. A DFID sent again meets what its first copy left: already in
    the circuit when that one entered, the same refusal otherwise."""
    first_copy: dict[str, int] = {}
    copies: list[int] = []
    for index in accepted:
        if dfids[index] in first_copy:
            copies.append(index)
        else:
            first_copy[dfids[index]] = index
    entering = list(first_copy.values())
    try:
        circuit_storage_check(circuit=circuit)
    except exceptions.APIException as error:
        errors.update(dict.fromkeys(accepted, error))
        return {}
    paid, shortfall = credits_charge_many(
        user=user,
        operation=CreditOperation.CIRCUIT_OPERATION,
        count=len(entering),
        description=f"Push of {{count}} items into circuit {circuit.name}",
    )
    if shortfall is not None:
        errors.update(dict.fromkeys(entering[paid:], shortfall))
    entering = entering[:paid]
    for index in copies:
        first = first_copy[dfids[index]]
        errors[index] = errors[first] if first in errors else _already_in_circuit(dfids[index])
    if not entering:
        return {}
    now = unix_now()
    pushed = [items[dfids[index]] for index in entering]
    operations = [
        CircuitOperation(
            operation_id=uuid.uuid4(),
            circuit=circuit,
            requester_id=user.pk,
            operation_type=OperationType.PUSH,
            status=OperationStatus.COMPLETED,
            dfid=item.pk,
            created_at_ts=now,
            completed_at_ts=now,
        )
        for item in pushed
    ]
    publish = bool((circuit.public_settings or {}).get("auto_publish_pushed_items"))
    write = _pushes_write_postgresql if connection.vendor == "postgresql" else _pushes_write
    published = write(
        circuit=circuit, user=user, items=pushed, operations=operations, now=now, publish=publish
    )
    _send_after_commit(
        circuit=circuit, user=user, items=pushed, operations=operations, published=published
    )
    return dict(zip(entering, operations, strict=True))


def _push_event_content(
    *, circuit: Circuit, operation: CircuitOperation
) -> tuple[str, dict[str, str]]:
    """The source and metadata of the PushedToCircuit event a push records (as
    ``_operation_complete`` records it for a single push)."""
    return f"circuit:{circuit.pk}", {
        "circuit_id": str(circuit.pk),
        "operation_id": str(operation.pk),
    }


def _pushes_write_postgresql(
    *,
    circuit: Circuit,
    user: User,
    items: list[Item],
    operations: list[CircuitOperation],
    now: int,
    publish: bool,
) -> set[str]:
    """The rows of completed pushes: one ``INSERT ... SELECT FROM unnest(...)`` per table.
    Returns the DFIDs newly published."""
    for operation in operations:  # written below, as saved rows are
        operation._state.adding, operation._state.db = False, connection.alias
    dfids = [item.pk for item in items]
    operation_ids = [operation.pk for operation in operations]
    source = f"circuit:{circuit.pk}"
    hashes = []
    for item, operation in zip(items, operations, strict=True):
        _, metadata = _push_event_content(circuit=circuit, operation=operation)
        hashes.append(
            event_content_hash(
                dfid=item.pk,
                event_type=EventType.PUSHED_TO_CIRCUIT,
                source=source,
                metadata=metadata,
            )
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO circuit_operations (operation_id, circuit_id, requester_id, "
            "operation_type, status, created_at_ts, completed_at_ts, dfid) "
            "SELECT pushed.operation_id, %s, %s, %s, %s, %s, %s, pushed.dfid "
            "FROM unnest(%s::uuid[], %s::varchar[]) AS pushed(operation_id, dfid)",
            [
                circuit.pk,
                user.pk,
                OperationType.PUSH,
                OperationStatus.COMPLETED,
                now,
                now,
                operation_ids,
                dfids,
            ],
        )
        cursor.execute(
            "INSERT INTO circuit_items (circuit_id, dfid, added_by, added_at_ts) "
            "SELECT %s, pushed.dfid, %s, %s FROM unnest(%s::varchar[]) AS pushed(dfid)",
            [circuit.pk, user.pk, now, dfids],
        )
        cursor.execute(
            "INSERT INTO activities (activity_id, activity_type, circuit_id, circuit_name, dfids, "
            "performed_by, status, details, timestamp_ts) "
            "SELECT gen_random_uuid(), %s, %s, %s, ARRAY[pushed.dfid], %s, %s, "
            "jsonb_build_object('operation_id', pushed.operation_id::text, 'approver_id', null), "
            "%s FROM unnest(%s::uuid[], %s::text[]) AS pushed(operation_id, dfid)",
            [
                OperationType.PUSH,
                circuit.pk,
                circuit.name,
                user.pk,
                OperationStatus.COMPLETED,
                now,
                operation_ids,
                dfids,
            ],
        )
        cursor.execute(
            "INSERT INTO events (event_id, dfid, event_type, timestamp, metadata, visibility, "
            "created_by, content_hash) "
            "SELECT gen_random_uuid(), pushed.dfid, %s, %s, jsonb_build_object('circuit_id', "
            "%s::text, 'operation_id', pushed.operation_id::text, 'source', %s::text), %s, %s, "
            "pushed.content_hash "
            "FROM unnest(%s::varchar[], %s::uuid[], %s::varchar[]) "
            "AS pushed(dfid, operation_id, content_hash) "
            "ON CONFLICT (content_hash) DO NOTHING",
            [
                EventType.PUSHED_TO_CIRCUIT,
                now,
                str(circuit.pk),
                source,
                EventVisibility.CIRCUIT_ONLY,
                user.pk,
                dfids,
                operation_ids,
                hashes,
            ],
        )
        if not publish:
            return set()
        cursor.execute(
            "INSERT INTO circuit_published_items (circuit_id, dfid, published_by, "
            "published_at_ts) SELECT %s, pushed.dfid, %s, %s "
            "FROM unnest(%s::varchar[]) WITH ORDINALITY AS pushed(dfid, position) "
            "ORDER BY pushed.position "
            "ON CONFLICT (circuit_id, dfid) DO NOTHING RETURNING dfid",
            [circuit.pk, user.pk, now, dfids],
        )
        return {dfid for (dfid,) in cursor.fetchall()}


def _pushes_write(
    *,
    circuit: Circuit,
    user: User,
    items: list[Item],
    operations: list[CircuitOperation],
    now: int,
    publish: bool,
) -> set[str]:
    """The same rows as ``_pushes_write_postgresql``, through the ORM's bulk inserts (SQLite).
    Returns the DFIDs newly published."""
    CircuitOperation.objects.bulk_create(operations)
    CircuitItem.objects.bulk_create(
        [
            CircuitItem(
                id=uuid.uuid4(), circuit=circuit, item=item, added_by=user.pk, added_at_ts=now
            )
            for item in items
        ]
    )
    Activity.objects.bulk_create(
        [
            Activity(
                activity_id=uuid.uuid4(),
                activity_type=OperationType.PUSH,
                circuit=circuit,
                circuit_name=circuit.name,
                dfids=[item.pk],
                performed_by=user.pk,
                status=OperationStatus.COMPLETED,
                details={"operation_id": str(operation.pk), "approver_id": None},
                timestamp_ts=now,
            )
            for item, operation in zip(items, operations, strict=True)
        ]
    )
    drafts = []
    for item, operation in zip(items, operations, strict=True):
        source, metadata = _push_event_content(circuit=circuit, operation=operation)
        drafts.append(
            EventDraft(
                item=item,
                event_type=EventType.PUSHED_TO_CIRCUIT,
                user=user,
                source=source,
                metadata=metadata,
                visibility=EventVisibility.CIRCUIT_ONLY,
            )
        )
    events_record_many(drafts=drafts)
    if not publish:
        return set()
    already = set(
        CircuitPublishedItem.objects.filter(
            circuit=circuit, item_id__in=[item.pk for item in items]
        ).values_list("item_id", flat=True)
    )
    fresh = [item for item in items if item.pk not in already]
    CircuitPublishedItem.objects.bulk_create(
        [
            CircuitPublishedItem(
                circuit=circuit, item=item, published_by=user.pk, published_at_ts=now
            )
            for item in fresh
        ]
    )
    return {item.pk for item in fresh}


def _send_after_commit(
    *,
    circuit: Circuit,
    user: User,
    items: list[Item],
    operations: list[CircuitOperation],
    published: set[str],
) -> None:
    published_pairs = [
        (item, operation)
        for item, operation in zip(items, operations, strict=True)
        if item.pk in published
    ]

    def send() -> None:
        signals.items_pushed.send(
            sender=Circuit, circuit=circuit, items=items, operations=operations, user=user
        )
        if published_pairs:
            signals.items_published.send(
                sender=Circuit,
                circuit=circuit,
                items=[item for item, _ in published_pairs],
                operations=[operation for _, operation in published_pairs],
                user=user,
            )

    transaction.on_commit(send)
