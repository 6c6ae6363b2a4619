"""The earlier engine's circuit routes (CONTRACT.md §8.9-8.12): each test sends what an engine
client sends and reads what it reads (status, envelope, field names and types)."""

import uuid

import pytest
from rest_framework.test import APIClient

from circuits.models import (
    CircuitJoinRequest,
    CircuitMember,
    CircuitOperation,
    WebhookDelivery,
)
from circuits.services import (
    circuit_pull,
    circuit_push,
    circuit_set_public_settings,
    circuit_update,
    join_request_create,
    role_create,
)
from circuits.services.webhooks import webhook_create
from items.services import event_record
from tests.accounts.factories import StaffFactory, UserFactory
from tests.circuits.factories import (
    CircuitFactory,
    canonical,
    circuit_url,
    item_for,
    local_item_for,
    member_of,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CIRCUIT_FIELDS = {
    "circuit_id": str,
    "name": str,
    "description": str,
    "owner_id": str,
    "created_timestamp": int,
    "last_modified": int,
    "members": list,
    "permissions": dict,
    "status": str,
    "pending_requests": list,
    "custom_roles": list,
    "public_settings": (dict, type(None)),
}
MEMBER_FIELDS = {
    "member_id": str,
    "role": str,
    "custom_role_name": (str, type(None)),
    "permissions": list,
    "joined_timestamp": int,
}
ROLE_FIELDS = {
    "role_id": str,
    "role_name": str,
    "permissions": list,
    "description": str,
    "color": (str, type(None)),
    "member_count": int,
    "created_timestamp": int,
    "created_by": (str, type(None)),
    "is_default": bool,
}
OPERATION_FIELDS = {
    "operation_id": str,
    "circuit_id": str,
    "dfid": (str, type(None)),
    "operation_type": str,
    "requester_id": str,
    "timestamp": int,
    "status": str,
    "metadata": dict,
}
JOIN_REQUEST_FIELDS = {
    "requester_id": str,
    "requested_at": int,
    "message": (str, type(None)),
    "status": str,
}


def assert_shape(value: dict, fields: dict) -> None:
    assert isinstance(value, dict), value
    for name, kind in fields.items():
        assert name in value, f"{name} missing from {sorted(value)}"
        assert isinstance(value[name], kind), f"{name}: {value[name]!r} is not {kind}"


def assert_circuit(body: dict) -> None:
    assert_shape(body, CIRCUIT_FIELDS)
    for member in body["members"]:
        assert_shape(member, MEMBER_FIELDS)
    for role in body["custom_roles"]:
        assert_shape(role, ROLE_FIELDS)
    for request in body["pending_requests"]:
        assert_shape(request, JOIN_REQUEST_FIELDS)
    assert set(body["permissions"]) == {
        "require_approval_for_push",
        "require_approval_for_pull",
        "allow_public_visibility",
    }


def both_slash_forms(client, method: str, path: str, body=None):
    """Calls ``path`` with and without a trailing slash; both answer alike."""
    first = getattr(client, method)(path, body, format="json")
    second = getattr(client, method)(path + "/", body, format="json")
    return first, second


@pytest.fixture
def owner_client(user):
    return client_for(user)


@pytest.fixture
def circuit(user):
    return CircuitFactory(owner=user)


@pytest.fixture
def loopback_webhooks(settings):
    """Webhooks in these tests point at this machine; nothing is sent."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True


# --- §8.9 circuits ------------------------------------------------------------------------------


def test_create_circuit_takes_the_engine_body(owner_client, user):
    response = owner_client.post(
        "/api/circuits",
        {
            "name": "Auto-Approve Test Circuit",
            "description": "Circuit for testing",
            "default_namespace": "bovino",
            "owner_id": user.pk,
            "adapter_config": {"adapter_type": "IpfsIpfs", "requires_approval": True},
            "require_approval_for_push": True,
            "public_settings": {"access_mode": "Public", "auto_approve_members": True},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert_circuit(body)
    assert body["owner_id"] == user.pk
    assert body["status"] == "Active"
    assert body["permissions"] == {
        "require_approval_for_push": True,
        "require_approval_for_pull": False,
        "allow_public_visibility": True,  # public settings make it visible, as the engine did
    }
    [owner] = body["members"]
    assert owner["role"] == "Owner" and len(owner["permissions"]) == 9
    assert body["public_settings"]["access_mode"] == "Public"
    assert body["public_settings"]["auto_approve_members"] is True
    assert body["adapter_config"]["adapter_type"] == "ipfs-ipfs"


def test_create_refuses_an_owner_id_naming_someone_else(owner_client, other_user):
    response = owner_client.post(
        "/api/circuits", {"name": "X", "description": "d", "owner_id": other_user.pk}
    )
    assert response.status_code == 403
    assert response.json()["success"] is False


def test_create_without_credentials_is_401(api_client):
    response = api_client.post("/api/circuits", {"name": "X", "description": "d"})
    assert response.status_code == 401
    assert response.json()["success"] is False


@pytest.mark.parametrize("path", ["/api/circuits", "/api/circuits/list"])
def test_list_circuits_is_a_bare_array(owner_client, user, path):
    mine = CircuitFactory(owner=user)
    public = CircuitFactory()
    circuit_update(
        circuit=public, actor=public.owner, permissions={"allow_public_visibility": True}
    )
    CircuitFactory()  # another user's private circuit
    first, second = both_slash_forms(owner_client, "get", path)
    assert first.status_code == second.status_code == 200
    body = first.json()
    assert isinstance(body, list)
    assert {row["circuit_id"] for row in body} == {str(mine.pk), str(public.pk)}
    assert first["X-Total-Count"] == "2"
    for row in body:
        assert_circuit(row)
    only_mine = owner_client.get(path, {"include_public": "false", "status": "active"}).json()
    assert [row["circuit_id"] for row in only_mine] == [str(mine.pk)]
    assert owner_client.get(path, {"user_id": user.pk}).status_code == 200
    assert owner_client.get(path, {"user_id": "someone-else"}).status_code == 403


def test_circuits_of_a_member(owner_client, user, other_user):
    circuit = CircuitFactory(owner=other_user)
    member_of(circuit, "Viewer", user=user)
    CircuitFactory(owner=other_user)
    response = owner_client.get(f"/api/circuits/member/{user.pk}")
    assert response.status_code == 200
    assert [row["circuit_id"] for row in response.json()] == [str(circuit.pk)]
    assert owner_client.get(f"/api/circuits/member/{other_user.pk}").status_code == 403
    staff = client_for(StaffFactory())
    assert len(staff.get(f"/api/circuits/member/{other_user.pk}/").json()) == 2


def test_get_circuit(owner_client, circuit):
    first, second = both_slash_forms(owner_client, "get", circuit_url(circuit))
    assert first.status_code == second.status_code == 200
    assert_circuit(first.json())
    assert first.json()["circuit_id"] == str(circuit.pk)


def test_get_circuit_of_another_user_is_404(other_client, circuit):
    response = other_client.get(circuit_url(circuit))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_circuit_keeps_unsent_flags(owner_client, user, circuit, method):
    circuit_update(circuit=circuit, actor=user, permissions={"require_approval_for_pull": True})
    response = getattr(owner_client, method)(
        circuit_url(circuit),
        {"requester_id": user.pk, "permissions": {"allow_public_visibility": True}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert_circuit(body)
    assert body["permissions"] == {
        "require_approval_for_push": False,
        "require_approval_for_pull": True,
        "allow_public_visibility": True,
    }
    renamed = getattr(owner_client, method)(circuit_url(circuit) + "/", {"name": "Renamed"})
    assert renamed.json()["name"] == "Renamed"
    assert renamed.json()["permissions"]["allow_public_visibility"] is True


def test_update_by_a_member_without_the_permission_is_403(circuit):
    client = client_for(member_of(circuit, "Member"))
    response = client.put(circuit_url(circuit), {"name": "Mine now"})
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


def test_deactivate_circuit_is_a_put(owner_client, circuit):
    response = owner_client.put(circuit_url(circuit, "/deactivate"), {}, format="json")
    assert response.status_code == 200
    assert_circuit(response.json())
    assert response.json()["status"] == "Inactive"
    assert owner_client.post(circuit_url(circuit, "/deactivate"), {}).status_code == 405


def test_visibility_toggle(owner_client, circuit):
    first, second = both_slash_forms(
        owner_client, "put", circuit_url(circuit, "/visibility/toggle")
    )
    assert first.status_code == second.status_code == 200, first.content
    assert first.json() == {
        "success": True,
        "circuit_id": str(circuit.pk),
        "name": circuit.name,
        "visibility": "public",
        "allow_public_visibility": True,
    }
    assert second.json()["visibility"] == "private"
    circuit.refresh_from_db()
    assert circuit.permissions["allow_public_visibility"] is False
    member = client_for(member_of(circuit, "Admin"))
    assert member.put(circuit_url(circuit, "/visibility/toggle")).status_code == 403


def test_public_settings_take_the_engine_body(owner_client, user, circuit):
    response = owner_client.put(
        circuit_url(circuit, "/public-settings"),
        {
            "requester_id": user.pk,
            "public_settings": {
                "access_mode": "Public",
                "auto_approve_members": True,
                "auto_publish_pushed_items": True,
                "show_encrypted_events": False,
                "public_name": "Auto-Approve Circuit",
                "public_description": "A test circuit",
                "export_permissions": "members",
            },
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert_circuit(body["data"])
    settings = body["data"]["public_settings"]
    assert settings["access_mode"] == "Public"
    assert settings["auto_approve_members"] is True
    assert settings["auto_publish_pushed_items"] is True
    assert settings["public_name"] == "Auto-Approve Circuit"
    assert settings["export_permissions"] == "Members"
    assert isinstance(settings["public_since"], str)


def test_public_settings_protected_never_shows_the_password(owner_client, circuit):
    response = owner_client.put(
        circuit_url(circuit, "/public-settings"),
        {"public_settings": {"access_mode": "PROTECTED", "access_password": "s3cret-pass"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    settings = response.json()["data"]["public_settings"]
    assert settings["access_mode"] == "Protected"
    assert settings["access_password"] is None
    assert settings["has_password"] is True
    assert "s3cret-pass" not in response.content.decode()


@pytest.mark.parametrize(
    "settings, field",
    [
        ({"access_mode": "secret"}, "access_mode"),
        ({"access_mode": "protected"}, "password"),
        ({"access_mode": "scheduled"}, "public_from"),
        ({"access_mode": "scheduled", "scheduled_date": "tomorrow"}, "scheduled_date"),
        ({"access_mode": "public", "export_permissions": "everyone"}, "export_permissions"),
    ],
)
def test_public_settings_refuse_bad_values(owner_client, circuit, settings, field):
    response = owner_client.put(
        circuit_url(circuit, "/public-settings"), {"public_settings": settings}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False and body["error"] == "validation_error"
    assert field in str(body["details"])


def test_adapter_get_and_put_read_both_spellings(owner_client, circuit):
    response = owner_client.get(circuit_url(circuit, "/adapter"))
    assert response.status_code == 200
    assert response.json()["adapter_type"] == "none"
    for spelling in ("IpfsIpfs", "ipfs-ipfs", " IpfsIpfs "):
        response = owner_client.put(
            circuit_url(circuit, "/adapter/"),
            {
                "adapter_type": spelling,
                "auto_migrate_existing": False,
                "requires_approval": True,
                "sponsor_adapter_access": True,
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["adapter_type"] == "ipfs-ipfs"
        assert body["requires_approval"] is True
        assert body["sponsor_adapter_access"] is True
        assert isinstance(body["configured_at"], str) and body["configured_at"][:2] == "20"
    response = owner_client.put(
        circuit_url(circuit, "/adapter"), {"adapter_type": "Carrier pigeon"}, format="json"
    )
    assert response.status_code == 400
    assert "adapter_type" in response.json()["details"]


def test_adapter_beyond_the_tier_is_refused(owner_client, circuit):
    response = owner_client.put(
        circuit_url(circuit, "/adapter"), {"adapter_type": "StellarMainnetIpfs"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"] == "tier_limit_exceeded"


def test_items_and_activities(owner_client, user, circuit):
    item = item_for(user)
    circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    items = owner_client.get(circuit_url(circuit, "/items"))
    assert items.status_code == 200
    [row] = items.json()
    assert row == {
        "dfid": item.dfid,
        "circuit_id": str(circuit.pk),
        "circuit_name": circuit.name,
        "pushed_by": user.pk,
        "pushed_at": row["pushed_at"],
        "permissions": ["read", "verify"],
    }
    with_events = owner_client.get(circuit_url(circuit, "/items"), {"include_events": "true"})
    [row] = with_events.json()
    assert {"PushedToCircuit", "Created"} <= {event["event_type"] for event in row["events"]}
    for event in row["events"]:
        assert_shape(event, {"event_id": str, "dfid": str, "timestamp": str, "visibility": str})

    activities = owner_client.get(circuit_url(circuit, "/activities/"))
    assert activities.status_code == 200
    [activity] = activities.json()
    assert_shape(
        activity,
        {
            "activity_id": str,
            "activity_type": str,
            "circuit_id": str,
            "circuit_name": str,
            "item_dfids": list,
            "user_id": str,
            "timestamp": int,
            "status": str,
            "details": dict,
        },
    )
    assert activity["activity_type"] == "Push" and activity["status"] == "Success"
    assert activity["details"]["items_count"] == 1


def test_post_actions_settings_and_webhooks(owner_client, user, circuit, loopback_webhooks):
    path = circuit_url(circuit, "/post-actions")
    empty = owner_client.get(path)
    assert empty.status_code == 200
    assert empty.json() == {"success": True, "data": None}
    webhook_create(
        circuit=circuit,
        user=user,
        name="ERP",
        url="http://127.0.0.1:9/hook",
        trigger_events=["item_pushed"],
        auth_type="bearer",
        auth_config={"token": "erp-secret-token"},
    )
    response = owner_client.put(
        path + "/",
        {
            "enabled": True,
            "trigger_events": ["ItemPushed", "item_tokenized"],
            "include_storage_details": True,
            "include_item_metadata": False,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True and body["message"] == "Post-action settings updated"
    data = body["data"]
    assert data["enabled"] is True
    assert data["trigger_events"] == ["ItemPushed", "ItemTokenized"]
    assert data["include_storage_details"] is True
    [webhook] = data["webhooks"]
    assert_shape(
        webhook,
        {
            "id": str,
            "name": str,
            "url": str,
            "method": str,
            "headers": dict,
            "auth_type": str,
            "enabled": bool,
            "retry_config": dict,
            "created_at": str,
            "updated_at": str,
        },
    )
    assert webhook["auth_type"] == "BearerToken" and webhook["auth_credentials"] is None
    assert "erp-secret-token" not in response.content.decode()
    assert owner_client.get(path).json()["data"] == data
    bad = owner_client.put(path, {"enabled": True, "trigger_events": ["Teleported"]}, format="json")
    assert bad.status_code == 400
    member = client_for(member_of(circuit, "Admin"))
    assert member.get(path).status_code == 403
    assert client_for(UserFactory()).get(path).status_code == 404


def test_post_action_settings_decide_which_webhooks_are_called(
    user, circuit, loopback_webhooks, django_capture_on_commit_callbacks
):
    webhook_create(
        circuit=circuit,
        user=user,
        name="ERP",
        url="http://127.0.0.1:9/hook",
        trigger_events=["item_pushed"],
    )
    client = client_for(user)
    settings_path = circuit_url(circuit, "/post-actions")

    def push_and_deliveries(**settings) -> list:
        client.put(settings_path, settings, format="json")
        item = item_for(user, enriched_data={"breed": "Nelore"})
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(circuit_url(circuit, f"/push/{item.dfid}"))
        assert response.status_code == 200
        return list(WebhookDelivery.objects.filter(payload__dfid=item.dfid))

    assert push_and_deliveries(enabled=False, trigger_events=[]) == []
    assert push_and_deliveries(enabled=True, trigger_events=["item_approved"]) == []
    [delivery] = push_and_deliveries(
        enabled=True, trigger_events=["ItemPushed"], include_item_metadata=True
    )
    assert delivery.payload["data"]["item"]["enriched_data"] == {"breed": "Nelore"}
    [delivery] = push_and_deliveries(enabled=True, trigger_events=[])
    assert "enriched_data" not in delivery.payload["data"]["item"]


# --- §8.10 members, roles, join requests --------------------------------------------------------


def test_add_member_answers_the_circuit(owner_client, circuit):
    newcomer = UserFactory()
    response = owner_client.post(
        circuit_url(circuit, "/members"), {"member_id": newcomer.pk, "role": "viewer"}
    )
    assert response.status_code == 200, response.content
    assert_circuit(response.json())
    [added] = [m for m in response.json()["members"] if m["member_id"] == newcomer.pk]
    assert added["role"] == "Viewer" and added["permissions"] == ["Pull"]
    by_username = owner_client.post(
        circuit_url(circuit, "/members/"), {"member_id": UserFactory().username, "role": "Member"}
    )
    assert by_username.status_code == 200
    bad_role = owner_client.post(
        circuit_url(circuit, "/members"), {"member_id": UserFactory().pk, "role": "Emperor"}
    )
    assert bad_role.status_code == 400


def test_assign_member_role(owner_client, user, circuit):
    member = member_of(circuit, "Member")
    role_create(circuit=circuit, actor=user, role_name="Inspector", permissions=["Pull"])
    response = owner_client.patch(
        circuit_url(circuit, f"/members/{member.pk}"),
        {"role": "Member", "custom_role_name": "Inspector"},
        format="json",
    )
    assert response.status_code == 200, response.content
    [row] = [m for m in response.json()["members"] if m["member_id"] == member.pk]
    assert row["custom_role_name"] == "Inspector"
    assert row["permissions"] == ["Pull"]
    [role] = response.json()["custom_roles"]
    assert role["member_count"] == 1


def test_custom_roles_create_list_update_delete(owner_client, user, circuit):
    created = owner_client.post(
        circuit_url(circuit, "/roles"),
        {
            "role_name": "Inspector",
            "permissions": ["pull", "CERTIFY"],
            "description": "Certifies lots",
            "color": "#2a9d8f",
        },
        format="json",
    )
    assert created.status_code == 200, created.content
    assert_shape(created.json(), ROLE_FIELDS)
    assert created.json()["permissions"] == ["Pull", "Certify"]
    assert created.json()["created_by"] == user.pk
    assert created.json()["color"] == "#2a9d8f"

    listed = owner_client.get(circuit_url(circuit, "/roles/"))
    assert listed.status_code == 200
    [role] = listed.json()
    assert role["description"] == "Certifies lots"

    updated = owner_client.put(
        circuit_url(circuit, "/roles/Inspector"), {"permissions": ["Pull"]}, format="json"
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["permissions"] == ["Pull"]
    assert updated.json()["description"] == "Certifies lots"
    assert owner_client.patch(circuit_url(circuit, "/roles/Inspector"), {}).status_code == 405

    bad = owner_client.post(
        circuit_url(circuit, "/roles"),
        {"role_name": "X", "permissions": ["fly"], "description": ""},
        format="json",
    )
    assert bad.status_code == 400
    assert "fly" in bad.json()["message"]

    deleted = owner_client.delete(circuit_url(circuit, "/roles/Inspector/"))
    assert deleted.status_code == 200
    assert deleted.json() == {
        "success": True,
        "message": "Custom role 'Inspector' deleted successfully",
    }


def test_join_request_flow_under_requests(owner_client, user, circuit):
    requester = UserFactory()
    requester_client = client_for(requester)
    asked = requester_client.post(
        circuit_url(circuit, "/requests"),
        {"requester_id": requester.pk, "message": "Let me in"},
        format="json",
    )
    assert asked.status_code == 200, asked.content
    body = asked.json()
    assert_circuit(body)
    assert body["members"] == []  # not a member yet: the members are not shown
    assert [r["requester_id"] for r in body["pending_requests"]] == [requester.pk]

    pending = owner_client.get(circuit_url(circuit, "/requests/pending"))
    assert pending.status_code == 200
    [row] = pending.json()
    assert_shape(row, JOIN_REQUEST_FIELDS)
    assert row == {
        "requester_id": requester.pk,
        "requested_at": row["requested_at"],
        "message": "Let me in",
        "status": "Pending",
    }

    approved = owner_client.post(
        circuit_url(circuit, f"/requests/{requester.username}/approve"),
        {"admin_id": user.pk, "role": "member"},
        format="json",
    )
    assert approved.status_code == 200, approved.content
    assert_circuit(approved.json())
    assert requester.pk in {m["member_id"] for m in approved.json()["members"]}
    assert approved.json()["pending_requests"] == []


def test_join_request_reject(owner_client, user, circuit):
    requester = UserFactory()
    join_request_create(circuit=circuit, requester=requester)
    response = owner_client.post(
        circuit_url(circuit, f"/requests/{requester.pk}/reject/"),
        {"admin_id": user.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert_circuit(response.json())
    assert CircuitJoinRequest.objects.get(requester=requester).status == "Rejected"


def test_approving_with_someone_elses_admin_id_is_403(owner_client, circuit, other_user):
    requester = UserFactory()
    join_request_create(circuit=circuit, requester=requester)
    response = owner_client.post(
        circuit_url(circuit, f"/requests/{requester.pk}/approve"),
        {"admin_id": other_user.pk, "role": "Member"},
        format="json",
    )
    assert response.status_code == 403
    assert not CircuitMember.objects.filter(circuit=circuit, member=requester).exists()


def test_defarm_join_request_paths_are_gone(owner_client, circuit):
    assert owner_client.get(circuit_url(circuit, "/join-requests")).status_code == 404


# --- §8.11 push, pull, operations, pending items ------------------------------------------------


def test_push_answers_the_operation(owner_client, user, circuit):
    item = item_for(user)
    response = owner_client.post(circuit_url(circuit, f"/push/{item.dfid}"), {}, format="json")
    assert response.status_code == 200, response.content
    assert_shape(response.json(), OPERATION_FIELDS)
    assert response.json()["operation_type"] == "Push"
    assert response.json()["status"] == "Completed"
    assert response.json()["requester_id"] == user.pk


def test_push_batch(owner_client, user, circuit):
    first, second = item_for(user), item_for(user)
    response = owner_client.post(
        circuit_url(circuit, "/push/batch"),
        {"items": [{"dfid": first.dfid}, {"dfid": "DFID-NOPE"}, {"dfid": second.dfid}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success_count"] == 2 and body["failed_count"] == 1
    assert [row["success"] for row in body["results"]] == [True, False, True]
    assert "not found" in body["results"][1]["error_message"]
    assert circuit.circuit_items.count() == 2


def test_push_local_answers_success_data(user, circuit):
    member = member_of(circuit, "Member")
    local = local_item_for(member, canonical())
    response = client_for(member).post(
        circuit_url(circuit, "/push-local"),
        {
            "local_id": str(local.local_id),
            "requester_id": member.pk,
            "enhanced_identifiers": [],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert_shape(body["data"], {"dfid": str, "status": str, "operation_id": str, "local_id": str})
    assert body["data"]["status"] == "NewItemCreated"


def test_push_local_with_someone_elses_requester_id_is_403(owner_client, user, circuit):
    local = local_item_for(user, canonical())
    response = owner_client.post(
        circuit_url(circuit, "/push-local"),
        {"local_id": str(local.local_id), "requester_id": "pullet-user-001"},
        format="json",
    )
    assert response.status_code == 403


def test_pull_answers_item_events_and_operation(owner_client, user, circuit):
    item = item_for(user)
    circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    response = owner_client.post(circuit_url(circuit, f"/pull/{item.dfid}"), {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert_shape(body, {"item": dict, "events": list, "events_count": int, "operation": dict})
    assert_shape(
        body["item"],
        {
            "dfid": str,
            "identifiers": list,
            "enriched_data": dict,
            "creation_timestamp": int,
            "last_modified": int,
            "source_entries": list,
            "confidence_score": float,
            "status": str,
        },
    )
    assert "Canonical" in body["item"]["identifiers"][0]["id_type"]
    assert body["events_count"] == len(body["events"]) > 0
    assert_shape(body["operation"], OPERATION_FIELDS)
    assert body["operation"]["operation_type"] == "Pull"


def test_operations_list_pending_and_approve(owner_client, user, circuit):
    item = item_for(user)
    circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    circuit_update(circuit=circuit, actor=user, permissions={"require_approval_for_pull": True})
    member = member_of(circuit, "Member")
    operation = circuit_pull(circuit=circuit, user=member, dfid=item.dfid)

    listed = owner_client.get(circuit_url(circuit, "/operations"))
    assert listed.status_code == 200
    assert len(listed.json()) == 2
    for row in listed.json():
        assert_shape(row, OPERATION_FIELDS)

    pending = owner_client.get(circuit_url(circuit, "/operations/pending/"))
    assert pending.status_code == 200
    assert [row["operation_id"] for row in pending.json()] == [str(operation.pk)]
    assert pending.json()[0]["status"] == "Pending"

    approved = owner_client.post(
        f"/api/circuits/operations/{operation.pk}/approve",
        {"approver_id": user.pk},
        format="json",
    )
    assert approved.status_code == 200, approved.content
    assert_shape(approved.json(), OPERATION_FIELDS)
    assert approved.json()["status"] == "Completed"
    assert approved.json()["metadata"]["approver_id"] == user.pk


def test_operation_approve_is_scoped_to_managers(user, circuit):
    item = item_for(user)
    circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    circuit_update(circuit=circuit, actor=user, permissions={"require_approval_for_pull": True})
    operation = circuit_pull(circuit=circuit, user=user, dfid=item.dfid)
    path = f"/api/circuits/operations/{operation.pk}/approve/"
    stranger = client_for(UserFactory()).post(path, {}, format="json")
    assert stranger.status_code == 404
    member = client_for(member_of(circuit, "Member")).post(path, {}, format="json")
    assert member.status_code == 403
    assert (
        client_for(user).post(f"/api/circuits/operations/{uuid.uuid4()}/approve").status_code == 404
    )
    assert CircuitOperation.objects.get(pk=operation.pk).status == "Pending"


def test_pending_items_list_approve_reject(owner_client, user, circuit):
    circuit_update(circuit=circuit, actor=user, permissions={"require_approval_for_push": True})
    member = member_of(circuit, "Member")
    first, second = item_for(member), item_for(member)
    first_op = circuit_push(circuit=circuit, user=member, dfid=first.dfid)
    circuit_push(circuit=circuit, user=member, dfid=second.dfid)

    listed = owner_client.get(circuit_url(circuit, "/pending-items"))
    assert listed.status_code == 200
    body = listed.json()
    assert body["success"] is True and len(body["data"]) == 2
    assert listed["X-Total-Count"] == "2"
    for row in body["data"]:
        assert_shape(
            row,
            {
                "pending_id": str,
                "dfid": str,
                "pushed_by": str,
                "pushed_at": int,
                "status": str,
                "item_preview": dict,
            },
        )

    approved = owner_client.post(
        circuit_url(circuit, f"/pending-items/{first_op.pk}/approve"),
        {"admin_id": user.pk},
        format="json",
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["success"] is True
    assert approved.json()["message"] == "Item approved and added to circuit"
    assert_shape(
        approved.json()["data"],
        {
            "circuit_id": str,
            "dfid": str,
            "pushed_by": str,
            "pushed_at": int,
            "approved_by": str,
            "approved_at": int,
            "status": str,
        },
    )
    assert approved.json()["data"]["status"] == "active"

    [row] = owner_client.get(circuit_url(circuit, "/pending-items")).json()["data"]
    rejected = owner_client.post(
        circuit_url(circuit, f"/pending-items/{row['pending_id']}/reject/"),
        {"admin_id": user.pk, "reason": "Wrong lot"},
        format="json",
    )
    assert rejected.status_code == 200, rejected.content
    assert rejected.json() == {"success": True, "message": "Item rejected"}


# --- §8.12 public circuit views -----------------------------------------------------------------


def test_public_view_without_login(user, circuit):
    item = item_for(user)
    circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    event_record(item=item, event_type="Enriched", user=user, source="test", metadata={"w": 1})
    circuit_set_public_settings(
        circuit=circuit,
        actor=user,
        public_settings={
            "access_mode": "public",
            "public_name": "Valley",
            "published_items": [item.dfid],
        },
    )
    first, second = both_slash_forms(APIClient(), "get", circuit_url(circuit, "/public"))
    assert first.status_code == second.status_code == 200, first.content
    body = first.json()
    assert body["success"] is True
    data = body["data"]
    assert_shape(
        data,
        {
            "circuit_id": str,
            "public_name": str,
            "member_count": int,
            "items_count": int,
            "events_count": int,
            "access_mode": str,
            "requires_password": bool,
            "is_currently_accessible": bool,
            "published_items": list,
            "published_items_with_events": list,
            "auto_publish_pushed_items": bool,
            "created_at": str,
            "recent_activity": list,
        },
    )
    assert data["access_mode"] == "public"
    assert data["published_items"] == [item.dfid]
    assert data["events_count"] >= 1
    [published] = data["published_items_with_events"]
    assert all(event["visibility"] == "Public" for event in published["events"])


def test_public_view_of_a_private_circuit_is_404(circuit):
    response = APIClient().get(circuit_url(circuit, "/public"))
    assert response.status_code == 404
    assert response.json()["error"] == "circuit_not_public"


def test_protected_public_view_hides_items_without_the_password(user, circuit):
    item = item_for(user)
    circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    circuit_set_public_settings(
        circuit=circuit,
        actor=user,
        public_settings={
            "access_mode": "protected",
            "password": "hunter22",
            "published_items": [item.dfid],
        },
    )
    path = circuit_url(circuit, "/public")
    anonymous = APIClient().get(path).json()["data"]
    assert anonymous["requires_password"] is True
    assert anonymous["is_currently_accessible"] is False
    assert anonymous["published_items"] == []
    wrong = APIClient().get(path, HTTP_X_CIRCUIT_PASSWORD="nope")
    assert wrong.status_code == 403
    right = APIClient().get(path, HTTP_X_CIRCUIT_PASSWORD="hunter22").json()["data"]
    assert right["published_items"] == [item.dfid]


def test_public_join_auto_approved_or_requested(user, circuit):
    circuit_set_public_settings(
        circuit=circuit,
        actor=user,
        public_settings={"access_mode": "public", "auto_approve_members": True},
    )
    joiner = UserFactory()
    response = client_for(joiner).post(
        circuit_url(circuit, "/public/join"),
        {"requester_id": joiner.pk, "message": "Requesting to join"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "success": True,
        "message": "Automatically approved",
        "requires_approval": False,
    }
    assert CircuitMember.objects.filter(circuit=circuit, member=joiner, role="Member").exists()

    circuit_set_public_settings(
        circuit=circuit, actor=user, public_settings={"access_mode": "public"}
    )
    other = UserFactory()
    response = client_for(other).post(circuit_url(circuit, "/public/join/"), {}, format="json")
    assert response.status_code == 200
    assert response.json()["requires_approval"] is True
    assert CircuitJoinRequest.objects.filter(circuit=circuit, requester=other).exists()


def test_public_join_of_a_private_circuit_is_404(circuit, other_client):
    response = other_client.post(circuit_url(circuit, "/public/join"), {}, format="json")
    assert response.status_code == 404
