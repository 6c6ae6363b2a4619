"""max_members holds when members are added at the same moment (PostgreSQL: real row
locks)."""

import pytest

from accounts.models import WorkspaceMember
from accounts.services.workspaces import workspace_create
from tests.accounts.factories import UserFactory
from tests.circuits.test_concurrency import in_parallel
from tests.conftest import client_for

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_concurrent_additions_never_exceed_max_members():
    owner = UserFactory()
    workspace = workspace_create(owner=owner, name="Small", settings={"max_members": 3})
    newcomers = [UserFactory() for _ in range(6)]
    path = f"/api/workspaces/{workspace.pk}/members"

    statuses = in_parallel(
        [
            lambda user=user: (
                client_for(owner)
                .post(path, {"user_id": user.pk, "role": "Member"}, format="json")
                .status_code
            )
            for user in newcomers
        ]
    )

    assert sorted(statuses) == [200, 200, 400, 400, 400, 400]
    assert WorkspaceMember.objects.filter(workspace=workspace).count() == 3
