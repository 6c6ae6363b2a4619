"""Sharing an item (CONTRACT.md §8.5 share, shared-with, shared-to), built for real: the
recipient gets read access everywhere, until the share is revoked."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from items.models import ItemShare
from tests.accounts.factories import UserFactory
from tests.conftest import client_for
from tests.contract.test_items_contract import ITEM_FIELDS, assert_error, assert_shape, both_slashes
from tests.items.factories import item_for

pytestmark = pytest.mark.django_db


def share(client, dfid, recipient, **extra):
    body = {"recipient_user_id": recipient.pk, **extra}
    return client.post(f"/api/items/{dfid}/share", body, format="json")


def test_share_gives_read_access_everywhere(auth_client, user, other_user, other_client):
    item = item_for(user, enriched_data={"breed": "Nelore"})
    assert_error(other_client.get(f"/api/items/{item.dfid}"), 404)
    for path in both_slashes(f"/api/items/{item.dfid}/share"):
        response = auth_client.post(
            path, {"recipient_user_id": other_user.pk, "permissions": ["read"]}, format="json"
        )
        assert response.status_code == 200, response.json()
    body = response.json()
    assert body["share_id"].startswith("SHARE-") and len(body["share_id"]) == 29
    assert body["dfid"] == item.dfid and body["recipient_user_id"] == other_user.pk
    assert isinstance(body["shared_at"], int)
    assert ItemShare.objects.filter(item=item, revoked_at__isnull=True).count() == 1
    seen = other_client.get(f"/api/items/{item.dfid}").json()
    assert seen["enriched_data"] == {"breed": "Nelore"}  # the creator's layer is shared
    assert [i["value"] for i in seen["identifiers"]] == [i.value for i in item.identifiers.all()]
    assert [i["dfid"] for i in other_client.get("/api/items").json()] == [item.dfid]
    assert [e["dfid"] for e in other_client.get(f"/api/events/item/{item.dfid}").json()] == [
        item.dfid
    ]
    # read only: the recipient does not change it nor share it on
    put = other_client.put(f"/api/items/{item.dfid}", {"enriched_data": {"x": 1}}, format="json")
    assert_error(put, 403)
    assert_error(share(other_client, item.dfid, UserFactory()), 403)


def test_shared_with_tells_the_creator_and_the_recipient(auth_client, user, other_user):
    item = item_for(user)
    path = f"/api/items/{item.dfid}/shared-with/{other_user.pk}"
    assert auth_client.get(path).json() == {"is_shared": False, "share_id": None, "shared_at": None}
    given = share(auth_client, item.dfid, other_user).json()
    for form in both_slashes(path):
        body = auth_client.get(form).json()
        assert body == {
            "is_shared": True,
            "share_id": given["share_id"],
            "shared_at": given["shared_at"],
        }
    assert client_for(other_user).get(path).json()["is_shared"] is True
    third = UserFactory()
    share(auth_client, item.dfid, third)
    assert_error(client_for(third).get(path), 403)
    assert_error(client_for(UserFactory()).get(path), 404)


def test_shared_to_lists_the_callers_shared_items(auth_client, user, other_user, staff_client):
    items = [item_for(user) for _ in range(2)]
    for item in items:
        share(auth_client, item.dfid, other_user, permissions=["read"])
    other = client_for(other_user)
    for path in both_slashes(f"/api/items/shared-to/{other_user.pk}"):
        body = other.get(path).json()
        assert {row["item"]["dfid"] for row in body} == {item.dfid for item in items}
        row = body[0]
        assert row["shared_by"] == user.pk and row["permissions"] == ["read"]
        assert isinstance(row["shared_at"], int) and row["share_id"].startswith("SHARE-")
        assert_shape(row["item"], ITEM_FIELDS)
        assert row["item"]["identifiers"]
    assert_error(auth_client.get(f"/api/items/shared-to/{other_user.pk}"), 403)
    assert len(staff_client.get(f"/api/items/shared-to/{other_user.pk}").json()) == 2


def test_shared_to_query_count_does_not_grow(auth_client, user, other_user):
    other = client_for(other_user)
    share(auth_client, item_for(user).dfid, other_user)
    with CaptureQueriesContext(connection) as few:
        other.get(f"/api/items/shared-to/{other_user.pk}")
    for _ in range(10):
        share(auth_client, item_for(user).dfid, other_user)
    with CaptureQueriesContext(connection) as many:
        assert len(other.get(f"/api/items/shared-to/{other_user.pk}").json()) == 11
    assert len(many) == len(few)


def test_a_revoked_share_takes_the_access_back(auth_client, user, other_user):
    item = item_for(user)
    share(auth_client, item.dfid, other_user)
    other = client_for(other_user)
    response = auth_client.delete(f"/api/items/{item.dfid}/shared-with/{other_user.pk}")
    assert response.status_code == 204
    assert_error(other.get(f"/api/items/{item.dfid}"), 404)
    assert other.get("/api/items").json() == []
    assert other.get(f"/api/items/shared-to/{other_user.pk}").json() == []
    assert_error(auth_client.delete(f"/api/items/{item.dfid}/shared-with/{other_user.pk}"), 404)
    assert share(auth_client, item.dfid, other_user).status_code == 200  # shared again


def test_share_refusals(auth_client, user, other_client, other_user):
    item = item_for(user)
    assert_error(share(other_client, item.dfid, user), 404)  # not visible to them
    response = auth_client.post(
        f"/api/items/{item.dfid}/share", {"recipient_user_id": "user-nobody"}, format="json"
    )
    assert_error(response, 404)
    assert_error(share(auth_client, item.dfid, user), 400)
    assert_error(auth_client.post(f"/api/items/{item.dfid}/share", {}, format="json"), 400)
