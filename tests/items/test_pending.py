"""``/api/items/pending``: item submissions held back by an identifier conflict, owned by their
submitter, approved once staff resolved the conflict, changed, or rejected."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from items.models import ConflictResolution, Item, PendingItem, PendingItemStatus
from items.services import conflict_resolve
from tests.conftest import client_for
from tests.items.factories import canonical, item_for

pytestmark = pytest.mark.django_db

PENDING = "/api/items/pending"


@pytest.fixture
def held(auth_client, user):
    """A conflicting POST /api/items: its canonical ids belong to two of the user's items."""
    a, b = canonical(), canonical()
    first, second = item_for(user, a), item_for(user, b)
    response = auth_client.post(
        "/api/items", {"identifiers": [a, b], "enriched_data": {"breed": "Nelore"}}, format="json"
    )
    assert response.status_code == 409, response.content
    details = response.json()["details"]
    pending = PendingItem.objects.get(pk=details["pending_id"])
    pending.first, pending.second, pending.a, pending.b = first, second, a, b
    return pending


def resolve(client, pending_id, **body):
    return client.post(f"{PENDING}/{pending_id}/resolve", body, format="json")


def test_a_conflicting_submission_is_held_for_its_submitter_in_the_engine_shape(auth_client, held):
    listed = auth_client.get(PENDING)
    assert listed.status_code == 200
    assert listed["X-Total-Count"] == "1"
    [row] = listed.json()
    assert set(row) >= {
        "id",
        "identifiers",
        "enriched_data",
        "source_entry",
        "reason",
        "reason_details",
        "priority",
        "created_at",
        "metadata",
    }
    assert row["id"] == str(held.pk)
    assert [(i["key"], i["value"]) for i in row["identifiers"]] == [
        ("sisbov", held.a["value"]),
        ("sisbov", held.b["value"]),
    ]
    assert row["enriched_data"] == {"breed": "Nelore"}
    assert row["reason"] == "ConflictingDFIDs"
    assert held.first.dfid in row["reason_details"] and held.second.dfid in row["reason_details"]
    assert row["priority"] == 2
    assert isinstance(row["created_at"], int)
    assert row["status"] == "Pending"
    assert row["conflict_id"] == str(held.conflict_id)

    detail = auth_client.get(f"{PENDING}/{held.pk}/")
    assert detail.status_code == 200
    assert detail.json() == row
    assert auth_client.get(f"{PENDING}?reason=Conflicting").json() == [row]
    assert auth_client.get(f"{PENDING}?reason=NoIdentifiers").json() == []
    assert auth_client.get(f"{PENDING}?priority_min=3").json() == []
    assert auth_client.get(f"{PENDING}?dfid=x").status_code == 400


def test_others_never_see_or_resolve_it_and_anonymous_is_refused(api_client, other_user, held):
    other = client_for(other_user)
    assert other.get(PENDING).json() == []
    assert other.get(f"{PENDING}/{held.pk}").status_code == 404
    assert resolve(other, held.pk, action="reject").status_code == 404
    assert api_client.get(PENDING).status_code == 401
    assert api_client.get(f"{PENDING}/{held.pk}").status_code == 401
    assert resolve(api_client, held.pk, action="reject").status_code == 401
    held.refresh_from_db()
    assert held.status == PendingItemStatus.PENDING


def test_unknown_ids_and_actions(auth_client, held):
    assert auth_client.get(f"{PENDING}/not-a-uuid").status_code == 400
    assert auth_client.get(f"{PENDING}/{uuid.uuid4()}").status_code == 404
    response = resolve(auth_client, held.pk, action="delete")
    assert response.status_code == 400
    assert "action" in response.json()["details"]
    assert auth_client.post(f"{PENDING}/{held.pk}/resolve", {}, format="json").status_code == 400


def test_approve_waits_for_staff_then_enriches_the_merged_item(auth_client, user, staff_user, held):
    waiting = resolve(auth_client, held.pk, action="approve")
    assert waiting.status_code == 409
    assert waiting.json()["details"]["conflict_id"] == str(held.conflict_id)

    conflict_resolve(
        admin=staff_user, conflict=held.conflict, strategy="merge", target_dfid=held.first.dfid
    )
    items_before = Item.objects.count()
    response = resolve(auth_client, held.pk, action="approve")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Pending item resolved and created successfully"
    assert body["item"]["dfid"] == held.first.dfid
    assert body["item"]["enriched_data"]["breed"] == "Nelore"
    assert body["pending"]["status"] == "Resolved"
    assert body["pending"]["resolved_dfid"] == held.first.dfid
    assert Item.objects.count() == items_before
    assert auth_client.get(PENDING).json() == []
    assert auth_client.get(f"{PENDING}/{held.pk}").json()["status"] == "Resolved"
    assert resolve(auth_client, held.pk, action="approve").status_code == 409


def test_kept_apart_then_modified_then_approved_creates_a_new_item(auth_client, staff_user, held):
    conflict_resolve(admin=staff_user, conflict=held.conflict, strategy="keep_separate")
    assert resolve(auth_client, held.pk, action="approve").status_code == 409

    fresh = canonical()
    response = resolve(
        auth_client,
        held.pk,
        action="modify",
        new_identifiers=[fresh],
        new_enriched_data={"breed": "Angus"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["item"] is None
    assert response.json()["pending"]["status"] == "Pending"
    assert response.json()["pending"]["conflict_id"] is None
    held.refresh_from_db()
    assert [i["value"] for i in held.identifiers] == [fresh["value"]]
    assert held.enriched_data == {"breed": "Angus"}

    bad = resolve(auth_client, held.pk, action="modify", new_identifiers=[{"key": ""}])
    assert bad.status_code == 400
    held.refresh_from_db()
    assert [i["value"] for i in held.identifiers] == [fresh["value"]]

    response = resolve(auth_client, held.pk, action="approve")
    assert response.status_code == 200, response.content
    created = Item.objects.get(dfid=response.json()["item"]["dfid"])
    assert created.dfid not in {held.first.dfid, held.second.dfid}
    assert created.enriched_data == {"breed": "Angus"}


def test_approving_identifiers_that_still_conflict_records_a_new_conflict(
    auth_client, staff_user, held
):
    # The submitter changes only the data: the identifiers stay tied to the conflict.
    resolve(auth_client, held.pk, action="modify", new_enriched_data={"breed": "Gir"})
    held.refresh_from_db()
    assert held.conflict_id is not None
    # Re-sent as they were: the conflict link goes, approval retries and conflicts again.
    resolve(auth_client, held.pk, action="modify", new_identifiers=[held.a, held.b])
    conflicts_before = ConflictResolution.objects.count()
    response = resolve(auth_client, held.pk, action="approve")
    assert response.status_code == 409
    assert ConflictResolution.objects.count() == conflicts_before + 1
    held.refresh_from_db()
    assert held.status == PendingItemStatus.PENDING
    assert held.priority == 3
    assert str(held.conflict_id) == response.json()["details"]["conflict_id"]
    assert PendingItem.objects.count() == 1  # the retry holds no second copy


def test_reject_drops_it(auth_client, held):
    items_before = Item.objects.count()
    response = resolve(auth_client, held.pk, action="reject")
    assert response.status_code == 200
    assert response.json()["item"] is None
    assert response.json()["pending"]["status"] == "Rejected"
    assert Item.objects.count() == items_before
    assert auth_client.get(PENDING).json() == []
    assert resolve(auth_client, held.pk, action="modify").status_code == 409


def test_a_conflicting_batch_element_is_held_too(auth_client, user):
    a, b = canonical(), canonical()
    item_for(user, a)
    item_for(user, b)
    response = auth_client.post(
        "/api/items/batch", {"items": [{"identifiers": [a, b]}]}, format="json"
    )
    [result] = response.json()["results"]
    assert result["status"] == "conflict"
    assert PendingItem.objects.get(pk=result["pending_id"]).user == user


def test_list_query_count_does_not_grow(auth_client, user):
    def queries(rows: int) -> int:
        PendingItem.objects.all().delete()
        PendingItem.objects.bulk_create(
            PendingItem(user=user, identifiers=[canonical()]) for _ in range(rows)
        )
        with CaptureQueriesContext(connection) as context:
            response = auth_client.get(f"{PENDING}?limit=100")
            assert response.status_code == 200
            assert len(response.json()) == rows
        return len(context.captured_queries)

    assert queries(2) == queries(25)
