"""Real data made through the services, for admin action tests and browser tests."""

from dataclasses import dataclass

from accounts.models import User
from circuits.models import Circuit, CircuitPendingItem
from items.models import Item


@dataclass
class PendingPush:
    owner: User
    circuit: Circuit
    item: Item
    pending_item: CircuitPendingItem


def pending_push(*, owner: User, identifier_value: str = "BR123456789012") -> PendingPush:
    """A circuit that requires approval for pushes, and an item of its owner waiting in it."""
    from circuits.services import circuit_create, circuit_push
    from items.services import item_create

    circuit = circuit_create(
        owner=owner, name="Coop Sul", permissions={"require_approval_for_push": True}
    )
    item = item_create(
        user=owner,
        identifiers=[
            {
                "namespace": "bovino",
                "key": "sisbov",
                "value": identifier_value,
                "id_type": "Canonical",
            }
        ],
        enriched_data={"breed": "Nelore"},
    ).item
    circuit_push(circuit=circuit, user=owner, dfid=item.dfid)
    pending_item = CircuitPendingItem.objects.get(circuit=circuit, item=item)
    return PendingPush(owner=owner, circuit=circuit, item=item, pending_item=pending_item)
