"""Items entering a circuit are stored through the circuit's adapter."""

from django.dispatch import receiver

from adapters.services import item_store_for_circuit
from circuits import signals


@receiver(signals.item_pushed, dispatch_uid="adapters.store_pushed_item")
@receiver(signals.item_approved, dispatch_uid="adapters.store_approved_item")
def store_item_entering_circuit(sender, *, circuit, item, user=None, operation=None, **kwargs):
    item_store_for_circuit(circuit=circuit, item=item, user=user, operation=operation)
