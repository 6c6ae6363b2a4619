import pytest

from tests.circuits.factories import CircuitFactory


@pytest.fixture
def circuit(user):
    """An active circuit owned by ``user``."""
    return CircuitFactory(owner=user)
