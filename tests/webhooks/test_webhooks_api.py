"""The circuit webhook routes at the engine's paths and in its shapes:
``POST .../post-actions/webhooks``, ``GET/PUT/DELETE .../webhooks/{id}``,
``POST .../webhooks/{id}/test`` and ``GET .../post-actions/deliveries``."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circuits.models import WebhookConfig, WebhookDelivery
from circuits.permissions import Role
from circuits.services.webhooks import DeliveryStatus
from tests.adapters.factories import CircuitFactory, member_add
from tests.conftest import client_for
from tests.webhooks.api import deliveries_url, webhook_create, webhooks_url

SECRETS = ("tok-very-secret", "pw-very-secret", "sign-very-secret")


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True


def test_an_engine_client_creates_reads_changes_and_deletes_a_webhook(auth_client, circuit):
    response = auth_client.post(
        webhooks_url(circuit),
        {
            "name": "ERP",
            "url": "http://127.0.0.1:9/hook",
            "method": "post",
            "headers": {},
            "auth_type": "BearerToken",
            "auth_credentials": SECRETS[0],
            "signing_secret": SECRETS[2],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Webhook created successfully"
    webhook = body["data"]
    assert set(webhook) >= {
        "id",
        "name",
        "url",
        "method",
        "headers",
        "auth_type",
        "auth_credentials",
        "enabled",
        "retry_config",
        "created_at",
        "updated_at",
    }
    assert webhook["method"] == "Post"
    assert webhook["auth_type"] == "BearerToken"
    assert webhook["auth_credentials"] is None
    assert webhook["enabled"] is True
    assert webhook["trigger_events"] == [
        "ItemPushed",
        "ItemApproved",
        "ItemTokenized",
        "ItemPublished",
    ]
    assert set(webhook["retry_config"]) == {
        "max_retries",
        "initial_delay_ms",
        "max_delay_ms",
        "backoff_multiplier",
    }
    stored = WebhookConfig.objects.get(pk=webhook["id"])
    assert stored.circuit_id == circuit.circuit_id
    assert stored.auth_type == "bearer"
    assert stored.auth_config == {"token": SECRETS[0], "signing_secret": SECRETS[2]}
    webhook_url = f"{webhooks_url(circuit)}/{webhook['id']}"

    read = auth_client.get(f"{webhook_url}/")
    assert read.status_code == 200
    assert read.json() == {"success": True, "data": webhook}

    changed = auth_client.put(
        webhook_url,
        {"auth_type": "BasicAuth", "auth_credentials": f"erp:{SECRETS[1]}"},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json() == {"success": True, "message": "Webhook updated successfully"}
    stored.refresh_from_db()
    assert stored.auth_type == "basic"
    assert stored.auth_config == {
        "username": "erp",
        "password": SECRETS[1],
        "signing_secret": SECRETS[2],
    }

    # Changing other fields keeps the credentials.
    auth_client.put(webhook_url, {"name": "ERP 2", "enabled": False}, format="json")
    stored.refresh_from_db()
    assert (stored.name, stored.enabled) == ("ERP 2", False)
    assert stored.auth_config["password"] == SECRETS[1]
    for response in (
        read,
        changed,
        auth_client.get(f"/api/circuits/{circuit.circuit_id}/post-actions"),
    ):
        assert all(secret not in response.content.decode() for secret in SECRETS)

    deleted = auth_client.delete(webhook_url)
    assert deleted.status_code == 200
    assert deleted.json() == {"success": True, "message": "Webhook deleted successfully"}
    assert not WebhookConfig.objects.exists()
    assert auth_client.delete(webhook_url).status_code == 404


def test_custom_header_and_api_key_credentials(auth_client, circuit):
    response = auth_client.post(
        webhooks_url(circuit),
        {
            "name": "Partner",
            "url": "http://127.0.0.1:9/hook",
            "auth_type": "CustomHeader",
            "headers": {"X-Partner-Key": "k-1"},
            "trigger_events": ["item_tokenized"],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    stored = WebhookConfig.objects.get(pk=response.json()["data"]["id"])
    assert stored.auth_config == {"header_name": "X-Partner-Key", "api_key": "k-1"}
    assert stored.trigger_events == ["item_tokenized"]

    response = webhook_create(
        auth_client, circuit, auth_type="api_key", auth_config={"api_key": "k"}
    )
    assert response.json()["data"]["auth_type"] == "ApiKey"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://10.0.0.1/hook"}, "url"),
        ({"url": "http://192.168.1.1/hook"}, "url"),
        ({"url": "http://169.254.169.254/"}, "url"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"trigger_events": ["item_deleted"]}, "trigger_events"),
        ({"trigger_events": []}, "trigger_events"),
        ({"auth_type": "BearerToken"}, "auth_config"),
        ({"auth_type": "BasicAuth", "auth_credentials": "no-colon"}, "auth_credentials"),
        ({"auth_type": "OAuth"}, "auth_type"),
        ({"method": "PUT"}, "method"),
        ({"headers": {"X-Extra": "1"}}, "headers"),
        ({"auth_type": "CustomHeader", "headers": {"A": "1", "B": "2"}}, "headers"),
        ({"retry_config": {"max_attempts": 50}}, "retry_config"),
    ],
)
def test_invalid_webhooks_are_refused(auth_client, circuit, body, field):
    response = webhook_create(auth_client, circuit, **body)
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["details"]
    assert not WebhookConfig.objects.exists()


def test_name_and_url_are_required(auth_client, circuit):
    response = auth_client.post(webhooks_url(circuit), {"name": "x"}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()["details"]


def test_loopback_is_refused_when_the_setting_is_off(auth_client, circuit, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = webhook_create(auth_client, circuit, url="http://127.0.0.1:8080/hook")
    assert response.status_code == 400
    assert "loopback" in response.json()["details"]["url"][0]


def test_a_changed_url_is_checked(auth_client, circuit):
    webhook_id = webhook_create(auth_client, circuit).json()["data"]["id"]
    response = auth_client.put(
        f"{webhooks_url(circuit)}/{webhook_id}", {"url": "http://10.0.0.1/"}, format="json"
    )
    assert response.status_code == 400
    assert WebhookConfig.objects.get().url == "http://127.0.0.1:9/hook"


def test_anonymous_401_non_members_404_members_without_permission_403(
    api_client, user, other_user, circuit
):
    webhook = WebhookConfig.objects.create(
        circuit=circuit, name="x", url="http://127.0.0.1:9/", trigger_events=["item_pushed"]
    )
    outsider = client_for(other_user)
    webhook_url = f"{webhooks_url(circuit)}/{webhook.webhook_id}"
    calls = (
        ("post", webhooks_url(circuit)),
        ("get", webhook_url),
        ("put", webhook_url),
        ("delete", webhook_url),
        ("post", f"{webhook_url}/test"),
        ("get", deliveries_url(circuit)),
    )
    for method, path in calls:
        assert getattr(api_client, method)(path).status_code == 401, (method, path)
        assert getattr(outsider, method)(path).status_code == 404, (method, path)

    member_add(circuit, other_user, Role.ADMIN)  # Admin role lacks ManagePermissions
    for method, path in calls:
        response = getattr(outsider, method)(path)
        assert response.status_code == 403, (method, path)
        assert "ManagePermissions" in response.json()["message"]
    assert WebhookConfig.objects.filter(pk=webhook.pk).exists()


def test_a_manager_with_manage_permissions_may_manage(other_user, circuit):
    membership = member_add(circuit, other_user, Role.MEMBER)
    membership.permissions = ["ManagePermissions"]
    membership.save()
    assert webhook_create(client_for(other_user), circuit).status_code == 200


def test_webhooks_of_another_circuit_are_404(auth_client, user, circuit):
    other_circuit = CircuitFactory(owner=user)
    webhook = WebhookConfig.objects.create(
        circuit=other_circuit, name="x", url="http://127.0.0.1:9/", trigger_events=["item_pushed"]
    )
    path = f"{webhooks_url(circuit)}/{webhook.webhook_id}"
    assert auth_client.get(path).status_code == 404
    assert auth_client.put(path, {"name": "y"}, format="json").status_code == 404
    assert auth_client.delete(path).status_code == 404
    assert auth_client.post(f"{path}/test").status_code == 404
    assert auth_client.get(f"{webhooks_url(circuit)}/not-a-uuid").status_code == 404
    assert (
        auth_client.get(f"{deliveries_url(circuit)}?webhook_id={webhook.webhook_id}").status_code
        == 404
    )
    assert WebhookConfig.objects.get(pk=webhook.pk).name == "x"


def test_test_sends_one_real_delivery_recorded_in_the_deliveries(auth_client, circuit, receiver):
    webhook_id = webhook_create(auth_client, circuit, url=receiver.url).json()["data"]["id"]
    response = auth_client.post(f"{webhooks_url(circuit)}/{webhook_id}/test")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Webhook test initiated"
    assert body["webhook"] == {"id": webhook_id, "name": "ERP", "url": receiver.url}
    assert body["delivery"]["status"] == DeliveryStatus.DELIVERED
    assert body["delivery"]["trigger_event"] == "webhook_test"
    assert len(receiver.requests) == 1
    sent = json.loads(receiver.requests[0].body)
    assert sent["event"] == "webhook_test"
    assert sent["circuit_id"] == str(circuit.circuit_id)

    receiver.statuses = [500]
    response = auth_client.post(f"{webhooks_url(circuit)}/{webhook_id}/test")
    assert response.json()["delivery"]["status"] == DeliveryStatus.FAILED  # sent once
    assert response.json()["delivery"]["response_code"] == 500

    listed = auth_client.get(deliveries_url(circuit))
    assert listed.status_code == 200
    body = listed.json()
    assert body["success"] is True
    assert body["count"] == 2
    assert listed["X-Total-Count"] == "2"
    assert [row["status"] for row in body["data"]] in (
        ["Failed", "Delivered"],
        ["Delivered", "Failed"],
    )
    row = body["data"][0]
    assert set(row) == {
        "id",
        "webhook_id",
        "circuit_id",
        "trigger_event",
        "payload",
        "status",
        "attempts",
        "response_code",
        "response_body",
        "created_at",
        "delivered_at",
        "error_message",
        "next_retry_at",
    }
    assert row["circuit_id"] == str(circuit.circuit_id)
    assert row["attempts"] == 1
    assert auth_client.get(f"{deliveries_url(circuit)}?limit=1").json()["count"] == 1


def test_deliveries_are_of_this_circuit_and_filter_by_webhook(auth_client, user, circuit):
    def webhook_with_delivery(target_circuit, name):
        webhook = WebhookConfig.objects.create(
            circuit=target_circuit,
            name=name,
            url="http://127.0.0.1:9/",
            trigger_events=["item_pushed"],
        )
        WebhookDelivery.objects.create(
            webhook=webhook, trigger_event="item_pushed", payload={}, status="Delivered"
        )
        return webhook

    first = webhook_with_delivery(circuit, "a")
    webhook_with_delivery(circuit, "b")
    webhook_with_delivery(CircuitFactory(owner=user), "elsewhere")

    body = auth_client.get(deliveries_url(circuit)).json()
    assert body["count"] == 2
    assert {row["circuit_id"] for row in body["data"]} == {str(circuit.circuit_id)}
    assert body["data"][0]["trigger_event"] == "ItemPushed"
    only = auth_client.get(f"{deliveries_url(circuit)}?webhook_id={first.webhook_id}").json()
    assert [row["webhook_id"] for row in only["data"]] == [str(first.webhook_id)]
    assert auth_client.get(f"{deliveries_url(circuit)}?status=x").status_code == 400


def test_deliveries_query_count_does_not_grow(auth_client, circuit):
    webhooks = [
        WebhookConfig.objects.create(
            circuit=circuit,
            name=f"w{index}",
            url="http://127.0.0.1:9/",
            trigger_events=["item_pushed"],
        )
        for index in range(3)
    ]

    def deliveries_for(rows: int) -> int:
        WebhookDelivery.objects.all().delete()
        for index in range(rows):
            WebhookDelivery.objects.create(
                webhook=webhooks[index % 3],
                trigger_event="item_pushed",
                payload={},
                status="Delivered",
            )
        with CaptureQueriesContext(connection) as context:
            response = auth_client.get(f"{deliveries_url(circuit)}?limit=100")
            assert response.status_code == 200
            assert response.json()["count"] == rows
        return len(context.captured_queries)

    assert deliveries_for(3) == deliveries_for(30)
