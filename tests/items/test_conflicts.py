import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AdminAction
from defarm.api.exceptions import Conflict
from items.models import ConflictResolution, Item
from items.services import conflict_resolve, item_create
from tests.items.factories import canonical, item_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def conflict(user):
    a, b = canonical(), canonical()
    item_for(user, a, enriched_data={"from": "a"})
    item_for(user, b, enriched_data={"from": "b", "extra": 1})
    with pytest.raises(Conflict):
        item_create(user=user, identifiers=[a, b])
    return ConflictResolution.objects.get()


def test_only_staff_list_and_resolve_conflicts(auth_client, conflict):
    assert auth_client.get("/api/admin/conflicts").status_code == 403
    response = auth_client.post(
        f"/api/admin/conflicts/{conflict.conflict_id}/resolve",
        {"strategy": "keep_separate"},
        format="json",
    )
    assert response.status_code == 403


def test_staff_list_conflicts_with_status_filter(staff_client, conflict):
    body = staff_client.get("/api/admin/conflicts?status=Pending").json()
    assert [c["conflict_id"] for c in body] == [str(conflict.conflict_id)]
    assert int(staff_client.get("/api/admin/conflicts?status=Resolved")["X-Total-Count"]) == 0


def test_merge_resolution_merges_into_the_target(staff_client, staff_user, conflict):
    target, other = conflict.conflicting_dfids
    response = staff_client.post(
        f"/api/admin/conflicts/{conflict.conflict_id}/resolve",
        {"strategy": "merge", "target_dfid": target},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "Resolved" and body["resolved_dfid"] == target
    assert body["resolved_at_ts"] is not None
    assert Item.objects.get(dfid=other).status == "Merged"
    assert Item.objects.get(dfid=target).identifiers.count() == 2
    action = AdminAction.objects.get(action_type="conflict_resolve")
    assert action.admin == staff_user and action.target_id == str(conflict.conflict_id)
    again = staff_client.post(
        f"/api/admin/conflicts/{conflict.conflict_id}/resolve",
        {"strategy": "keep_separate"},
        format="json",
    )
    assert again.status_code == 409


def test_keep_separate_leaves_the_items_apart(staff_client, conflict):
    response = staff_client.post(
        f"/api/admin/conflicts/{conflict.conflict_id}/resolve",
        {"strategy": "keep_separate"},
        format="json",
    )
    assert response.json()["status"] == "KeptSeparate"
    assert set(Item.objects.values_list("status", flat=True)) == {"Active"}
    assert AdminAction.objects.filter(action_type="conflict_resolve").count() == 1


def test_merge_target_must_be_one_of_the_conflicting_items(staff_user, conflict):
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError):
        conflict_resolve(
            admin=staff_user, conflict=conflict, strategy="merge", target_dfid="DFID-x"
        )


def test_conflict_list_query_count_does_not_grow(staff_client, user):
    def make(n):
        ConflictResolution.objects.bulk_create(
            ConflictResolution(
                identifier_key="k", identifier_value=str(i), conflicting_dfids=["a", "b"]
            )
            for i in range(n)
        )

    make(3)
    with CaptureQueriesContext(connection) as few:
        staff_client.get("/api/admin/conflicts")
    make(27)
    with CaptureQueriesContext(connection) as many:
        assert int(staff_client.get("/api/admin/conflicts")["X-Total-Count"]) == 30
    assert len(many) == len(few)
