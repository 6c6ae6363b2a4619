"""User activity at the earlier engine's routes: recorded, read back, scoped, cleaned up."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserActivity
from accounts.services.user_activity import user_activity_record
from audit.models import AdminAction
from defarm.timeutils import unix_now
from tests.accounts.factories import StaffFactory, UserFactory
from tests.accounts.test_auth_api import assert_error
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

DAY = 86_400
BODY = {
    "activity_type": "Export",
    "category": "Items",
    "resource_type": "Item",
    "resource_id": "DFID-20250101-000001-1234",
    "action": "export_csv",
    "description": "Exported the herd register",
    "metadata": {"rows": 120},
}


def activity_for(user, **fields):
    values = {
        "activity_type": "Update",
        "category": "Circuits",
        "resource_type": "Circuit",
        "resource_id": "circuit-1",
        "action": "circuit_update",
        "description": "Renamed the circuit",
    }
    values.update(fields)
    timestamp = values.pop("timestamp_ts", None)
    activity = user_activity_record(user=user, **values)
    if timestamp is not None:
        UserActivity.objects.filter(pk=activity.pk).update(timestamp_ts=timestamp)
    return activity


def test_record_and_read_back(auth_client, user):
    response = auth_client.post(
        "/api/user-activity",
        {**BODY, "user_id": user.pk, "workspace_id": user.workspace_id},
        format="json",
        HTTP_USER_AGENT="farm-app/2.1",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    activity_id = body["data"]["activity_id"]
    assert body["data"]["timestamp"].endswith("Z")

    one = auth_client.get(f"/api/user-activity/{activity_id}").json()["data"]
    assert one["user_id"] == user.pk and one["workspace_id"] == user.workspace_id
    assert (one["activity_type"], one["category"], one["resource_type"]) == (
        "Export",
        "Items",
        "Item",
    )
    assert one["metadata"] == {"rows": 120} and one["success"] is True
    assert one["user_agent"] == "farm-app/2.1" and one["ip_address"]
    assert set(one) == {
        "activity_id",
        "user_id",
        "workspace_id",
        "timestamp",
        "activity_type",
        "category",
        "resource_type",
        "resource_id",
        "action",
        "description",
        "metadata",
        "success",
        "ip_address",
        "user_agent",
    }


def test_record_reads_enums_in_any_case_and_refuses_others(auth_client):
    response = auth_client.post(
        "/api/user-activity",
        {**BODY, "activity_type": "export", "category": "APIKEYS", "resource_type": "apikey"},
        format="json",
    )
    assert response.status_code == 200
    stored = UserActivity.objects.get()
    assert (stored.activity_type, stored.category, stored.resource_type) == (
        "Export",
        "ApiKeys",
        "ApiKey",
    )
    assert_error(
        auth_client.post("/api/user-activity", {**BODY, "category": "Cows"}, format="json"),
        400,
        "validation_error",
    )
    assert_error(
        auth_client.post("/api/user-activity", {"action": "x"}, format="json"),
        400,
        "validation_error",
    )


def test_record_for_someone_else_or_their_workspace_is_refused(auth_client, other_user):
    refused = auth_client.post(
        "/api/user-activity", {**BODY, "user_id": other_user.pk}, format="json"
    )
    assert_error(refused, 403, "permission_denied")
    refused = auth_client.post(
        "/api/user-activity", {**BODY, "workspace_id": other_user.workspace_id}, format="json"
    )
    assert_error(refused, 403, "permission_denied")
    assert not UserActivity.objects.exists()


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/user-activity").status_code == 401
    assert api_client.post("/api/user-activity", BODY, format="json").status_code == 401
    assert api_client.get("/api/user-activity/stats").status_code == 401
    assert api_client.get(f"/api/user-activity/{uuid.uuid4()}").status_code == 401
    assert api_client.delete("/api/user-activity/cleanup").status_code == 401


def test_list_is_own_only_and_pages(auth_client, user, other_user):
    now = unix_now()
    for minutes in range(5):
        activity_for(user, resource_id=f"c-{minutes}", timestamp_ts=now - minutes * 60)
    theirs = activity_for(other_user)
    response = auth_client.get("/api/user-activity?page=2&per_page=2")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["total"], data["page"], data["per_page"], data["total_pages"]) == (5, 2, 2, 3)
    assert [row["resource_id"] for row in data["activities"]] == ["c-2", "c-3"]
    assert response["X-Total-Count"] == "5" and 'rel="next"' in response["Link"]
    default = auth_client.get("/api/user-activity").json()["data"]
    assert default["per_page"] == 50 and default["page"] == 1
    assert theirs.activity_id not in {row["activity_id"] for row in default["activities"]}
    assert_error(
        auth_client.get(f"/api/user-activity?user_id={other_user.pk}"), 403, "permission_denied"
    )
    assert auth_client.get(f"/api/user-activity?user_id={user.pk}").status_code == 200
    assert_error(auth_client.get("/api/user-activity?colour=red"), 400, "validation_error")


def test_list_filters(auth_client, user):
    now = unix_now()
    activity_for(user, activity_type="Login", category="Authentication", resource_type="User")
    activity_for(user, description="Moved the herd to pasture 7", timestamp_ts=now - 3 * DAY)
    activity_for(user, resource_type="Event", category="Events", success=False)

    def ids(query):
        response = auth_client.get(f"/api/user-activity?{query}")
        assert response.status_code == 200, response.content
        return [row["description"] for row in response.json()["data"]["activities"]]

    assert len(ids("category=authentication")) == 1
    assert len(ids("activity_type=Update")) == 2
    assert len(ids("resource_type=Event")) == 1
    assert ids("search_query=PASTURE") == ["Moved the herd to pasture 7"]
    two_days_ago = "2000-01-01T00:00:00Z"
    assert len(ids(f"start_date={two_days_ago}")) == 3
    assert ids("end_date=" + _rfc3339(now - 2 * DAY)) == ["Moved the herd to pasture 7"]
    assert_error(
        auth_client.get("/api/user-activity?start_date=yesterday"), 400, "validation_error"
    )


def _rfc3339(seconds: int) -> str:
    from accounts.api.fields import rfc3339_from_unix

    return rfc3339_from_unix(seconds)


def test_staff_see_everyone_and_filter_by_user(staff_client, user, other_user):
    activity_for(user)
    activity_for(other_user)
    everyone = staff_client.get("/api/user-activity").json()["data"]
    assert everyone["total"] == 2
    one_user = staff_client.get(f"/api/user-activity?user_id={user.pk}").json()["data"]
    assert [row["user_id"] for row in one_user["activities"]] == [user.pk]
    theirs = activity_for(other_user)
    assert staff_client.get(f"/api/user-activity/{theirs.activity_id}").status_code == 200


def test_someone_elses_activity_is_404(auth_client, other_user):
    theirs = activity_for(other_user)
    assert_error(auth_client.get(f"/api/user-activity/{theirs.activity_id}"), 404, "not_found")
    assert_error(auth_client.get(f"/api/user-activity/{uuid.uuid4()}/"), 404, "not_found")


def test_list_query_count_does_not_grow(auth_client, user):
    def count(rows: int) -> int:
        for _ in range(rows):
            activity_for(user)
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/api/user-activity?per_page=100").status_code == 200
        return len(queries)

    assert count(3) == count(30)


def test_stats(auth_client, user, other_user):
    now = unix_now()
    hour_start = now - now % 3600
    activity_for(user, timestamp_ts=hour_start + 5)
    activity_for(user, timestamp_ts=hour_start + 10, success=False)
    activity_for(
        user,
        activity_type="Login",
        category="Authentication",
        resource_type="User",
        timestamp_ts=hour_start - 3600 + 1,
    )
    activity_for(user, timestamp_ts=now - 40 * DAY)  # outside the period
    activity_for(other_user)
    response = auth_client.get("/api/user-activity/stats")
    assert response.status_code == 200
    stats = response.json()["data"]
    assert stats["total_actions"] == 3
    assert stats["by_category"] == {"Circuits": 2, "Authentication": 1}
    assert stats["by_type"] == {"Update": 2, "Login": 1}
    hour = (hour_start % DAY) // 3600
    assert stats["most_active_hours"][0] == [hour, 2]
    assert stats["most_active_hours"][1] == [(hour - 1) % 24, 1]
    assert stats["success_rate"] == pytest.approx(200 / 3)
    assert stats["period_start"].endswith("Z") and stats["period_end"].endswith("Z")
    longer = auth_client.get("/api/user-activity/stats?period_days=60").json()["data"]
    assert longer["total_actions"] == 4
    assert_error(auth_client.get("/api/user-activity/stats?period_days=0"), 400, "validation_error")
    empty = client_for(UserFactory()).get("/api/user-activity/stats").json()["data"]
    assert empty["total_actions"] == 0 and empty["success_rate"] == 100.0


def test_stats_query_count_is_fixed(auth_client, user):
    def count(rows: int) -> int:
        for _ in range(rows):
            activity_for(user)
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/api/user-activity/stats").status_code == 200
        return len(queries)

    assert count(2) == count(20)


def test_cleanup_is_staff_only_and_keeps_what_retention_keeps(
    auth_client, staff_client, staff_user
):
    now = unix_now()
    basic = UserFactory()
    enterprise = UserFactory(tier="Enterprise")
    old_basic = activity_for(basic, timestamp_ts=now - 40 * DAY)  # past Basic's 30 days
    recent_basic = activity_for(basic, timestamp_ts=now - 10 * DAY)
    old_enterprise = activity_for(enterprise, timestamp_ts=now - 40 * DAY)  # within 365
    very_old_enterprise = activity_for(enterprise, timestamp_ts=now - 400 * DAY)
    staff_old = activity_for(staff_user, timestamp_ts=now - 400 * DAY)  # Admin keeps 3650

    assert_error(auth_client.delete("/api/user-activity/cleanup"), 403, "permission_denied")
    assert UserActivity.objects.count() == 5

    before = _rfc3339(now - 100 * DAY)
    response = staff_client.delete(
        "/api/user-activity/cleanup", {"before_date": before}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"deleted_count": 1}}
    assert not UserActivity.objects.filter(pk=very_old_enterprise.pk).exists()
    assert UserActivity.objects.filter(pk=old_basic.pk).exists()  # not before before_date

    response = staff_client.delete("/api/user-activity/cleanup")
    assert response.json()["data"]["deleted_count"] == 1
    remaining = set(UserActivity.objects.exclude(category="Admin").values_list("pk", flat=True))
    assert remaining == {recent_basic.pk, old_enterprise.pk, staff_old.pk}
    cleanups = UserActivity.objects.filter(user=staff_user, action="user_activity_cleanup")
    assert [row.activity_type for row in cleanups] == ["Delete", "Delete"]
    assert AdminAction.objects.filter(action_type="user_activity_cleanup").count() == 2
    assert_error(
        staff_client.delete("/api/user-activity/cleanup", {"before_date": "soon"}, format="json"),
        400,
        "validation_error",
    )


def test_cleanup_counts_engine_spelled_tiers(staff_client):
    from accounts.models import User

    now = unix_now()
    pro = UserFactory()
    User.objects.filter(pk=pro.pk).update(tier="professional")
    kept = activity_for(pro, timestamp_ts=now - 60 * DAY)  # within Professional's 90 days
    gone = activity_for(pro, timestamp_ts=now - 100 * DAY)
    StaffFactory()
    assert staff_client.delete("/api/user-activity/cleanup").json()["data"]["deleted_count"] == 1
    assert UserActivity.objects.filter(pk=kept.pk).exists()
    assert not UserActivity.objects.filter(pk=gone.pk).exists()


def test_defarm_records_logins_keys_workspaces_and_staff_actions(api_client, user, staff_user):
    from tests.accounts.factories import DEFAULT_PASSWORD

    login = api_client.post(
        "/api/auth/login",
        {"username": user.username, "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_USER_AGENT="herd-app/1.0",
    )
    client = client_for(user)
    key_id = client.post("/api/api-keys", {"name": "ERP"}, format="json").json()["metadata"]["id"]
    client.patch(f"/api/api-keys/{key_id}", {"name": "ERP sync"}, format="json")
    client.post(f"/api/api-keys/{key_id}/revoke")
    client.delete(f"/api/api-keys/{key_id}")
    workspace = client.post("/api/workspaces", {"name": "Coop"}, format="json").json()
    client_for(staff_user).put(f"/api/admin/users/{user.pk}/freeze")
    assert login.status_code == 200

    mine = list(
        UserActivity.objects.filter(user=user)
        .order_by("timestamp_ts", "action")
        .values_list("category", "activity_type", "action")
    )
    assert ("Authentication", "Login", "login") in mine
    assert sorted(row for row in mine if row[0] == "ApiKeys") == [
        ("ApiKeys", "Create", "api_key_create"),
        ("ApiKeys", "Delete", "api_key_delete"),
        ("ApiKeys", "Update", "api_key_revoke"),
        ("ApiKeys", "Update", "api_key_update"),
    ]
    assert ("Workspaces", "Create", "workspace_create") in mine
    login_row = UserActivity.objects.get(user=user, action="login")
    assert login_row.user_agent == "herd-app/1.0" and login_row.resource_type == "User"
    workspace_row = UserActivity.objects.get(user=user, action="workspace_create")
    assert workspace_row.workspace_id == workspace_row.resource_id
    assert workspace_row.resource_id in str(workspace)
    staff_row = UserActivity.objects.get(user=staff_user, action="user_set_status")
    assert (staff_row.category, staff_row.resource_type, staff_row.resource_id) == (
        "Admin",
        "User",
        user.pk,
    )
