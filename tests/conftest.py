import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import jwt_issue
from tests.accounts.factories import StaffFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    on_postgresql = connection.vendor == "postgresql"
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgresql" in item.keywords and not on_postgresql:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: throttle counters of one test never refuse the
    requests of the next."""
    cache.clear()
    yield


def client_for(user) -> APIClient:
    """An API client authenticated as ``user`` with a JWT."""
    client = APIClient()
    token, _ = jwt_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.user = user
    return client


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return client_for(staff_user)


@pytest.fixture(scope="session")
def ipfs_node():
    """A real IPFS node (js-ipfs serving the Kubo RPC, ``tests/ipfs-node``) for the session;
    skipped where it is not installed, except under CI, which must run these tests."""
    import os

    from tests.ipfs_node import IpfsNode, ipfs_node_missing

    missing = ipfs_node_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the IPFS node tests: {missing}")
        pytest.skip(missing)
    with IpfsNode() as node:
        yield node
