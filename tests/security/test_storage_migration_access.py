"""Seeing an item through a circuit does not let a member move its storage: only the
item's owner, staff, or a ManagePermissions holder of a circuit holding the item may."""

import pytest

from adapters.models import StorageHistory
from circuits.services import role_create
from tests.adapters.factories import ItemFactory, circuit_hold
from tests.circuits.factories import CircuitFactory, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ROUTES = ["/api/storage-history/{dfid}/migrate"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def circuit(user):
    return CircuitFactory(owner=user, adapter_config={"adapter_type": "local"})


@pytest.fixture
def held_item(user, circuit):
    item = ItemFactory(created_by=user)
    circuit_hold(circuit, item)
    return item


def migrate(client, route, item, **body):
    return client.post(
        route.format(dfid=item.dfid), {"adapter_type": "local", **body}, format="json"
    )


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ["Viewer", "Member", "Admin"])
def test_a_member_who_only_sees_the_item_cannot_migrate_it(circuit, held_item, route, role):
    member = client_for(member_of(circuit, role=role))
    assert member.get(f"/api/items/{held_item.dfid}").status_code == 200  # it is visible
    response = migrate(member, route, held_item)
    assert response.status_code == 403, response.content
    response = migrate(member, route, held_item, circuit_id=str(circuit.circuit_id))
    assert response.status_code == 403, response.content
    assert not StorageHistory.objects.exists()


@pytest.mark.parametrize("route", ROUTES)
def test_a_manage_permissions_holder_migrates_through_the_circuit(circuit, held_item, route):
    role_create(
        circuit=circuit, actor=None, role_name="Storage", permissions=["Pull", "ManagePermissions"]
    )
    manager = client_for(member_of(circuit, role="Storage"))
    assert migrate(manager, route, held_item).status_code == 403  # without naming the circuit
    response = migrate(manager, route, held_item, circuit_id=str(circuit.circuit_id))
    assert response.status_code == 200, response.content
    assert response.json()["data"]["operation_type"] == "circuit_migration"


def test_manage_permissions_in_a_circuit_not_holding_the_item_is_not_enough(
    user, circuit, held_item
):
    other_circuit = CircuitFactory(owner=user)
    role_create(
        circuit=other_circuit, actor=None, role_name="Storage", permissions=["ManagePermissions"]
    )
    manager = member_of(other_circuit, role="Storage")
    member_of(circuit, role="Viewer", user=manager)
    response = migrate(
        client_for(manager), ROUTES[0], held_item, circuit_id=str(other_circuit.circuit_id)
    )
    assert response.status_code == 403, response.content
    assert not StorageHistory.objects.exists()


@pytest.mark.parametrize("route", ROUTES)
def test_the_owner_and_staff_migrate(auth_client, staff_client, held_item, route):
    assert migrate(auth_client, route, held_item).status_code == 200
    assert migrate(staff_client, route, held_item).status_code == 200
