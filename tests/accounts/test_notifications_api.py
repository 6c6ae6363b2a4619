import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification
from tests.accounts.conftest import key_client
from tests.accounts.factories import NotificationFactory
from tests.accounts.test_auth_api import assert_error

pytestmark = pytest.mark.django_db


def test_list_only_own_and_unread_filter(auth_client, user, other_user):
    read = NotificationFactory(user=user, is_read=True)
    unread = NotificationFactory(user=user)
    NotificationFactory(user=other_user)
    body = auth_client.get("/api/notifications").json()
    assert {row["id"] for row in body["data"]} == {str(read.pk), str(unread.pk)}
    only_unread = auth_client.get("/api/notifications/?unread_only=true").json()["data"]
    assert [row["id"] for row in only_unread] == [str(unread.pk)]
    everything = auth_client.get("/api/notifications?unread_only=false").json()["data"]
    assert len(everything) == 2
    assert_error(auth_client.get("/api/notifications?unread_only=maybe"), 400, "validation_error")
    assert_error(auth_client.get("/api/notifications?since=yesterday"), 400, "validation_error")


def test_mark_read_and_counts(auth_client, user):
    first, second = NotificationFactory.create_batch(2, user=user)
    assert auth_client.get("/api/notifications/unread-count").json()["unread_count"] == 2
    response = auth_client.patch(f"/api/notifications/{first.pk}/read")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["read"] is True and data["read_at"] is not None
    assert auth_client.get("/api/notifications/unread-count/").json()["unread_count"] == 1
    assert auth_client.patch("/api/notifications/mark-all-read").json()["marked_read"] == 1
    assert auth_client.get("/api/notifications/unread-count").json()["unread_count"] == 0
    second.refresh_from_db()
    assert second.is_read
    assert auth_client.post(f"/api/notifications/{first.pk}/read").status_code == 405


def test_other_users_notifications_cannot_be_touched(auth_client, other_user):
    theirs = NotificationFactory(user=other_user)
    assert_error(auth_client.patch(f"/api/notifications/{theirs.pk}/read"), 404, "not_found")
    auth_client.patch("/api/notifications/mark-all-read")
    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_list_query_count_does_not_grow(auth_client, user):
    def query_count(rows):
        NotificationFactory.create_batch(rows, user=user)
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get("/api/notifications?limit=100")
        assert int(response["X-Total-Count"]) == Notification.objects.filter(user=user).count()
        return len(queries)

    assert query_count(3) == query_count(30)


def test_delete_own_notification(auth_client, user):
    mine, kept = NotificationFactory.create_batch(2, user=user)
    response = auth_client.delete(f"/api/notifications/{mine.pk}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Notification deleted successfully"}
    assert list(Notification.objects.filter(user=user)) == [kept]
    assert_error(auth_client.delete(f"/api/notifications/{mine.pk}/"), 404, "not_found")


def test_delete_someone_elses_notification_is_404(auth_client, api_client, other_user):
    theirs = NotificationFactory(user=other_user)
    assert_error(auth_client.delete(f"/api/notifications/{theirs.pk}"), 404, "not_found")
    assert api_client.delete(f"/api/notifications/{theirs.pk}").status_code == 401
    assert Notification.objects.filter(pk=theirs.pk).exists()


def test_delete_needs_a_key_that_may_write(user, make_key):
    notification = NotificationFactory(user=user)
    _, read_only = make_key(permissions=["read"])
    assert key_client(read_only).delete(f"/api/notifications/{notification.pk}").status_code == 403
    _, writer = make_key(permissions=["read", "write"])
    assert key_client(writer).delete(f"/api/notifications/{notification.pk}").status_code == 200
    assert not Notification.objects.filter(pk=notification.pk).exists()
