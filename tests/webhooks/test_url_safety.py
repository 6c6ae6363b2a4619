import socket

import pytest
from rest_framework.exceptions import ValidationError

from circuits.models import Circuit, WebhookDelivery
from circuits.services.webhooks import (
    DeliveryStatus,
    webhook_create,
    webhook_target_resolve,
    webhook_url_validate,
)
from circuits.signals import item_pushed
from tests.adapters.factories import ItemFactory


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "https://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://172.16.5.4/hook",
        "http://100.64.0.1/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://[fe80::1]/hook",
    ],
)
def test_private_and_loopback_targets_are_refused(url):
    with pytest.raises(ValidationError) as refused:
        webhook_url_validate(url=url)
    assert "url" in refused.value.detail


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "file:///etc/passwd", "example.com/hook", "http:///x"]
)
def test_only_http_urls_are_accepted(url):
    with pytest.raises(ValidationError):
        webhook_url_validate(url=url)


def resolving_to(monkeypatch, address: str):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


def test_a_hostname_resolving_to_loopback_is_refused(monkeypatch):
    resolving_to(monkeypatch, "127.0.0.1")
    with pytest.raises(ValidationError, match="loopback"):
        webhook_url_validate(url="https://hooks.partner.example/defarm")


def test_a_hostname_resolving_to_a_public_address_is_accepted(monkeypatch):
    resolving_to(monkeypatch, "93.184.216.34")
    assert webhook_target_resolve("https://hooks.partner.example:8443/in?x=1") == (
        "https",
        8443,
        "hooks.partner.example",
        "/in?x=1",
        "93.184.216.34",
    )


def test_loopback_setting_allows_loopback_only(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert webhook_url_validate(url="http://127.0.0.1:9/hook")
    with pytest.raises(ValidationError):
        webhook_url_validate(url="http://10.0.0.1/hook")
    with pytest.raises(ValidationError):
        webhook_url_validate(url="http://169.254.169.254/")


def test_the_target_is_checked_again_at_delivery(
    monkeypatch, user, circuit, django_capture_on_commit_callbacks
):
    """A host that resolved to a public address when saved and to a private one when
    delivering (DNS rebinding) is not called."""
    resolving_to(monkeypatch, "93.184.216.34")
    webhook = webhook_create(
        circuit=circuit,
        user=user,
        name="partner",
        url="http://hooks.partner.example/in",
        trigger_events=["item_pushed"],
        retry_config={"max_attempts": 1},
    )
    resolving_to(monkeypatch, "10.1.2.3")
    calls = []
    monkeypatch.setattr(
        socket, "create_connection", lambda *args, **kwargs: calls.append(args) or None
    )
    item = ItemFactory()
    with django_capture_on_commit_callbacks(execute=True):
        item_pushed.send(sender=Circuit, circuit=circuit, item=item, user=user, operation=None)
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.status == DeliveryStatus.FAILED
    assert "10.1.2.3" in delivery.error_message and "private" in delivery.error_message
    assert calls == []
