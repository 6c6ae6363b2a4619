"""Workspaces: persisted, visible to members (404 otherwise) and staff, managed by Owner/Admin,
in the earlier engine's shapes."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from accounts.models import User, Workspace, WorkspaceMember
from accounts.services.workspaces import (
    workspace_create,
    workspace_member_add,
    workspace_personal_ensure,
)
from items.models import Event, Item
from tests.accounts.factories import UserFactory
from tests.circuits.factories import CircuitFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

WORKSPACE_KEYS = {
    "workspace_id",
    "name",
    "description",
    "owner_id",
    "created_at",
    "updated_at",
    "settings",
    "members",
    "stats",
}


@pytest.fixture
def org(user):
    """An organisation owned by ``user``, with a Member."""
    workspace = workspace_create(owner=user, name="Valley", description="Farms")
    member = UserFactory()
    workspace_member_add(workspace=workspace, actor=user, member=member, role="Member")
    workspace.member_user = member
    return workspace


def url(workspace, suffix=""):
    return f"/api/workspaces/{workspace.pk}{suffix}"


# --- personal workspaces --------------------------------------------------------------------


def test_listing_creates_the_callers_personal_workspace_once(user, auth_client):
    first = auth_client.get("/api/workspaces")
    second = auth_client.get("/api/workspaces/")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    (workspace,) = first.json()
    assert set(workspace) == WORKSPACE_KEYS
    assert workspace["workspace_id"] == user.workspace_id
    assert workspace["owner_id"] == user.pk
    assert workspace["members"][0]["user_id"] == user.pk
    assert workspace["members"][0]["role"] == "Owner"
    assert workspace["settings"] == {
        "default_circuit_permissions": {},
        "default_event_visibility": "Private",
        "encryption_enabled": True,
        "retention_policy_days": 365,
        "max_members": 100,
        "allow_public_circuits": False,
        "default_visibility": "Private",
    }
    assert Workspace.objects.filter(pk=user.workspace_id).count() == 1


def test_personal_workspace_can_be_read_by_its_id_before_any_list(user, auth_client):
    response = auth_client.get(f"/api/workspaces/{user.workspace_id}")

    assert response.status_code == 200
    assert response.json()["owner_id"] == user.pk


def test_a_colliding_workspace_id_never_joins_another_users_workspace(user):
    workspace_personal_ensure(user=user)
    intruder = UserFactory()
    User.objects.filter(pk=intruder.pk).update(workspace_id=user.workspace_id)
    intruder.refresh_from_db()

    assert workspace_personal_ensure(user=intruder) is None
    response = client_for(intruder).get(f"/api/workspaces/{user.workspace_id}")
    assert response.status_code == 404
    assert not WorkspaceMember.objects.filter(user=intruder).exists()


def test_a_user_without_workspace_id_gets_one_when_ensured():
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(workspace_id=None)
    user.refresh_from_db()

    workspace = workspace_personal_ensure(user=user)

    user.refresh_from_db()
    assert workspace.pk == user.workspace_id == f"{user.username}-workspace"


def test_migration_creates_personal_workspaces_first_owner_keeping_a_shared_id():
    migration = importlib.import_module("accounts.migrations.0011_personal_workspaces")
    first = UserFactory(created_at_ts=1000)
    second = UserFactory(created_at_ts=2000)
    User.objects.filter(pk=second.pk).update(workspace_id=first.workspace_id)
    without = UserFactory()
    User.objects.filter(pk=without.pk).update(workspace_id=None)

    editor = SimpleNamespace(connection=connection)
    migration.personal_workspaces_create(None, editor)
    migration.personal_workspaces_create(None, editor)

    workspace = Workspace.objects.get(pk=first.workspace_id)
    assert workspace.owner_id == first.pk
    assert workspace.settings["max_members"] == 100
    assert list(
        WorkspaceMember.objects.filter(workspace=workspace).values_list("user", "role")
    ) == [(first.pk, "Owner")]
    assert not WorkspaceMember.objects.filter(user__in=[second, without]).exists()


# --- create, read, list -------------------------------------------------------------------


def test_create_makes_the_caller_owner_with_merged_settings(user, auth_client):
    response = auth_client.post(
        "/api/workspaces",
        {
            "name": "Valley",
            "description": "Farms",
            "owner_id": user.pk,
            "settings": {"max_members": 5},
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["owner_id"] == user.pk
    assert body["settings"]["max_members"] == 5
    assert body["settings"]["retention_policy_days"] == 365
    assert [m["role"] for m in body["members"]] == ["Owner"]
    assert Workspace.objects.filter(pk=body["workspace_id"], owner=user).exists()


def test_create_refuses_an_owner_id_naming_someone_else(auth_client, other_user):
    response = auth_client.post(
        "/api/workspaces", {"name": "X", "owner_id": other_user.pk}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["success"] is False


def test_anonymous_callers_are_refused(api_client, org):
    for method, path in (
        ("get", "/api/workspaces"),
        ("post", "/api/workspaces"),
        ("get", url(org)),
        ("get", url(org, "/members")),
        ("get", url(org, "/stats")),
        ("delete", url(org)),
        ("get", f"/api/workspaces/user/{org.owner_id}"),
    ):
        assert getattr(api_client, method)(path).status_code == 401, path


@pytest.mark.parametrize("suffix", ["", "/members", "/stats"])
def test_members_and_staff_read_others_get_404(org, other_client, staff_client, suffix):
    member = client_for(org.member_user)
    owner = client_for(org.owner)

    assert owner.get(url(org, suffix)).status_code == 200
    assert member.get(url(org, suffix)).status_code == 200
    assert staff_client.get(url(org, suffix)).status_code == 200
    response = other_client.get(url(org, suffix))
    assert response.status_code == 404
    assert response.json()["message"] == "Workspace not found"


def test_list_shows_the_callers_workspaces_and_all_for_staff(org, other_client, staff_client):
    member_ids = {
        w["workspace_id"] for w in client_for(org.member_user).get("/api/workspaces").json()
    }
    other_ids = {w["workspace_id"] for w in other_client.get("/api/workspaces").json()}
    staff = staff_client.get("/api/workspaces")

    assert org.pk in member_ids
    assert org.pk not in other_ids
    assert org.pk in {w["workspace_id"] for w in staff.json()}
    assert staff["X-Total-Count"] == str(Workspace.objects.count())


def test_user_route_is_for_the_user_themself_or_staff(org, other_client, staff_client):
    member = org.member_user
    path = f"/api/workspaces/user/{member.pk}"

    own = client_for(member).get(path)
    assert own.status_code == 200
    assert {w["workspace_id"] for w in own.json()} == {org.pk, member.workspace_id}
    assert staff_client.get(path).status_code == 200
    assert other_client.get(path).status_code == 403
    assert client_for(org.owner).get(path).status_code == 403
    assert staff_client.get("/api/workspaces/user/user-nobody").status_code == 404


# --- update and delete ----------------------------------------------------------------------


def test_owner_and_admin_update_members_may_not(org, other_client, staff_client):
    admin = UserFactory()
    workspace_member_add(workspace=org, actor=org.owner, member=admin, role="Admin")
    body = {"name": "Renamed", "settings": {"allow_public_circuits": True}}

    assert client_for(org.member_user).put(url(org), body, format="json").status_code == 403
    assert other_client.put(url(org), body, format="json").status_code == 404
    response = client_for(admin).put(url(org), body, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["settings"]["allow_public_circuits"] is True
    assert response.json()["settings"]["max_members"] == 100
    assert (
        client_for(org.owner).put(url(org), {"description": "d"}, format="json").status_code == 200
    )
    assert staff_client.put(url(org), {"description": "s"}, format="json").status_code == 200


def test_only_the_owner_or_staff_delete(org, other_client, staff_client):
    assert client_for(org.member_user).delete(url(org)).status_code == 403
    assert other_client.delete(url(org)).status_code == 404
    response = client_for(org.owner).delete(url(org))
    assert response.status_code == 200
    assert response.json() == {"message": "Workspace deleted successfully"}
    assert not Workspace.objects.filter(pk=org.pk).exists()
    assert not WorkspaceMember.objects.filter(workspace_id=org.pk).exists()

    again = workspace_create(owner=UserFactory(), name="Other")
    assert staff_client.delete(url(again)).status_code == 200


def test_a_personal_workspace_is_not_deleted(user, auth_client):
    auth_client.get("/api/workspaces")

    response = auth_client.delete(f"/api/workspaces/{user.workspace_id}")

    assert response.status_code == 409
    assert Workspace.objects.filter(pk=user.workspace_id).exists()


# --- members --------------------------------------------------------------------------------


def test_owner_adds_a_member(org):
    newcomer = UserFactory()
    response = client_for(org.owner).post(
        url(org, "/members"),
        {"user_id": newcomer.pk, "role": "Viewer", "requester_id": org.owner_id},
        format="json",
    )

    assert response.status_code == 200
    assert {"user_id": newcomer.pk, "role": "Viewer"}.items() <= response.json()["members"][
        -1
    ].items()
    assert response.json()["stats"]["total_members"] == 3


def test_member_add_refusals(org, other_client, staff_client):
    newcomer = UserFactory()
    owner = client_for(org.owner)
    add = {"user_id": newcomer.pk, "role": "Member"}

    assert (
        client_for(org.member_user).post(url(org, "/members"), add, format="json").status_code
        == 403
    )
    assert other_client.post(url(org, "/members"), add, format="json").status_code == 404
    assert (
        owner.post(url(org, "/members"), {**add, "role": "Boss"}, format="json").status_code == 400
    )
    assert (
        owner.post(url(org, "/members"), {**add, "role": "Owner"}, format="json").status_code == 400
    )
    assert (
        owner.post(
            url(org, "/members"), {**add, "requester_id": newcomer.pk}, format="json"
        ).status_code
        == 403
    )
    assert (
        owner.post(
            url(org, "/members"), {**add, "user_id": "user-nobody"}, format="json"
        ).status_code
        == 404
    )
    assert staff_client.post(url(org, "/members"), add, format="json").status_code == 200
    duplicate = owner.post(url(org, "/members"), add, format="json")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "already_member"


def test_max_members_holds(user, auth_client):
    workspace = workspace_create(owner=user, name="Small", settings={"max_members": 2})
    path = url(workspace, "/members")

    assert (
        auth_client.post(
            path, {"user_id": UserFactory().pk, "role": "Member"}, format="json"
        ).status_code
        == 200
    )
    response = auth_client.post(
        path, {"user_id": UserFactory().pk, "role": "Member"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "max_members_reached"
    assert WorkspaceMember.objects.filter(workspace=workspace).count() == 2


def test_role_changes_by_owner_admin_never_of_the_owner(org, other_client, staff_client):
    member = org.member_user
    path = url(org, f"/members/{member.pk}")

    assert client_for(member).put(path, {"role": "Admin"}, format="json").status_code == 403
    assert other_client.put(path, {"role": "Admin"}, format="json").status_code == 404
    response = client_for(org.owner).put(path, {"role": "admin"}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"user_id", "role", "joined_at", "last_active"}
    assert response.json()["role"] == "Admin"
    assert staff_client.put(path, {"role": "Viewer"}, format="json").status_code == 200
    demote = client_for(member).put(
        url(org, f"/members/{org.owner_id}"), {"role": "Viewer"}, format="json"
    )
    assert demote.status_code == 403
    WorkspaceMember.objects.filter(workspace=org, user=member).update(role="Admin")
    demote = client_for(member).put(
        url(org, f"/members/{org.owner_id}"), {"role": "Viewer"}, format="json"
    )
    assert demote.status_code == 409
    assert client_for(org.owner).put(path, {"role": "Owner"}, format="json").status_code == 400
    assert (
        client_for(org.owner)
        .put(url(org, "/members/user-nobody"), {"role": "Viewer"}, format="json")
        .status_code
        == 404
    )


def test_member_removal(org, other_client, staff_client):
    member = org.member_user
    third = UserFactory()
    workspace_member_add(workspace=org, actor=org.owner, member=third, role="Member")

    assert client_for(member).delete(url(org, f"/members/{third.pk}")).status_code == 403
    assert other_client.delete(url(org, f"/members/{third.pk}")).status_code == 404
    owner_removed = staff_client.delete(url(org, f"/members/{org.owner_id}"))
    assert owner_removed.status_code == 409
    assert client_for(org.owner).delete(url(org, f"/members/{third.pk}")).json() == {
        "message": "Member removed successfully"
    }
    assert client_for(member).delete(url(org, f"/members/{member.pk}")).status_code == 200
    assert list(WorkspaceMember.objects.filter(workspace=org).values_list("user", flat=True)) == [
        org.owner_id
    ]
    assert client_for(org.owner).delete(url(org, f"/members/{member.pk}")).status_code == 404


# --- stats ----------------------------------------------------------------------------------


def test_stats_count_what_members_own_and_created(org, other_user):
    member = org.member_user
    CircuitFactory(owner=member)
    CircuitFactory(owner=other_user)
    item = Item.objects.create(dfid="DFID-20250101-000001-0", item_hash="0" * 64, created_by=member)
    Item.objects.create(dfid="DFID-20250101-000002-0", item_hash="0" * 64, created_by=other_user)
    Event.objects.create(item=item, event_type="Created")
    Event.objects.create(item=item, event_type="Updated")

    response = client_for(member).get(url(org, "/stats"))

    assert response.status_code == 200
    assert response.json() == {
        "total_members": 2,
        "total_circuits": 1,
        "total_items": 1,
        "total_events": 2,
        "storage_used_mb": 0.0,
    }
