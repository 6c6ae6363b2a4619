"""Items entering a circuit are stored through the circuit's adapter."""

import logging

from django.dispatch import receiver

from adapters.backends import AdapterNotConfigured, StorageFailed
from adapters.selectors import storage_adapter_for
from adapters.services import circuit_adapter_type, item_store_for_circuit
from audit.services import log_write
from circuits import signals

logger = logging.getLogger("defarm.storage")


@receiver(signals.item_pushed, dispatch_uid="adapters.store_pushed_item")
@receiver(signals.item_approved, dispatch_uid="adapters.store_approved_item")
def store_item_entering_circuit(sender, *, circuit, item, user=None, operation=None, **kwargs):
    """Runs after the push committed: a backend failing now is logged, not raised, because
    the push itself has already succeeded (its adapter was checked before it completed)."""
    try:
        item_store_for_circuit(circuit=circuit, item=item, user=user, operation=operation)
    except (AdapterNotConfigured, StorageFailed) as error:
        logger.error("Storing %s for circuit %s failed: %s", item.pk, circuit.pk, error)
        log_write(
            level="ERROR",
            engine="storage",
            event_type="storage_failed",
            message=f"Storing {item.pk} through the circuit's adapter failed: {error}",
            context={
                "dfid": item.pk,
                "circuit_id": str(circuit.pk),
                "operation_id": str(operation.pk) if operation is not None else None,
                "error": getattr(error, "error_code", "storage_failed"),
            },
        )


@receiver(signals.items_pushed, dispatch_uid="adapters.store_batch_pushed_items")
def store_items_entering_circuit(sender, *, circuit, items, operations, user=None, **kwargs):
    """A batch push: each item is stored as a single push stores it (nothing to do, and no
    query, when the circuit's adapter stores nothing)."""
    if storage_adapter_for(adapter_type=circuit_adapter_type(circuit)) is None:
        return
    for item, operation in zip(items, operations, strict=True):
        store_item_entering_circuit(
            sender, circuit=circuit, item=item, user=user, operation=operation
        )
