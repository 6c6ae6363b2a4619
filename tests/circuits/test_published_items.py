"""Published items live in circuit_published_items; the API renders them as the list it always
showed inside the circuit's public settings."""

import importlib

from django.apps import apps

from circuits.models import Circuit, CircuitPublishedItem
from circuits.services import circuit_push, circuit_set_public_settings
from tests.circuits.factories import circuit_url, item_for

migration = importlib.import_module("circuits.migrations.0006_published_items_from_public_settings")


def _published(client, circuit):
    return client.get(circuit_url(circuit)).json()["public_settings"]["published_items"]


def _publish(circuit, user, dfids):
    circuit_set_public_settings(
        circuit=circuit,
        actor=user,
        public_settings={"access_mode": "public", "published_items": dfids},
    )


def test_published_list_keeps_the_order_given_and_its_changes(auth_client, user, circuit):
    first, second, third = (item_for(user) for _ in range(3))
    for item in (first, second, third):
        circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    _publish(circuit, user, [third.dfid, first.dfid])
    assert _published(auth_client, circuit) == [third.dfid, first.dfid]
    _publish(circuit, user, [third.dfid, first.dfid, second.dfid])
    assert _published(auth_client, circuit) == [third.dfid, first.dfid, second.dfid]
    _publish(circuit, user, [second.dfid, third.dfid])
    assert _published(auth_client, circuit) == [second.dfid, third.dfid]
    _publish(circuit, user, [])
    assert _published(auth_client, circuit) == []
    circuit.refresh_from_db()
    assert "published_items" not in circuit.public_settings


def test_republishing_keeps_who_published_first(user, circuit):
    first, second = item_for(user), item_for(user)
    for item in (first, second):
        circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    _publish(circuit, user, [first.dfid])
    CircuitPublishedItem.objects.filter(item=first).update(published_at_ts=5)
    _publish(circuit, user, [second.dfid, first.dfid])
    assert CircuitPublishedItem.objects.get(item=first).published_at_ts == 5


def test_migration_moves_json_lists_into_rows_and_back(auth_client, user, circuit):
    items = [item_for(user) for _ in range(3)]
    for item in items:
        circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    _publish(circuit, user, [])
    listed = [items[2].dfid, items[0].dfid, "DFID-NOT-AN-ITEM", items[2].dfid]
    settings = {**Circuit.objects.get(pk=circuit.pk).public_settings, "published_items": listed}
    Circuit.objects.filter(pk=circuit.pk).update(public_settings=settings)

    migration.lists_to_rows(apps, None)
    expected = [items[2].dfid, items[0].dfid, "DFID-NOT-AN-ITEM"]
    assert _published(auth_client, circuit) == expected
    assert "published_items" not in Circuit.objects.get(pk=circuit.pk).public_settings

    migration.rows_to_lists(apps, None)
    assert Circuit.objects.get(pk=circuit.pk).public_settings["published_items"] == expected
