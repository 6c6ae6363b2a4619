"""Every circuit endpoint, called by every kind of caller, answers what DOMAIN.md implies:
anonymous 401, non-members 404 (they may only ask to join), members without the needed
permission 403, members with it success; a member's read-only API key reads like its owner
and is refused every change (403)."""

from dataclasses import dataclass

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from accounts.services.api_keys import api_key_create
from circuits.models import CircuitOperation
from circuits.permissions import ALL_PERMISSIONS, ROLE_PERMISSIONS
from circuits.services import (
    circuit_pull,
    circuit_push,
    circuit_update,
    join_request_create,
    role_create,
)
from tests.accounts.factories import UserFactory
from tests.circuits.factories import (
    CircuitFactory,
    canonical,
    item_for,
    local_item_for,
    member_of,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ANY = "any signed-in user"
MEMBER = "any member"
JOIN = "non-members"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # formatted with the world's ids
    needs: str  # a permission, MEMBER, ANY or JOIN
    success: int
    body: dict | None = None


ENDPOINTS = [
    Endpoint("get", "/api/circuits", ANY, 200),
    Endpoint("get", "/api/circuits/list", ANY, 200),
    Endpoint("get", "/api/circuits/member/{self}", ANY, 200),
    Endpoint("post", "/api/circuits", ANY, 200, {"name": "Another", "description": "d"}),
    Endpoint("get", "{c}", MEMBER, 200),
    Endpoint("put", "{c}", "ManagePermissions", 200, {"description": "new"}),
    Endpoint("patch", "{c}", "ManagePermissions", 200, {"description": "new"}),
    Endpoint("delete", "{c}", "Delete", 204),
    Endpoint("put", "{c}/deactivate", "ManagePermissions", 200, {}),
    Endpoint("put", "{c}/visibility/toggle", "ManagePermissions", 200),
    Endpoint("post", "{c}/members", "Invite", 200, {"member_id": "{newcomer}", "role": "Viewer"}),
    Endpoint("patch", "{c}/members/{target}", "ManageMembers", 200, {"role": "Member"}),
    Endpoint("delete", "{c}/members/{target}", "ManageMembers", 204),
    Endpoint("get", "{c}/roles", MEMBER, 200),
    Endpoint(
        "post",
        "{c}/roles",
        "ManageRoles",
        200,
        {"role_name": "New", "permissions": [], "description": ""},
    ),
    Endpoint("put", "{c}/roles/Inspector", "ManageRoles", 200, {"permissions": []}),
    Endpoint("delete", "{c}/roles/Inspector", "ManageRoles", 200),
    Endpoint("get", "{c}/requests/pending", "ManageMembers", 200),
    Endpoint("post", "{c}/requests", JOIN, 200, {"message": "hello"}),
    Endpoint("post", "{c}/requests/{requester}/approve", "ManageMembers", 200, {"role": "Member"}),
    Endpoint("post", "{c}/requests/{requester}/reject", "ManageMembers", 200, {}),
    Endpoint("post", "{c}/push/{own_item}", "Push", 200, {}),
    Endpoint("post", "{c}/push/batch", "Push", 200, {"items": [{"dfid": "{own_item}"}]}),
    Endpoint("post", "{c}/push-local", "Push", 200, {"local_id": "{own_local}"}),
    Endpoint("post", "{c}/pull/{item_to_pull}", "Pull", 200, {}),
    Endpoint("get", "{c}/items", MEMBER, 200),
    Endpoint("get", "{c}/operations", MEMBER, 200),
    Endpoint("get", "{c}/operations/pending", MEMBER, 200),
    Endpoint("get", "{c}/operations/{pull_op}", MEMBER, 200),
    Endpoint("post", "/api/circuits/operations/{pull_op}/approve", "ManageMembers", 200, {}),
    Endpoint("post", "/api/circuits/operations/{pull_op}/reject", "ManageMembers", 200, {}),
    Endpoint("get", "{c}/pending-items", "ManageMembers", 200),
    Endpoint("post", "{c}/pending-items/{pending}/approve", "ManageMembers", 200, {}),
    Endpoint("post", "{c}/pending-items/{pending}/reject", "ManageMembers", 200, {}),
    Endpoint("get", "{c}/adapter", MEMBER, 200),
    Endpoint("put", "{c}/adapter", "ManagePermissions", 200, {"adapter_type": "local"}),
    Endpoint(
        "put",
        "{c}/public-settings",
        "ManagePermissions",
        200,
        {"public_settings": {"access_mode": "public"}},
    ),
    Endpoint("get", "{c}/activities", MEMBER, 200),
]

CALLERS = ["Owner", "Admin", "Member", "Viewer", "non-member", "anonymous", "read-only key"]


def expected(endpoint: Endpoint, caller: str) -> int:
    if caller == "anonymous":
        return 401
    if caller == "read-only key":
        return endpoint.success if endpoint.method == "get" else 403
    if endpoint.needs == ANY:
        return endpoint.success
    if caller == "non-member":
        return endpoint.success if endpoint.needs == JOIN else 404
    if endpoint.needs == JOIN:
        return 409  # members are already in
    held = ALL_PERMISSIONS if caller == "Owner" else ROLE_PERMISSIONS[caller]
    if endpoint.needs == MEMBER or endpoint.needs in held:
        return endpoint.success
    return 403


@pytest.fixture
def world(user):
    """A circuit with a member of every role, an item in it, a pending push, a pending pull,
    a pending join request, an unused custom role and a member to manage."""
    circuit = CircuitFactory(owner=user)
    callers = {"Owner": user}
    for role in ("Admin", "Member", "Viewer"):
        callers[role] = member_of(circuit, role)
    callers["non-member"] = UserFactory()
    target = member_of(circuit, "Viewer")
    role_create(circuit=circuit, actor=user, role_name="Inspector", permissions=["Pull"])
    requester = UserFactory()
    join_request_create(circuit=circuit, requester=requester)

    item_in, item_to_pull = item_for(user), item_for(user)
    for item in (item_in, item_to_pull):
        circuit_push(circuit=circuit, user=user, dfid=item.dfid)
    circuit_update(
        circuit=circuit,
        actor=user,
        permissions={"require_approval_for_push": True, "require_approval_for_pull": True},
    )
    pending_item = item_for(callers["Member"])
    circuit_push(circuit=circuit, user=callers["Member"], dfid=pending_item.dfid)
    pull_op = circuit_pull(circuit=circuit, user=user, dfid=item_in.dfid)
    circuit_update(
        circuit=circuit,
        actor=user,
        permissions={"require_approval_for_push": False, "require_approval_for_pull": False},
    )
    own = {
        name: (item_for(person), local_item_for(person, canonical()))
        for name, person in callers.items()
    }
    _, raw_key = api_key_create(user=user, name="read only", permissions=("read",))
    ids = {
        "c": f"/api/circuits/{circuit.circuit_id}",
        "newcomer": UserFactory().pk,
        "target": target.pk,
        "requester": requester.pk,
        "item_to_pull": item_to_pull.dfid,
        "pull_op": str(pull_op.pk),
        "pending": str(circuit.pending_items.get().pk),
    }
    assert CircuitOperation.objects.get(pk=pull_op.pk).status == "Pending"
    return {"circuit": circuit, "callers": callers, "own": own, "ids": ids, "key": raw_key}


def client_of(world, caller: str) -> tuple[APIClient, str]:
    """The client and whose own items it pushes."""
    if caller == "anonymous":
        return APIClient(), "Owner"
    if caller == "read-only key":
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=world["key"])
        return client, "Owner"
    return client_for(world["callers"][caller]), caller


def fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: fill(inner, ids) for key, inner in value.items()}
    if isinstance(value, list):
        return [fill(inner, ids) for inner in value]
    return value


def test_permission_matrix(world):
    """One world, every caller, every endpoint; each call is rolled back."""
    mismatches = []
    for caller in CALLERS:
        client, owner_of_items = client_of(world, caller)
        own_item, own_local = world["own"][owner_of_items]
        ids = {
            **world["ids"],
            "own_item": own_item.dfid,
            "own_local": own_local.local_id,
            "self": world["callers"].get(caller, world["callers"]["Owner"]).pk,
        }
        for endpoint in ENDPOINTS:
            path = fill(endpoint.path, ids)
            body = fill(endpoint.body, ids)
            with transaction.atomic():  # every call starts from the same world
                response = getattr(client, endpoint.method)(path, body, format="json")
                transaction.set_rollback(True)
            want = expected(endpoint, caller)
            if response.status_code != want:
                mismatches.append(
                    f"{caller}: {endpoint.method.upper()} {endpoint.path}: "
                    f"{response.status_code} (expected {want}) {response.content[:160]!r}"
                )
    assert not mismatches, "\n".join(mismatches)


def test_public_view_needs_no_login_but_a_public_circuit(world):
    path = f"/api/circuits/{world['circuit'].circuit_id}/public"
    assert APIClient().get(path).status_code == 404
    assert client_for(world["callers"]["Owner"]).get(path).status_code == 404
