"""Two snapshot takers of the same chain at once (PostgreSQL: real advisory locks)."""

import itertools

import pytest

from items.snapshots.models import Snapshot
from items.snapshots.services import snapshot_take
from tests.adapters.factories import ItemFactory
from tests.circuits.test_concurrency import in_parallel

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_concurrent_takers_extend_one_chain_in_order():
    item = ItemFactory()

    def take():
        return snapshot_take(entity_type="item", entity_id=item.dfid, operation="Requested")

    for _ in range(3):
        in_parallel([take, take, take, take])

    chain = list(Snapshot.objects.filter(entity_id=item.dfid).order_by("version"))
    assert [snapshot.version for snapshot in chain] == list(range(1, 13))
    assert chain[0].parent_id is None and chain[0].state["previous_cid"] is None
    for previous, snapshot in itertools.pairwise(chain):
        assert snapshot.parent_id == previous.snapshot_id
        assert snapshot.state["previous_cid"] == previous.cid
