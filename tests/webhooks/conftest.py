import pytest

from tests.adapters.factories import CircuitFactory
from tests.webhooks.receiver import WebhookReceiver


@pytest.fixture
def circuit(user):
    return CircuitFactory(owner=user)


@pytest.fixture
def receiver(settings):
    """A receiver on 127.0.0.1, with loopback targets allowed for this test only."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with WebhookReceiver() as running:
        yield running
