"""Separation of duties: a manager does not approve their own request; a second manager or
the circuit's owner does."""

import pytest

from circuits.models import CircuitPendingItem
from circuits.services import circuit_update
from tests.circuits.factories import CircuitFactory, circuit_url, item_for, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def circuit(user):
    return CircuitFactory(owner=user)


def require_approval(circuit, *, push=False, pull=False):
    circuit_update(
        circuit=circuit,
        actor=circuit.owner,
        permissions={"require_approval_for_push": push, "require_approval_for_pull": pull},
    )


def test_a_manager_cannot_approve_their_own_push(circuit):
    require_approval(circuit, push=True)
    manager = member_of(circuit, "Admin")
    item = item_for(manager)
    pushed = client_for(manager).post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert pushed.status_code in (200, 201, 202), pushed.content
    pending = CircuitPendingItem.objects.get()
    own = client_for(manager).post(circuit_url(circuit, f"/pending-items/{pending.pk}/approve"))
    assert own.status_code == 403, own.content
    operation_id = pushed.json()["operation_id"]
    own = client_for(manager).post(f"/api/circuits/operations/{operation_id}/approve")
    assert own.status_code == 403
    second = member_of(circuit, "Admin")
    approved = client_for(second).post(circuit_url(circuit, f"/pending-items/{pending.pk}/approve"))
    assert approved.status_code == 200, approved.content


def test_the_owner_may_approve_their_own_push(circuit, user, auth_client):
    require_approval(circuit, push=True)
    item = item_for(user)
    auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    pending = CircuitPendingItem.objects.get()
    response = auth_client.post(circuit_url(circuit, f"/pending-items/{pending.pk}/approve"))
    assert response.status_code == 200


def test_a_manager_cannot_approve_their_own_pull(circuit, user, auth_client):
    item = item_for(user)
    auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    require_approval(circuit, pull=True)
    manager = member_of(circuit, "Admin")
    pulled = client_for(manager).post(circuit_url(circuit, f"/pull/{item.dfid}"))
    operation_id = pulled.json()["operation"]["operation_id"]
    own = client_for(manager).post(f"/api/circuits/operations/{operation_id}/approve")
    assert own.status_code == 403
    assert auth_client.post(f"/api/circuits/operations/{operation_id}/approve").status_code == 200
