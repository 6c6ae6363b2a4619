"""Timeline sequence numbers under concurrent snapshots of different chains of one item
(PostgreSQL: real advisory locks)."""

import pytest

from items.snapshots.models import ItemCidTimeline
from items.snapshots.services import snapshot_take
from tests.adapters.factories import CircuitFactory, ItemFactory, circuit_hold
from tests.circuits.test_concurrency import in_parallel

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_concurrent_chains_of_one_item_get_distinct_sequences():
    item = ItemFactory()
    scopes = [""]
    for _ in range(3):
        circuit = CircuitFactory(adapter_config={"adapter_type": "local"})
        circuit_hold(circuit, item)
        scopes.append(str(circuit.circuit_id))

    def take(scope):
        return lambda: snapshot_take(
            entity_type="item", entity_id=item.dfid, scope=scope, operation="Requested"
        )

    for _ in range(3):
        snapshots = in_parallel([take(scope) for scope in scopes])
        assert all(snapshot is not None for snapshot in snapshots)

    entries = ItemCidTimeline.objects.filter(dfid=item.dfid).order_by("event_sequence")
    assert list(entries.values_list("event_sequence", flat=True)) == list(range(1, 13))
    assert len(set(entries.values_list("cid", flat=True))) == 12
