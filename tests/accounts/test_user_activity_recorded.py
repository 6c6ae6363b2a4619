"""The activity rows DeFarm writes itself where items, events and circuits change."""

import pytest

from accounts.models import UserActivity
from circuits.services import circuit_archive, circuit_push, circuit_push_many
from circuits.services.activity import ActivityType, records_circuit_activity
from items.services import (
    event_record,
    event_submit,
    item_deprecate,
    items_create_bulk,
    local_item_create,
)
from tests.circuits.factories import CircuitFactory
from tests.items.factories import canonical, item_for

pytestmark = pytest.mark.django_db


def rows(user, **filters):
    return list(
        UserActivity.objects.filter(user=user, **filters)
        .order_by("timestamp_ts", "action")
        .values_list("category", "activity_type", "resource_type", "resource_id", "action")
    )


def test_item_changes(user):
    item = item_for(user)
    assert rows(user, category="Items") == [("Items", "Create", "Item", item.dfid, "item_create")]
    item_deprecate(user=user, item=item)
    assert ("Items", "Delete", "Item", item.dfid, "item_deprecate") in rows(user)
    local = local_item_create(user=user, identifiers=[canonical()])
    assert ("Items", "Create", "Item", local.dfid, "local_item_create") in rows(user)


def test_a_batch_is_one_row(user):
    before = UserActivity.objects.count()
    results = items_create_bulk(
        user=user, items=[{"identifiers": [canonical()]} for _ in range(5)] + ["not an item"]
    )
    assert len(results) == 6
    assert UserActivity.objects.count() == before + 1
    batch = UserActivity.objects.get(action="items_create_batch")
    assert batch.activity_type == "Create" and batch.metadata["submitted"] == 6
    assert batch.metadata["results"]["invalid"] == 1
    items_create_bulk(user=user, items=[{"identifiers": [canonical()]}], source="csv")
    assert UserActivity.objects.get(action="items_import").activity_type == "Import"


def test_events_submitted_by_users_not_those_defarm_writes(user):
    item = item_for(user)
    UserActivity.objects.all().delete()
    event_record(item=item, event_type="Updated", user=user, source="api", metadata={"a": 1})
    assert not UserActivity.objects.exists()
    event, created = event_submit(
        item=item, event_type="Enriched", user=user, source=user.pk, metadata={"b": 2}
    )
    assert created
    assert rows(user) == [("Events", "Create", "Event", str(event.event_id), "event_create")]
    event_submit(item=item, event_type="Enriched", user=user, source=user.pk, metadata={"b": 2})
    assert UserActivity.objects.count() == 1  # a duplicate records nothing


def test_circuit_changes(user):
    circuit = CircuitFactory(owner=user)
    item = item_for(user)
    circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    other = item_for(user)
    circuit_push_many(circuit=circuit, user=user, dfids=[other.dfid, "DFID-nope"])
    circuit_archive(circuit=circuit, actor=user)
    circuit_rows = rows(user, category="Circuits")
    assert sorted((row[1], row[4]) for row in circuit_rows) == [
        ("Create", "circuit_create"),
        ("Delete", "circuit_archive"),
        ("Share", "circuit_push"),
        ("Share", "circuit_push_batch"),
    ]
    assert {row[3] for row in circuit_rows} == {str(circuit.pk)}
    push = UserActivity.objects.get(action="circuit_push")
    assert push.metadata == {"dfid": item.dfid}


def test_nested_circuit_services_record_once(user):
    calls = []

    @records_circuit_activity(ActivityType.REJECT, "inner", actor="user")
    def inner(*, user, circuit=None):
        calls.append("inner")

    @records_circuit_activity(ActivityType.REJECT, "outer", actor="user")
    def outer(*, user, circuit=None):
        inner(user=user)
        calls.append("outer")

    outer(user=user)
    assert calls == ["inner", "outer"]
    assert [row[4] for row in rows(user)] == ["outer"]
    inner(user=user)
    assert sorted(row[4] for row in rows(user)) == ["inner", "outer"]


def test_a_failed_service_records_nothing(user, other_user):
    circuit = CircuitFactory(owner=user)
    theirs = item_for(other_user)
    before = UserActivity.objects.count()
    with pytest.raises(Exception):  # the item is not visible to the caller
        circuit_push(circuit=circuit, user=user, dfid=theirs.dfid)
    assert UserActivity.objects.count() == before
