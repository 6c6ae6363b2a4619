"""A circuit Admin cannot change, demote or remove a member or custom role holding
permissions the Admin does not hold; the owner can."""

import pytest

from circuits.models import CircuitCustomRole, CircuitMember
from circuits.services import role_create
from tests.circuits.factories import CircuitFactory, circuit_url, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

POWERFUL = ["Push", "Pull", "ManagePermissions", "Delete", "Audit"]


@pytest.fixture
def circuit(user):
    circuit = CircuitFactory(owner=user)
    role_create(circuit=circuit, actor=None, role_name="Auditor", permissions=POWERFUL)
    return circuit


@pytest.fixture
def admin_client(circuit):
    return client_for(member_of(circuit, role="Admin"))


@pytest.fixture
def auditor(circuit):
    return member_of(circuit, role="Auditor")


def permissions_of(circuit, user) -> list[str]:
    return CircuitMember.objects.get(circuit=circuit, member=user).permissions


def test_admin_cannot_edit_a_role_holding_permissions_it_lacks(circuit, admin_client):
    response = admin_client.put(
        circuit_url(circuit, "/roles/Auditor"), {"permissions": ["Pull"]}, format="json"
    )
    assert response.status_code == 403, response.content
    assert "ManagePermissions" in response.json()["message"]
    assert CircuitCustomRole.objects.get(circuit=circuit).permissions == POWERFUL


def test_admin_cannot_delete_a_role_holding_permissions_it_lacks(circuit, admin_client):
    response = admin_client.delete(circuit_url(circuit, "/roles/Auditor"))
    assert response.status_code == 403
    assert CircuitCustomRole.objects.filter(circuit=circuit, role_name="Auditor").exists()


def test_admin_cannot_demote_a_member_holding_permissions_it_lacks(circuit, admin_client, auditor):
    response = admin_client.patch(
        circuit_url(circuit, f"/members/{auditor.pk}"), {"role": "Viewer"}, format="json"
    )
    assert response.status_code == 403, response.content
    assert permissions_of(circuit, auditor) == POWERFUL


def test_admin_cannot_remove_a_member_holding_permissions_it_lacks(circuit, admin_client, auditor):
    response = admin_client.delete(circuit_url(circuit, f"/members/{auditor.pk}"))
    assert response.status_code == 403
    assert CircuitMember.objects.filter(circuit=circuit, member=auditor).exists()


def test_admin_still_manages_members_within_its_own_permissions(circuit, admin_client):
    member = member_of(circuit, role="Member")
    response = admin_client.patch(
        circuit_url(circuit, f"/members/{member.pk}"), {"role": "Viewer"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert admin_client.delete(circuit_url(circuit, f"/members/{member.pk}")).status_code == 204


def test_the_owner_may_change_demote_and_remove_anyone(circuit, auth_client, auditor):
    assert (
        auth_client.patch(
            circuit_url(circuit, f"/members/{auditor.pk}"), {"role": "Viewer"}, format="json"
        ).status_code
        == 200
    )
    assert (
        auth_client.put(
            circuit_url(circuit, "/roles/Auditor"), {"permissions": ["Pull"]}, format="json"
        ).status_code
        == 200
    )
    assert auth_client.delete(circuit_url(circuit, f"/members/{auditor.pk}")).status_code == 204


def test_a_member_holding_more_may_still_leave(circuit, auditor):
    response = client_for(auditor).delete(circuit_url(circuit, f"/members/{auditor.pk}"))
    assert response.status_code == 204
