import pytest

from circuits.models import Circuit
from tests.adapters.factories import CircuitFactory, ItemFactory, circuit_hold


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Every test stores in its own directory."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def item(user):
    return ItemFactory(created_by=user)


@pytest.fixture
def local_circuit(user) -> Circuit:
    return CircuitFactory(owner=user, adapter_config={"adapter_type": "local"})


@pytest.fixture
def held_item(item, local_circuit):
    circuit_hold(local_circuit, item)
    return item
