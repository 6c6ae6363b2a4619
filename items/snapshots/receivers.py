"""An item entering a circuit gets a snapshot of the item as the circuit holds it, and the
circuit one of itself; both are taken by the background worker."""

from django.dispatch import receiver

from circuits import signals
from items.snapshots.models import SnapshotEntityType, SnapshotOperation
from items.snapshots.services import SYSTEM, SnapshotRequest, snapshots_schedule


def _item_request(*, circuit_id: str, item, created_by: str, operation) -> SnapshotRequest:
    details = {"circuit_id": circuit_id, "dfid": item.pk}
    if operation is not None:
        details["operation_id"] = str(operation.pk)
    return SnapshotRequest(
        entity_type=SnapshotEntityType.ITEM,
        entity_id=item.pk,
        scope=circuit_id,
        operation=SnapshotOperation.ITEM_PUSHED_TO_CIRCUIT,
        created_by=created_by,
        operation_details=details,
    )


def _circuit_request(*, circuit_id: str, created_by: str, dfids: list[str]) -> SnapshotRequest:
    details: dict = {"circuit_id": circuit_id}
    if len(dfids) == 1:
        details["dfid"] = dfids[0]
    else:
        details["dfids"] = dfids
    return SnapshotRequest(
        entity_type=SnapshotEntityType.CIRCUIT,
        entity_id=circuit_id,
        operation=SnapshotOperation.CIRCUIT_ITEM_PUSHED,
        created_by=created_by,
        operation_details=details,
    )


@receiver(signals.item_pushed, dispatch_uid="snapshots.snapshot_pushed_item")
@receiver(signals.item_approved, dispatch_uid="snapshots.snapshot_approved_item")
def snapshot_item_entering_circuit(sender, *, circuit, item, user=None, operation=None, **kwargs):
    circuit_id = str(circuit.circuit_id)
    created_by = user.user_id if user is not None else SYSTEM
    snapshots_schedule(
        requests=[
            _item_request(
                circuit_id=circuit_id, item=item, created_by=created_by, operation=operation
            ),
            _circuit_request(circuit_id=circuit_id, created_by=created_by, dfids=[item.pk]),
        ]
    )


@receiver(signals.items_pushed, dispatch_uid="snapshots.snapshot_batch_pushed_items")
def snapshot_items_entering_circuit(sender, *, circuit, items, operations, user=None, **kwargs):
    """A batch push: one task for a snapshot of each item and one of the circuit."""
    circuit_id = str(circuit.circuit_id)
    created_by = user.user_id if user is not None else SYSTEM
    requests = [
        _item_request(circuit_id=circuit_id, item=item, created_by=created_by, operation=operation)
        for item, operation in zip(items, operations, strict=True)
    ]
    if requests:
        requests.append(
            _circuit_request(
                circuit_id=circuit_id, created_by=created_by, dfids=[item.pk for item in items]
            )
        )
    snapshots_schedule(requests=requests)
