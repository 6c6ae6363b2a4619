import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circuits.models import WebhookConfig, WebhookDelivery
from circuits.permissions import Role
from circuits.services.webhooks import DeliveryStatus
from tests.adapters.factories import CircuitFactory, member_add
from tests.conftest import client_for

SECRETS = ("tok-very-secret", "pw-very-secret", "sign-very-secret")


def webhooks_url(circuit) -> str:
    return f"/api/circuits/{circuit.circuit_id}/webhooks"


def create(client, circuit, **body):
    payload = {
        "name": "ERP",
        "url": "http://127.0.0.1:9/hook",
        "trigger_events": ["item_pushed", "item_approved"],
        **body,
    }
    return client.post(webhooks_url(circuit), payload, format="json")


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True


def test_owner_manages_webhooks_and_credentials_never_come_back(auth_client, circuit):
    response = create(
        auth_client,
        circuit,
        auth_type="bearer",
        auth_config={"token": SECRETS[0], "signing_secret": SECRETS[2]},
        retry_config={"max_attempts": 3, "base_delay_seconds": 5},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["auth_type"] == "bearer"
    assert body["has_credentials"] is True
    assert body["has_signing_secret"] is True
    assert "auth_config" not in body
    assert body["retry_config"] == {
        "max_attempts": 3,
        "base_delay_seconds": 5,
        "max_delay_seconds": 3600,
    }
    assert body["circuit_id"] == str(circuit.circuit_id)
    webhook_url = f"{webhooks_url(circuit)}/{body['webhook_id']}"

    responses = [
        auth_client.get(webhooks_url(circuit)),
        auth_client.get(f"{webhook_url}/"),
        auth_client.patch(
            webhook_url,
            {"auth_type": "basic", "auth_config": {"username": "erp", "password": SECRETS[1]}},
            format="json",
        ),
    ]
    for response in responses:
        assert response.status_code == 200, response.content
        text = response.content.decode()
        assert all(secret not in text for secret in SECRETS)
    assert int(responses[0]["X-Total-Count"]) == 1
    assert responses[2].json()["auth_type"] == "basic"
    stored = WebhookConfig.objects.get(pk=body["webhook_id"])
    assert stored.auth_config == {"username": "erp", "password": SECRETS[1]}

    # Changing other fields keeps the credentials.
    response = auth_client.patch(webhook_url, {"name": "ERP 2", "enabled": False}, format="json")
    assert response.json()["name"] == "ERP 2" and response.json()["enabled"] is False
    stored.refresh_from_db()
    assert stored.auth_config["password"] == SECRETS[1]

    assert auth_client.delete(webhook_url).status_code == 204
    assert not WebhookConfig.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://10.0.0.1/hook"}, "url"),
        ({"url": "http://192.168.1.1/hook"}, "url"),
        ({"url": "http://169.254.169.254/"}, "url"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"trigger_events": ["item_deleted"]}, "trigger_events"),
        ({"trigger_events": []}, "trigger_events"),
        ({"auth_type": "bearer"}, "auth_config"),
        ({"auth_type": "basic", "auth_config": {"username": "x"}}, "auth_config"),
        ({"auth_type": "oauth"}, "auth_type"),
        ({"retry_config": {"max_attempts": 50}}, "retry_config"),
    ],
)
def test_invalid_webhooks_are_refused(auth_client, circuit, body, field):
    response = create(auth_client, circuit, **body)
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["details"]
    assert not WebhookConfig.objects.exists()


def test_loopback_is_refused_when_the_setting_is_off(auth_client, circuit, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = create(auth_client, circuit, url="http://127.0.0.1:8080/hook")
    assert response.status_code == 400
    assert "loopback" in response.json()["details"]["url"][0]


def test_non_members_get_404_and_members_without_permission_403(user, other_user, circuit):
    webhook = WebhookConfig.objects.create(
        circuit=circuit, name="x", url="http://127.0.0.1:9/", trigger_events=["item_pushed"]
    )
    outsider = client_for(other_user)
    for method, path in (
        ("get", webhooks_url(circuit)),
        ("post", webhooks_url(circuit)),
        ("get", f"{webhooks_url(circuit)}/{webhook.webhook_id}"),
        ("get", f"{webhooks_url(circuit)}/{webhook.webhook_id}/deliveries"),
        ("post", f"{webhooks_url(circuit)}/{webhook.webhook_id}/test"),
    ):
        assert getattr(outsider, method)(path).status_code == 404

    member_add(circuit, other_user, Role.ADMIN)  # Admin role lacks ManagePermissions
    response = outsider.get(webhooks_url(circuit))
    assert response.status_code == 403
    assert "ManagePermissions" in response.json()["message"]


def test_a_manager_with_manage_permissions_may_manage(other_user, circuit):
    membership = member_add(circuit, other_user, Role.MEMBER)
    membership.permissions = ["ManagePermissions"]
    membership.save()
    assert create(client_for(other_user), circuit).status_code == 201


def test_webhooks_of_another_circuit_are_404(auth_client, user, circuit):
    other_circuit = CircuitFactory(owner=user)
    webhook = WebhookConfig.objects.create(
        circuit=other_circuit, name="x", url="http://127.0.0.1:9/", trigger_events=["item_pushed"]
    )
    assert auth_client.get(f"{webhooks_url(circuit)}/{webhook.webhook_id}").status_code == 404
    assert auth_client.get(f"{webhooks_url(circuit)}/not-a-uuid").status_code == 404


def test_test_endpoint_sends_one_real_delivery(auth_client, circuit, receiver):
    response = create(auth_client, circuit, url=receiver.url)
    webhook_id = response.json()["webhook_id"]
    response = auth_client.post(f"{webhooks_url(circuit)}/{webhook_id}/test")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == DeliveryStatus.DELIVERED
    assert response.json()["trigger_event"] == "webhook_test"
    assert len(receiver.requests) == 1

    receiver.statuses = [500]
    response = auth_client.post(f"{webhooks_url(circuit)}/{webhook_id}/test")
    assert response.json()["status"] == DeliveryStatus.FAILED  # a test is sent once
    assert response.json()["http_status_code"] == 500

    deliveries = auth_client.get(f"{webhooks_url(circuit)}/{webhook_id}/deliveries").json()
    assert len(deliveries) == 2
    assert {row["status"] for row in deliveries} == {"Delivered", "Failed"}


def test_list_query_counts_do_not_grow(auth_client, circuit):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert auth_client.get(path).status_code == 200
        return len(context.captured_queries)

    def webhooks_for(rows: int) -> int:
        WebhookConfig.objects.all().delete()
        for index in range(rows):
            WebhookConfig.objects.create(
                circuit=circuit,
                name=f"w{index}",
                url="http://127.0.0.1:9/",
                trigger_events=["item_pushed"],
                auth_type="bearer",
                auth_config={"token": "t"},
            )
        return queries(f"{webhooks_url(circuit)}?limit=100")

    assert webhooks_for(3) == webhooks_for(30)

    webhook = WebhookConfig.objects.first()

    def deliveries_for(rows: int) -> int:
        WebhookDelivery.objects.all().delete()
        for _ in range(rows):
            WebhookDelivery.objects.create(
                webhook=webhook, trigger_event="item_pushed", payload={}, status="Delivered"
            )
        return queries(f"{webhooks_url(circuit)}/{webhook.webhook_id}/deliveries?limit=100")

    assert deliveries_for(3) == deliveries_for(30)
