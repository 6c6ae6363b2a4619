"""Webhook settings that would smuggle requests or break every delivery are refused at
save; a delivery that cannot be attempted ends Failed with the reason."""

import pytest

from circuits.models import WebhookConfig, WebhookDelivery
from circuits.services.webhooks import DeliveryStatus
from tests.adapters.factories import CircuitFactory
from tests.webhooks.api import engine_auth, webhook_create, webhooks_url
from tests.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True


@pytest.fixture
def circuit(user):
    return CircuitFactory(owner=user)


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


def create(client, circuit, url="http://127.0.0.1:9/hook", **body):
    return webhook_create(client, circuit, url=url, trigger_events=["item_pushed"], **body)


@pytest.mark.parametrize(
    "header_name",
    [
        "Host",
        "content-length",
        "Transfer-Encoding",
        "Connection",
        "Keep-Alive",
        "Upgrade",
        "TE",
        "Proxy-Authorization",
        "Authorization",
        "X-DeFarm-Signature",
        "X-Key\r\nHost: evil.example",
        "X Key",
    ],
)
def test_reserved_or_malformed_header_names_are_refused(auth_client, circuit, header_name):
    response = create(
        auth_client,
        circuit,
        auth_type="api_key",
        auth_config={"api_key": "k-123", "header_name": header_name},
    )
    assert response.status_code == 400, response.content
    assert "auth_config" in response.json()["details"]
    assert not WebhookConfig.objects.exists()


def test_a_reserved_header_name_is_refused_on_update_too(auth_client, circuit):
    webhook_id = create(
        auth_client, circuit, auth_type="api_key", auth_config={"api_key": "k-123"}
    ).json()["data"]["id"]
    response = auth_client.put(
        f"{webhooks_url(circuit)}/{webhook_id}",
        engine_auth("api_key", {"api_key": "k-123", "header_name": "Host"}),
        format="json",
    )
    assert response.status_code == 400
    assert WebhookConfig.objects.get(pk=webhook_id).auth_config == {"api_key": "k-123"}


def test_a_custom_header_name_is_accepted_and_sent(auth_client, circuit, receiver):
    response = create(
        auth_client,
        circuit,
        url=receiver.url,
        auth_type="api_key",
        auth_config={"api_key": "k-123", "header_name": "X-Partner-Key"},
    )
    assert response.status_code == 200, response.content
    sent = auth_client.post(f"{webhooks_url(circuit)}/{response.json()['data']['id']}/test")
    assert sent.json()["delivery"]["status"] == DeliveryStatus.DELIVERED
    assert receiver.requests[0].headers["X-Partner-Key"] == "k-123"


def test_a_stored_reserved_header_name_is_never_sent(auth_client, circuit, receiver):
    webhook = WebhookConfig.objects.create(
        circuit=circuit,
        name="old",
        url=receiver.url,
        trigger_events=["item_pushed"],
        auth_type="api_key",
        auth_config={"api_key": "k-123", "header_name": "Content-Length"},
    )
    response = auth_client.post(f"{webhooks_url(circuit)}/{webhook.webhook_id}/test")
    assert response.status_code == 200
    assert response.json()["delivery"]["status"] == DeliveryStatus.FAILED
    assert "reserved header" in response.json()["delivery"]["error_message"]
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


@pytest.mark.parametrize(
    "auth_type, auth_config",
    [
        ("bearer", {"token": "abc\r\nX-Injected: 1"}),
        ("bearer", {"token": "abc\ndef"}),
        ("bearer", {"token": "tökén-€"}),
        ("api_key", {"api_key": "key-€"}),
        ("basic", {"username": "erp\r\nX-Injected: 1", "password": "pw"}),
        ("bearer", {"token": "t", "signing_secret": "s\x00"}),
    ],
)
def test_credentials_a_header_cannot_carry_are_refused(
    auth_client, circuit, auth_type, auth_config
):
    response = create(auth_client, circuit, auth_type=auth_type, auth_config=auth_config)
    assert response.status_code == 400, response.content
    assert set(response.json()["details"]) & {"auth_config", "auth_credentials", "signing_secret"}


def test_non_latin1_basic_password_is_accepted(auth_client, circuit):
    # Basic credentials travel base64-encoded (UTF-8), so any character is fine there.
    response = create(
        auth_client, circuit, auth_type="basic", auth_config={"username": "erp", "password": "sé€"}
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "retry_config",
    [
        {"base_delay_seconds": 10**30},
        {"max_delay_seconds": 10**30},
        {"base_delay_seconds": 86_401},
        {"max_delay_seconds": 7 * 86_400 + 1},
    ],
)
def test_absurd_retry_delays_are_refused(auth_client, circuit, retry_config):
    response = create(auth_client, circuit, retry_config=retry_config)
    assert response.status_code == 400, response.content
    assert "retry_config" in response.json()["details"]


def test_a_delivery_with_unsendable_stored_settings_fails_with_the_reason(
    user, circuit, receiver, django_capture_on_commit_callbacks
):
    from circuits import signals
    from circuits.models import Circuit
    from tests.adapters.factories import ItemFactory

    webhook = WebhookConfig.objects.create(  # saved before the checks existed
        circuit=circuit,
        name="old",
        url=receiver.url,
        trigger_events=["item_pushed"],
        auth_type="bearer",
        auth_config={"token": "tök€n\r\nX-Injected: 1"},
        retry_config={"max_attempts": 5, "base_delay_seconds": 10**30, "max_delay_seconds": 1},
    )
    with django_capture_on_commit_callbacks(execute=True):
        signals.item_pushed.send(
            sender=Circuit, circuit=circuit, item=ItemFactory(), user=user, operation=None
        )
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == 1
    assert delivery.next_retry_at_ts is None
    assert "token" in delivery.error_message
    assert receiver.requests == []


def test_test_endpoint_with_unsendable_stored_settings_answers_the_failed_delivery(
    auth_client, circuit, receiver
):
    webhook = WebhookConfig.objects.create(
        circuit=circuit,
        name="old",
        url=receiver.url,
        trigger_events=["item_pushed"],
        auth_type="bearer",
        auth_config={"token": "tök€n"},
    )
    response = auth_client.post(f"{webhooks_url(circuit)}/{webhook.webhook_id}/test")
    assert response.status_code == 200
    assert response.json()["delivery"]["status"] == DeliveryStatus.FAILED
    assert "Latin-1" in response.json()["delivery"]["error_message"]
