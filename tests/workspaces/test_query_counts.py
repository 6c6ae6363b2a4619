"""The workspace and activity lists' query counts do not grow with their rows (3 vs 30)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User, Workspace, WorkspaceMember
from circuits.models import Activity, Circuit, CircuitMember
from items.models import Item
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def make_users(prefix: str, count: int) -> list[User]:
    return User.objects.bulk_create(
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password="!")
        for n in range(count)
    )


def fill(viewer: User, count: int, tag: str) -> Workspace:
    """``count`` workspaces with ``viewer`` and ``count`` other members (who own circuits and
    items), ``count`` activities in a circuit of ``viewer``."""
    members = make_users(f"{tag}m", count)
    workspaces = Workspace.objects.bulk_create(
        Workspace(workspace_id=f"{tag}-{n}", name=f"w{n}", owner=viewer) for n in range(count)
    )
    WorkspaceMember.objects.bulk_create(
        WorkspaceMember(workspace=workspace, user=user, role=role)
        for workspace in workspaces
        for user, role in [(viewer, "Owner"), *((member, "Member") for member in members)]
    )
    circuit = Circuit.objects.create(owner=viewer, name=f"{tag}c")
    CircuitMember.objects.create(circuit=circuit, member=viewer, role="Owner")
    Circuit.objects.bulk_create(Circuit(owner=member, name="c") for member in members)
    Item.objects.bulk_create(
        Item(dfid=f"DFID-{tag}-{n}", item_hash="0" * 64, created_by=member)
        for n, member in enumerate(members)
    )
    Activity.objects.bulk_create(
        Activity(
            activity_type="Push",
            circuit=circuit,
            circuit_name=circuit.name,
            performed_by=viewer.pk,
            status="Success",
        )
        for _ in range(count)
    )
    return workspaces[0]


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(context)


@pytest.mark.parametrize(
    "path",
    [
        "/api/workspaces",
        "/api/workspaces/user/{user_id}",
        "/api/workspaces/{workspace_id}/members",
        "/api/activities",
        "/api/activities/user/{user_id}",
    ],
)
def test_list_query_count_does_not_grow(path):
    small_user, large_user = make_users("viewer", 2)
    small = fill(small_user, 3, "s")
    large = fill(large_user, 30, "l")
    small_client, large_client = client_for(small_user), client_for(large_user)
    # The personal workspaces exist before counting (their lazy creation is a one-off).
    small_client.get("/api/workspaces")
    large_client.get("/api/workspaces")

    small_count = queries(small_client, path.format(user_id=small_user.pk, workspace_id=small.pk))
    large_count = queries(large_client, path.format(user_id=large_user.pk, workspace_id=large.pk))

    assert small_count == large_count
    assert (
        len(large_client.get(path.format(user_id=large_user.pk, workspace_id=large.pk)).json())
        >= 30
    )
