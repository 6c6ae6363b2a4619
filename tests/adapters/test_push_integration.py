"""Pushes through the circuits API store the item and notify the circuit's webhooks."""

import json

import pytest

from accounts.models import CreditBalance
from adapters.backends import LocalStorageAdapter
from adapters.models import StorageHistory
from adapters.selectors import local_store_root
from circuits.models import CircuitItem, CircuitPendingItem, WebhookDelivery
from circuits.services import circuit_update
from circuits.services.webhooks import DeliveryStatus, webhook_create
from tests.circuits.factories import CircuitFactory, circuit_url, item_for, member_of
from tests.conftest import client_for
from tests.webhooks.receiver import WebhookReceiver


@pytest.fixture
def local_circuit(user, auth_client):
    circuit = CircuitFactory(owner=user)
    response = auth_client.put(
        circuit_url(circuit, "/adapter"), {"adapter_type": "local"}, format="json"
    )
    assert response.status_code == 200, response.content
    return circuit


def test_api_push_stores_and_delivers(
    auth_client, user, local_circuit, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    item = item_for(user)
    with WebhookReceiver() as receiver:
        webhook_create(
            circuit=local_circuit,
            user=user,
            name="erp",
            url=receiver.url,
            trigger_events=["item_pushed"],
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post(circuit_url(local_circuit, f"/push/{item.dfid}"))
        assert response.status_code == 200, response.content

        record = StorageHistory.objects.get(item=item)
        assert record.triggered_by == "circuit_push"
        assert record.triggered_by_id == str(local_circuit.circuit_id)
        snapshot = json.loads(
            LocalStorageAdapter(local_store_root()).retrieve(record.storage_location)
        )
        assert snapshot["dfid"] == item.dfid
        # Public events only: circuit-only and private ones stay out of shared storage.
        assert [event["event_type"] for event in snapshot["events"]] == ["Created"]
        assert record.events_range_end == max(e["timestamp"] for e in snapshot["events"])

        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.DELIVERED
        assert json.loads(receiver.requests[0].body)["dfid"] == item.dfid

    history = auth_client.get(f"/api/storage-history/{item.dfid}").json()["data"]
    assert len(history["storage_records"]) == 1 and history["storage_records"][0]["is_primary"]


def test_approved_push_is_stored_once(
    auth_client, user, local_circuit, django_capture_on_commit_callbacks
):
    circuit_update(
        circuit=local_circuit, actor=user, permissions={"require_approval_for_push": True}
    )
    member = member_of(local_circuit)
    item = item_for(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(circuit_url(local_circuit, f"/push/{item.dfid}"))
    assert response.status_code == 200, response.content
    assert not StorageHistory.objects.exists()

    pending = CircuitPendingItem.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            circuit_url(local_circuit, f"/pending-items/{pending.pk}/approve")
        )
    assert response.status_code == 200, response.content
    assert StorageHistory.objects.filter(item=item).count() == 1


@pytest.mark.django_db(transaction=True)
def test_push_through_an_unconfigured_ipfs_adapter_is_refused_and_changes_nothing(
    auth_client, user
):
    circuit = CircuitFactory(owner=user)
    auth_client.put(circuit_url(circuit, "/adapter"), {"adapter_type": "ipfs-ipfs"}, format="json")
    item = item_for(user)
    credits_before = CreditBalance.objects.get(user=user).credits
    response = auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert response.status_code == 409
    assert response.json()["error"] == "adapter_not_configured"
    assert "endpoint" in response.json()["message"]
    assert not StorageHistory.objects.exists()
    assert not CircuitItem.objects.filter(circuit=circuit).exists()
    assert CreditBalance.objects.get(user=user).credits == credits_before


@pytest.mark.django_db(transaction=True)
def test_storage_failing_after_the_push_committed_is_logged_not_raised(
    auth_client, user, monkeypatch
):
    from adapters import backends
    from audit.models import Log

    circuit = CircuitFactory(owner=user)
    auth_client.put(circuit_url(circuit, "/adapter"), {"adapter_type": "local"}, format="json")
    item = item_for(user)

    def broken_store(self, content):
        raise backends.StorageFailed("disk full")

    monkeypatch.setattr(backends.LocalStorageAdapter, "store", broken_store)
    response = auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert response.status_code == 200, response.content
    assert CircuitItem.objects.filter(circuit=circuit, item=item).exists()
    assert not StorageHistory.objects.exists()
    log = Log.objects.get(event_type="storage_failed")
    assert log.context_data["dfid"] == item.dfid
    assert "disk full" in log.message
