import base64
import hashlib
import hmac
import json

import pytest

from audit.models import Log
from circuits import signals
from circuits.models import Circuit, WebhookDelivery
from circuits.services.webhooks import (
    DeliveryStatus,
    webhook_create,
    webhook_delivery_retry,
    webhook_retry_delay,
)
from circuits.tasks import webhook_delivery_send
from defarm.api.exceptions import Conflict
from tests.adapters.factories import ItemFactory


def fire(signal, circuit, item, user, callbacks):
    with callbacks(execute=True):
        signal.send(sender=Circuit, circuit=circuit, item=item, user=user, operation=None)


def make_webhook(circuit, user, url, **kwargs):
    defaults = {"name": "partner", "trigger_events": ["item_pushed"]}
    return webhook_create(circuit=circuit, user=user, url=url, **{**defaults, **kwargs})


def test_push_delivers_a_signed_authenticated_payload(
    user, circuit, receiver, django_capture_on_commit_callbacks
):
    webhook = make_webhook(
        circuit,
        user,
        receiver.url,
        auth_type="bearer",
        auth_config={"token": "tok-123", "signing_secret": "whsec"},
    )
    item = ItemFactory()
    fire(signals.item_pushed, circuit, item, user, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.http_status_code == 200
    assert delivery.attempt_count == 1
    assert delivery.delivered_at_ts is not None
    assert '"received": 1' in delivery.response_body

    [request] = receiver.requests
    assert request.path == "/hooks/defarm?source=test"
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert request.headers["X-DeFarm-Event"] == "item_pushed"
    payload = json.loads(request.body)
    assert payload["event"] == "item_pushed"
    assert payload["circuit_id"] == str(circuit.circuit_id)
    assert payload["dfid"] == item.dfid
    assert payload["delivery_id"] == str(delivery.delivery_id)
    assert isinstance(payload["timestamp"], int)
    assert payload["data"]["item"]["item_hash"] == item.item_hash
    signed = request.headers["X-DeFarm-Timestamp"].encode() + b"." + request.body
    expected = hmac.new(b"whsec", signed, hashlib.sha256).hexdigest()
    assert request.headers["X-DeFarm-Signature"] == f"sha256={expected}"


@pytest.mark.parametrize(
    ("auth_type", "auth_config", "header", "value"),
    [
        ("api_key", {"api_key": "k-1"}, "X-API-Key", "k-1"),
        ("api_key", {"api_key": "k-2", "header_name": "X-Partner-Key"}, "X-Partner-Key", "k-2"),
        (
            "basic",
            {"username": "farm", "password": "pw"},
            "Authorization",
            "Basic " + base64.b64encode(b"farm:pw").decode(),
        ),
    ],
)
def test_auth_types(
    user,
    circuit,
    receiver,
    django_capture_on_commit_callbacks,
    auth_type,
    auth_config,
    header,
    value,
):
    make_webhook(circuit, user, receiver.url, auth_type=auth_type, auth_config=auth_config)
    fire(signals.item_pushed, circuit, ItemFactory(), user, django_capture_on_commit_callbacks)
    assert receiver.requests[0].headers[header] == value
    assert "X-DeFarm-Signature" not in receiver.requests[0].headers


def test_only_subscribed_enabled_webhooks_get_the_event(
    user, circuit, receiver, django_capture_on_commit_callbacks
):
    pushed = make_webhook(circuit, user, receiver.url, trigger_events=["item_pushed"])
    published = make_webhook(
        circuit, user, receiver.url, trigger_events=["item_published", "item_tokenized"]
    )
    make_webhook(circuit, user, receiver.url, trigger_events=["item_pushed"], enabled=False)
    item = ItemFactory()
    for signal in (signals.item_published, signals.item_tokenized, signals.item_approved):
        fire(signal, circuit, item, user, django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.filter(webhook=pushed).exists()
    assert sorted(
        WebhookDelivery.objects.filter(webhook=published).values_list("trigger_event", flat=True)
    ) == ["item_published", "item_tokenized"]
    assert sorted(json.loads(r.body)["event"] for r in receiver.requests) == [
        "item_published",
        "item_tokenized",
    ]


def test_nothing_is_sent_before_the_transaction_commits(
    user, circuit, receiver, django_capture_on_commit_callbacks
):
    make_webhook(circuit, user, receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        signals.item_pushed.send(
            sender=Circuit, circuit=circuit, item=ItemFactory(), user=user, operation=None
        )
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    for callback in callbacks:  # the commit: the delivery is sent (and the snapshots taken)
        callback()
    assert len(receiver.requests) == 1


def test_failed_attempts_back_off_then_succeed(
    user, circuit, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 503]
    make_webhook(circuit, user, receiver.url, retry_config={"base_delay_seconds": 10})
    fire(signals.item_pushed, circuit, ItemFactory(), user, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.attempt_count == 1
    assert delivery.http_status_code == 500
    assert "HTTP 500" in delivery.error_message
    first_wait = delivery.next_retry_at_ts - delivery.created_at_ts
    assert 9 <= first_wait <= 11

    webhook_delivery_send.call(str(delivery.delivery_id))  # the worker's next run
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.http_status_code) == (
        DeliveryStatus.RETRYING,
        2,
        503,
    )
    assert 19 <= delivery.next_retry_at_ts - delivery.created_at_ts <= 21

    webhook_delivery_send.call(str(delivery.delivery_id))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempt_count == 3
    assert delivery.next_retry_at_ts is None
    assert delivery.error_message is None
    assert len(receiver.requests) == 3
    attempts = Log.objects.filter(event_type="webhook_delivery_attempt").order_by("created_at")
    assert [row.context_data["attempt"] for row in attempts] == [1, 2, 3]
    assert [row.context_data["http_status_code"] for row in attempts] == [500, 503, 200]

    # A settled delivery is not sent again by a late or duplicate task run.
    webhook_delivery_send.call(str(delivery.delivery_id))
    assert len(receiver.requests) == 3


def test_delivery_fails_for_good_after_max_attempts(
    user, circuit, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500] * 10
    make_webhook(circuit, user, receiver.url, retry_config={"max_attempts": 3})
    fire(signals.item_pushed, circuit, ItemFactory(), user, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    for _ in range(2):
        webhook_delivery_send.call(str(delivery.delivery_id))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == 3
    assert delivery.next_retry_at_ts is None
    assert len(receiver.requests) == 3
    webhook_delivery_send.call(str(delivery.delivery_id))
    assert len(receiver.requests) == 3

    # Staff may send it once more.
    receiver.statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_retry(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempt_count == 4
    with pytest.raises(Conflict):
        webhook_delivery_retry(delivery=delivery)


def test_unreachable_receiver_is_recorded(
    user, circuit, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    make_webhook(circuit, user, "http://127.0.0.1:9/closed", retry_config={"max_attempts": 1})
    fire(signals.item_pushed, circuit, ItemFactory(), user, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.http_status_code is None
    assert "ConnectionRefusedError" in delivery.error_message


def test_retry_delays_grow_exponentially_up_to_the_cap():
    retry = {"base_delay_seconds": 30, "max_delay_seconds": 600, "max_attempts": 5}
    assert [webhook_retry_delay(retry=retry, attempt=n) for n in range(1, 7)] == [
        30,
        60,
        120,
        240,
        480,
        600,
    ]


def test_response_bodies_are_truncated(user, circuit, settings, django_capture_on_commit_callbacks):
    from tests.webhooks.receiver import WebhookReceiver

    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with WebhookReceiver() as big:
        original = big.server.RequestHandlerClass.do_POST

        def long_answer(handler):
            handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
            answer = b"x" * 50_000
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)

        big.server.RequestHandlerClass.do_POST = long_answer
        make_webhook(circuit, user, big.url)
        fire(signals.item_pushed, circuit, ItemFactory(), user, django_capture_on_commit_callbacks)
        big.server.RequestHandlerClass.do_POST = original
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(delivery.response_body) == 2000


def test_batch_push_makes_one_delivery_per_item(
    user, circuit, receiver, django_capture_on_commit_callbacks
):
    from tests.circuits.factories import item_for
    from tests.conftest import client_for

    make_webhook(circuit, user, receiver.url)
    items = [item_for(user) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            f"/api/circuits/{circuit.circuit_id}/push/batch",
            {"items": [{"dfid": item.dfid} for item in items]},
            format="json",
        )
    assert response.json()["success_count"] == 3
    deliveries = WebhookDelivery.objects.filter(trigger_event="item_pushed")
    assert sorted(delivery.payload["dfid"] for delivery in deliveries) == sorted(
        item.dfid for item in items
    )
