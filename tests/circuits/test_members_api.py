import pytest

from accounts.models import Notification
from circuits.models import CircuitJoinRequest, CircuitMember, JoinRequestStatus
from circuits.permissions import ROLE_PERMISSIONS
from tests.accounts.factories import UserFactory
from tests.circuits.factories import circuit_url, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def membership(circuit, user):
    return CircuitMember.objects.get(circuit=circuit, member=user)


def member_row(response, user) -> dict:
    """The member ``user`` in a CircuitResponse answer."""
    [row] = [m for m in response.json()["members"] if m["member_id"] == user.pk]
    return row


def notified(user, notification_type):
    return Notification.objects.filter(user=user, notification_type=notification_type).count()


# --- members ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Admin", "Member", "Viewer"])
def test_add_member_with_a_built_in_role(auth_client, circuit, other_user, role):
    response = auth_client.post(
        circuit_url(circuit, "/members"), {"member_id": other_user.pk, "role": role}
    )
    assert response.status_code == 200, response.content
    assert member_row(response, other_user)["role"] == role
    assert set(membership(circuit, other_user).permissions) == set(ROLE_PERMISSIONS[role])
    assert notified(other_user, "member_added") == 1


def test_add_member_errors(auth_client, circuit, other_user):
    add = circuit_url(circuit, "/members")
    assert auth_client.post(add, {"member_id": "user-nobody", "role": "Member"}).status_code == 400
    assert auth_client.post(add, {"member_id": other_user.pk, "role": "Owner"}).status_code == 400
    assert auth_client.post(add, {"member_id": other_user.pk, "role": "Boss"}).status_code == 400
    assert auth_client.post(add, {"member_id": other_user.pk, "role": "Member"}).status_code == 200
    response = auth_client.post(add, {"member_id": other_user.pk, "role": "Viewer"})
    assert response.status_code == 409
    assert response.json()["error"] == "already_member"


def test_adding_members_needs_invite(circuit, other_user):
    plain = member_of(circuit, "Member")
    response = client_for(plain).post(
        circuit_url(circuit, "/members"), {"member_id": other_user.pk, "role": "Viewer"}
    )
    assert response.status_code == 403
    assert "Invite" in response.json()["message"]


def test_nobody_grants_permissions_they_do_not_hold(auth_client, circuit, other_user):
    auth_client.post(
        circuit_url(circuit, "/roles"),
        {"role_name": "Auditor", "permissions": ["Audit", "Pull"], "description": ""},
        format="json",
    )
    admin = member_of(circuit, "Admin")  # Admin lacks Audit
    response = client_for(admin).post(
        circuit_url(circuit, "/members"), {"member_id": other_user.pk, "role": "Auditor"}
    )
    assert response.status_code == 403
    assert "Audit" in response.json()["message"]
    response = client_for(admin).post(
        circuit_url(circuit, "/members"), {"member_id": other_user.pk, "role": "Member"}
    )
    assert response.status_code == 200


def test_change_member_role_and_custom_role(auth_client, circuit, other_user):
    member_of(circuit, "Viewer", user=other_user)
    member_path = circuit_url(circuit, f"/members/{other_user.pk}")
    response = auth_client.patch(member_path, {"role": "Admin"}, format="json")
    assert response.status_code == 200
    assert set(member_row(response, other_user)["permissions"]) == set(ROLE_PERMISSIONS["Admin"])
    assert notified(other_user, "role_changed") == 1

    auth_client.post(
        circuit_url(circuit, "/roles"),
        {"role_name": "Certifier", "permissions": ["Pull", "Certify"]},
        format="json",
    )
    response = auth_client.patch(member_path, {"custom_role_name": "Certifier"}, format="json")
    assert response.status_code == 200
    row = member_row(response, other_user)
    assert (row["role"], row["custom_role_name"]) == ("Member", "Certifier")
    assert row["permissions"] == ["Pull", "Certify"]  # replaced, not added
    assert auth_client.patch(member_path, {"custom_role_name": "Nope"}).status_code == 400
    assert auth_client.patch(member_path, {}, format="json").status_code == 400


def test_owner_membership_is_fixed(auth_client, circuit, user):
    owner_path = circuit_url(circuit, f"/members/{user.pk}")
    assert auth_client.patch(owner_path, {"role": "Viewer"}).status_code == 409
    assert auth_client.delete(owner_path).status_code == 409


def test_remove_member_and_leave(auth_client, circuit, other_user):
    member_of(circuit, "Member", user=other_user)
    third = member_of(circuit, "Member")
    # A Member cannot remove someone else, but may leave.
    other = client_for(other_user)
    assert other.delete(circuit_url(circuit, f"/members/{third.pk}")).status_code == 403
    assert other.delete(circuit_url(circuit, f"/members/{other_user.pk}")).status_code == 204
    assert not CircuitMember.objects.filter(circuit=circuit, member=other_user).exists()
    assert auth_client.delete(circuit_url(circuit, f"/members/{third.pk}")).status_code == 204
    assert notified(third, "member_removed") == 1
    assert auth_client.delete(circuit_url(circuit, f"/members/{third.pk}")).status_code == 404


# --- custom roles -------------------------------------------------------------------------------


def test_custom_roles_crud(auth_client, circuit):
    roles = circuit_url(circuit, "/roles")
    response = auth_client.post(
        roles, {"role_name": "Inspector", "permissions": ["Pull", "Certify"]}, format="json"
    )
    assert response.status_code == 200
    assert (
        auth_client.post(
            roles, {"role_name": "Inspector", "permissions": ["Pull"]}, format="json"
        ).status_code
        == 409
    )
    assert (
        auth_client.post(
            roles, {"role_name": "Admin", "permissions": ["Pull"]}, format="json"
        ).status_code
        == 400
    )
    assert (
        auth_client.post(
            roles, {"role_name": "Weird", "permissions": ["Fly"]}, format="json"
        ).status_code
        == 400
    )
    listed = auth_client.get(roles).json()
    assert [r["role_name"] for r in listed] == ["Inspector"]


def test_editing_a_role_updates_its_holders(auth_client, circuit):
    auth_client.post(
        circuit_url(circuit, "/roles"),
        {"role_name": "Inspector", "permissions": ["Pull"]},
        format="json",
    )
    holder = member_of(circuit, "Inspector")
    response = auth_client.put(
        circuit_url(circuit, "/roles/Inspector"),
        {"permissions": ["Pull", "Push", "Certify"], "role_name": "Senior Inspector"},
        format="json",
    )
    assert response.status_code == 200, response.content
    row = membership(circuit, holder)
    assert row.role == "Senior Inspector"
    assert row.permissions == ["Push", "Pull", "Certify"]


def test_role_in_use_cannot_be_deleted(auth_client, circuit):
    auth_client.post(circuit_url(circuit, "/roles"), {"role_name": "Temp", "permissions": ["Pull"]})
    holder = member_of(circuit, "Temp")
    response = auth_client.delete(circuit_url(circuit, "/roles/Temp"))
    assert response.status_code == 409
    assert response.json()["error"] == "role_in_use"
    auth_client.patch(circuit_url(circuit, f"/members/{holder.pk}"), {"role": "Viewer"})
    assert auth_client.delete(circuit_url(circuit, "/roles/Temp")).status_code == 200
    assert auth_client.delete(circuit_url(circuit, "/roles/Temp")).status_code == 404


def test_roles_need_manage_roles(circuit):
    plain = member_of(circuit, "Member")
    client = client_for(plain)
    assert client.get(circuit_url(circuit, "/roles")).status_code == 200
    response = client.post(circuit_url(circuit, "/roles"), {"role_name": "X", "permissions": []})
    assert response.status_code == 403


# --- join requests ------------------------------------------------------------------------------


def test_join_request_flow_approved(user, circuit, other_user):
    admin = member_of(circuit, "Admin")
    requester = client_for(other_user)
    response = requester.post(circuit_url(circuit, "/requests"), {"message": "Hi"})
    assert response.status_code == 200, response.content
    assert response.json()["pending_requests"][0]["status"] == "Pending"
    # Managers (owner and Admin hold ManageMembers) are told.
    assert notified(user, "join_request_received") == 1
    assert notified(admin, "join_request_received") == 1

    again = requester.post(circuit_url(circuit, "/requests"), {"message": "Hi?"})
    assert again.status_code == 409
    assert again.json()["error"] == "join_request_pending"

    pending = client_for(admin).get(circuit_url(circuit, "/requests/pending")).json()
    assert [r["requester_id"] for r in pending] == [other_user.pk]

    response = client_for(admin).post(
        circuit_url(circuit, f"/requests/{other_user.pk}/approve"), {"role": "Viewer"}
    )
    assert response.status_code == 200, response.content
    assert membership(circuit, other_user).permissions == ["Pull"]
    assert notified(other_user, "join_request_approved") == 1
    assert CircuitJoinRequest.objects.get().status == JoinRequestStatus.APPROVED
    # Now a member: no more requests, and nothing left to approve.
    assert requester.post(circuit_url(circuit, "/requests")).status_code == 409
    assert (
        client_for(admin)
        .post(circuit_url(circuit, f"/requests/{other_user.pk}/approve"))
        .status_code
        == 404
    )


def test_join_request_rejected_then_asked_again(auth_client, circuit, other_user):
    requester = client_for(other_user)
    requester.post(circuit_url(circuit, "/requests"))
    response = auth_client.post(circuit_url(circuit, f"/requests/{other_user.pk}/reject"))
    assert response.status_code == 200
    assert response.json()["pending_requests"] == []
    assert CircuitJoinRequest.objects.get().status == JoinRequestStatus.REJECTED
    assert notified(other_user, "join_request_rejected") == 1
    assert not CircuitMember.objects.filter(circuit=circuit, member=other_user).exists()
    assert requester.post(circuit_url(circuit, "/requests")).status_code == 200


def test_join_requests_list_is_for_managers_only(circuit, other_user):
    client_for(other_user).post(circuit_url(circuit, "/requests"))
    plain = member_of(circuit, "Member")
    pending = circuit_url(circuit, "/requests/pending")
    assert client_for(plain).get(pending).status_code == 403
    assert client_for(other_user).get(pending).status_code == 404
    outsider = UserFactory()
    response = client_for(outsider).post(circuit_url(circuit, f"/requests/{other_user.pk}/approve"))
    assert response.status_code == 404


def test_owner_cannot_ask_to_join(auth_client, circuit):
    response = auth_client.post(circuit_url(circuit, "/requests"))
    assert response.status_code == 409
    assert response.json()["error"] == "already_member"


def test_join_request_for_unknown_circuit_is_404(other_client):
    path = "/api/circuits/00000000-0000-0000-0000-000000000000/requests"
    assert other_client.post(path).status_code == 404


def test_inactive_circuits_take_no_join_requests(auth_client, circuit, other_user):
    auth_client.put(circuit_url(circuit, "/deactivate"))
    response = client_for(other_user).post(circuit_url(circuit, "/requests"))
    assert response.status_code == 409
    assert response.json()["error"] == "circuit_inactive"
