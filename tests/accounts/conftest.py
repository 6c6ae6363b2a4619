import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services.api_keys import api_key_create


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


def key_client(raw_key: str, *, header: str = "x-api-key", **extra) -> APIClient:
    client = APIClient(**extra)
    if header == "x-api-key":
        client.credentials(HTTP_X_API_KEY=raw_key)
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def make_key(user):
    """``make_key(**options) -> (ApiKey, raw_key)`` for ``user`` (or ``owner=``)."""

    def make(owner=None, name="test key", **options):
        return api_key_create(user=owner or user, name=name, **options)

    return make
