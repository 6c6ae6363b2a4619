"""The earlier engine's item, local-item, event and receipt routes (CONTRACT.md §8.5-8.8):
each one sent what an engine client sends, and read the way an engine client reads it."""

import base64
import hashlib
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from items.models import Event, Item, ItemSourceEntry, ItemStatus
from tests.accounts.factories import UserFactory
from tests.conftest import client_for
from tests.items.factories import canonical, contextual, item_for, local_item_for

pytestmark = pytest.mark.django_db

ITEM_FIELDS = {
    "dfid": str,
    "identifiers": list,
    "enriched_data": dict,
    "creation_timestamp": int,
    "last_modified": int,
    "source_entries": list,
    "status": str,
}
EVENT_FIELDS = {
    "event_id": str,
    "dfid": str,
    "event_type": str,
    "timestamp": int,
    "source": str,
    "metadata": dict,
    "is_encrypted": bool,
    "visibility": str,
}
RECEIPT_FIELDS = {"id": str, "hash": str, "timestamp": int, "data_size": int, "identifiers": list}


def assert_shape(body: dict, fields: dict[str, type]) -> None:
    for name, kind in fields.items():
        assert name in body, f"{name} missing from {sorted(body)}"
        assert isinstance(body[name], kind), f"{name}: {body[name]!r} is not {kind.__name__}"


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and isinstance(body["message"], str)
    return body


def both_slashes(path: str) -> list[str]:
    return [path.rstrip("/"), path.rstrip("/") + "/"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- §8.5 items ---------------------------------------------------------------------------


def test_post_items_answers_the_item_response(auth_client):
    source_entry = str(uuid.uuid4())
    response = auth_client.post(
        "/api/items",
        {
            "source_entry": source_entry,
            "identifiers": [
                {"key": "test", "value": "persistence-test2"},
                {
                    "namespace": "bovino",
                    "key": "sisbov",
                    "value": "BR100000000777",
                    "id_type": "canonical",
                },
            ],
            "enriched_data": {"test_type": "create_item_fix"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert_shape(body, ITEM_FIELDS)
    assert body["status"] == "Active"
    assert body["source_entries"] == [source_entry]
    assert ItemSourceEntry.objects.filter(item_id=body["dfid"]).count() == 1
    identifiers = {i["key"]: i for i in body["identifiers"]}
    assert identifiers["test"]["id_type"] == "Contextual"
    assert identifiers["test"]["namespace"] == "generic"
    assert identifiers["test"]["scope"] == "user"
    assert identifiers["sisbov"]["id_type"] == "Canonical"
    assert identifiers["sisbov"]["verified"] is False


def test_post_items_without_source_entry_as_the_event_script_sends(auth_client):
    response = auth_client.post(
        "/api/items/",
        {"identifiers": [{"key": "lot_number", "value": "TEST-1"}], "enriched_data": {"n": 1}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["source_entries"] == []


def test_items_need_credentials(api_client):
    for path in both_slashes("/api/items"):
        assert_error(api_client.get(path), 401)
    assert_error(api_client.post("/api/items", {"identifiers": []}, format="json"), 401)


def test_get_items_is_a_bare_array_with_the_engine_filters(auth_client, user):
    item_for(user, contextual("ear_tag", "A1"))
    deprecated = item_for(user, contextual("ear_tag", "A2"))
    Item.objects.filter(pk=deprecated.pk).update(status=ItemStatus.DEPRECATED)
    for path in both_slashes("/api/items"):
        response = auth_client.get(path)
        assert response.status_code == 200
        assert isinstance(response.json(), list) and len(response.json()) == 2
        assert response["X-Total-Count"] == "2"
    body = auth_client.get("/api/items?status=DEPRECATED").json()
    assert [i["dfid"] for i in body] == [deprecated.dfid]
    assert len(auth_client.get("/api/items?status=nonsense").json()) == 2  # ignored
    body = auth_client.get("/api/items?identifier_key=ear_tag&identifier_value=A1").json()
    assert len(body) == 1 and body[0]["identifiers"][0]["value"] == "A1"
    assert len(auth_client.get("/api/items?limit=1").json()) == 1


def test_get_item_and_its_scope(auth_client, other_client, user):
    item = item_for(user, canonical())
    for path in both_slashes(f"/api/items/{item.dfid}"):
        response = auth_client.get(path)
        assert response.status_code == 200
        assert_shape(response.json(), ITEM_FIELDS)
    assert_error(other_client.get(f"/api/items/{item.dfid}"), 404)
    assert_error(auth_client.get("/api/items/DFID-20240101-000001-0"), 404)


def test_put_item_merges_data_and_appends_identifiers(auth_client, other_client, user):
    item = item_for(user, canonical(), enriched_data={"a": 1})
    body = {
        "enriched_data": {"test_type": "update_fix", "new_field": "testing_persistence"},
        "identifiers": [{"key": "updated", "value": "true"}],
    }
    for path in both_slashes(f"/api/items/{item.dfid}"):
        response = auth_client.put(path, body, format="json")
        assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["dfid"] == item.dfid
    assert answer["enriched_data"] == {"a": 1, **body["enriched_data"]}
    assert {"updated"} <= {i["key"] for i in answer["identifiers"]}
    assert_error(other_client.put(f"/api/items/{item.dfid}", body, format="json"), 404)
    assert auth_client.patch(f"/api/items/{item.dfid}", body, format="json").status_code == 405


def test_delete_item_deprecates_it_with_a_message(auth_client, user):
    item = item_for(user)
    response = auth_client.delete(f"/api/items/{item.dfid}/")
    assert response.status_code == 200
    assert response.json() == {"message": "Item deprecated successfully"}
    item.refresh_from_db()
    assert item.status == ItemStatus.DEPRECATED


def test_put_deprecate_answers_the_deprecated_item(auth_client, other_client, user):
    item = item_for(user)
    assert_error(other_client.put(f"/api/items/{item.dfid}/deprecate"), 404)
    response = auth_client.put(
        f"/api/items/{item.dfid}/deprecate", {"reason": "Testing"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "Deprecated"


def test_merge_takes_the_secondary_dfid_as_a_json_string(auth_client, user):
    primary, secondary = item_for(user), item_for(user)
    response = auth_client.post(f"/api/items/{primary.dfid}/merge", secondary.dfid, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["dfid"] == primary.dfid
    assert len(response.json()["identifiers"]) == 2
    secondary.refresh_from_db()
    assert secondary.status == ItemStatus.MERGED
    assert_error(auth_client.post(f"/api/items/{primary.dfid}/merge", {}, format="json"), 400)


def test_split_moves_identifiers_for_new_item(auth_client, user):
    item = item_for(user, canonical(), contextual("lot", "L1"))
    response = auth_client.post(
        f"/api/items/{item.dfid}/split",
        {"identifiers_for_new_item": [{"namespace": "bovino", "key": "lot", "value": "L1"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert_shape(body["original_item"], ITEM_FIELDS)
    assert_shape(body["new_item"], ITEM_FIELDS)
    assert [i["key"] for i in body["new_item"]["identifiers"]] == ["lot"]


def test_batch_answers_counts_and_per_item_results(auth_client):
    items = [
        {
            "source_entry": str(uuid.uuid4()),
            "identifiers": [{"key": "test", "value": f"batch-{n}"}],
            "enriched_data": {"batch_index": n},
        }
        for n in (1, 2)
    ]
    items.append({"identifiers": [{"key": "test"}]})
    for path in both_slashes("/api/items/batch"):
        response = auth_client.post(path, {"items": items}, format="json")
        assert response.status_code == 200, response.json()
    body = response.json()
    assert body["success_count"] == 2 and body["failed_count"] == 1
    first, _, invalid = body["results"]
    assert first["success"] is True and first["error"] is None
    assert_shape(first["item"], ITEM_FIELDS)
    assert invalid["success"] is False and invalid["item"] is None
    assert "value" in invalid["error"]


def test_batch_query_count_does_not_grow_with_items(auth_client):
    def batch(n: int, tag: str):
        return {"items": [{"identifiers": [contextual("lot", f"{tag}{i}")]} for i in range(n)]}

    with CaptureQueriesContext(connection) as few:
        auth_client.post("/api/items/batch", batch(3, "a"), format="json")
    with CaptureQueriesContext(connection) as many:
        auth_client.post("/api/items/batch", batch(30, "b"), format="json")
    assert len(many) == len(few)


def test_search_is_the_list_with_its_filters(auth_client, user):
    item_for(user, contextual("ear_tag", "S1"))
    item_for(user, contextual("ear_tag", "S2"))
    for path in both_slashes("/api/items/search"):
        body = auth_client.get(f"{path}?identifier_key=ear_tag&identifier_value=S2").json()
        assert [i["identifiers"][0]["value"] for i in body] == ["S2"]


def test_stats_count_what_the_caller_sees(auth_client, user, other_user):
    item_for(user)
    deprecated = item_for(user)
    Item.objects.filter(pk=deprecated.pk).update(status=ItemStatus.DEPRECATED)
    item_for(other_user)
    for path in both_slashes("/api/items/stats"):
        body = auth_client.get(path).json()
        assert body == {
            "total_items": 2,
            "active_items": 1,
            "merged_items": 0,
            "split_items": 0,
            "archived_items": 1,
            "average_confidence": 1.0,
        }


def test_items_by_identifier(auth_client, other_client, user):
    tag = canonical()
    item = item_for(user, tag)
    for path in both_slashes(f"/api/items/identifier/sisbov/{tag['value']}"):
        body = auth_client.get(path).json()
        assert [i["dfid"] for i in body] == [item.dfid]
    assert other_client.get(f"/api/items/identifier/sisbov/{tag['value']}").json() == []


def test_merged_into_status_renders_as_the_engine_did(auth_client, user):
    master = local_item_for(user, contextual("lot", "M"))
    merged = local_item_for(user, contextual("lot", "N"))
    auth_client.post(
        "/api/items/local/merge",
        {"master_lid": master.local_id, "merge_lids": [merged.local_id]},
        format="json",
    )
    body = auth_client.get(f"/api/items/{merged.dfid}").json()
    assert body["status"] == f'MergedInto("{master.local_id}")'


# --- §8.6 local items ---------------------------------------------------------------------


def test_post_local_item_answers_success_data(auth_client):
    for path in both_slashes("/api/items/local"):
        response = auth_client.post(
            path,
            {
                "identifiers": [
                    {
                        "namespace": "bovino",
                        "key": "lote",
                        "value": "LOTE-2025-001",
                        "id_type": "Contextual",
                    }
                ],
                "enriched_data": {"animal_name": "Test Bovine 001", "weight_kg": 450.5},
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["success"] is True
        assert body["data"]["status"] == "LocalOnly"
        uuid.UUID(body["data"]["local_id"])


def test_mapping_answers_success_data(auth_client, other_client, user):
    local = local_item_for(user, contextual())
    for path in [
        *both_slashes(f"/api/items/mapping/{local.local_id}"),
        f"/api/items/mapping/{local.dfid}",
    ]:
        body = auth_client.get(path).json()
        assert body == {
            "success": True,
            "data": {"local_id": local.local_id, "dfid": None, "status": "LocalOnly"},
        }
    assert_error(other_client.get(f"/api/items/mapping/{local.local_id}"), 404)
    assert_error(auth_client.get("/api/items/mapping/not-a-uuid"), 400)


def test_local_merge_and_unmerge_in_the_engine_shapes(auth_client, user):
    master = local_item_for(user, contextual("lot", "M"), enriched_data={"a": 1})
    other = local_item_for(user, contextual("lot", "N"), enriched_data={"b": 2})
    response = auth_client.post(
        "/api/items/local/merge/",
        {"master_lid": master.local_id, "merge_lids": [other.local_id], "merge_strategy": "append"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["master_lid"] == master.local_id
    assert data["merged_count"] == 1 and data["merged_lids"] == [other.local_id]
    assert data["master_item"]["dfid"] == master.dfid
    assert data["master_item"]["local_id"] == master.local_id
    assert data["master_item"]["enriched_data"] == {"a": 1, "b": 2}
    assert data["master_item"]["last_modified"].endswith("Z")

    response = auth_client.post(
        "/api/items/local/unmerge", {"merged_lid": other.local_id}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["success"] is True
    assert body["restored_lid"] == other.local_id
    assert body["previous_master_lid"] == master.local_id
    assert body["restored_item"]["enriched_data"] == {"b": 2}


def test_local_merge_refuses_an_unknown_strategy(auth_client, user):
    master, other = local_item_for(user, contextual()), local_item_for(user, contextual())
    response = auth_client.post(
        "/api/items/local/merge",
        {"master_lid": master.local_id, "merge_lids": [other.local_id], "merge_strategy": "x"},
        format="json",
    )
    assert "merge_strategy" in assert_error(response, 400)["details"]


def test_local_duplicates_groups_items_sharing_an_identifier(auth_client, other_user, user):
    first = local_item_for(user, contextual("ear_tag", "E1"), enriched_data={"w": 1, "c": "x"})
    second = local_item_for(user, contextual("ear_tag", "E1"), enriched_data={"w": 2, "c": "x"})
    Item.objects.filter(pk=second.pk).update(created_at_ts=first.created_at_ts + 1)
    local_item_for(user, contextual("ear_tag", "E2"))
    local_item_for(other_user, contextual("ear_tag", "E1"))
    for path in both_slashes("/api/items/local/duplicates"):
        body = auth_client.get(path).json()
        assert body["success"] is True
        assert body["summary"] == {
            "total_items": 3,
            "duplicate_groups": 1,
            "items_in_duplicates": 2,
        }
        [group] = body["duplicate_groups"]
        assert (group["identifier_key"], group["identifier_value"]) == ("ear_tag", "E1")
        assert [i["local_id"] for i in group["items"]] == [first.local_id, second.local_id]
        assert group["suggested_master_lid"] == first.local_id
        assert group["conflicts"] == ["w"]
        assert group["items"][0]["created"].endswith("Z")
        assert group["items"][0]["identifiers_count"] == 1


def test_local_duplicates_query_count_does_not_grow(auth_client, user):
    for n in range(2):
        local_item_for(user, contextual("ear_tag", "Q0"), contextual("lot", f"x{n}"))
    with CaptureQueriesContext(connection) as few:
        auth_client.get("/api/items/local/duplicates")
    for n in range(2, 20):
        local_item_for(user, contextual("ear_tag", f"Q{n % 5}"), contextual("lot", f"x{n}"))
    with CaptureQueriesContext(connection) as many:
        assert len(auth_client.get("/api/items/local/duplicates").json()["duplicate_groups"]) == 5
    assert len(many) == len(few)


def test_local_organize_merges_each_group_into_its_oldest(auth_client, user):
    first = local_item_for(user, contextual("ear_tag", "O1"), enriched_data={"a": 1})
    second = local_item_for(user, contextual("ear_tag", "O1"), enriched_data={"b": 2})
    third = local_item_for(user, contextual("ear_tag", "O2"))
    fourth = local_item_for(user, contextual("ear_tag", "O2"))
    for age, item in enumerate((first, second, third, fourth)):
        Item.objects.filter(pk=item.pk).update(created_at_ts=1_700_000_000 + age)
    dry = auth_client.post(
        "/api/items/local/organize", {"action": "deduplicate", "dry_run": True}, format="json"
    ).json()
    assert dry["dry_run"] is True
    assert [op["status"] for op in dry["operations"]] == ["would_merge", "would_merge"]
    assert Item.objects.get(pk=second.pk).status == ItemStatus.ACTIVE
    for path in both_slashes("/api/items/local/organize"):
        response = auth_client.post(path, {"action": "merge_all"}, format="json")
        assert response.status_code == 200, response.json()
    body = auth_client.post(
        "/api/items/local/organize", {"action": "deduplicate"}, format="json"
    ).json()
    assert body == {
        "success": True,
        "operations": [],
        "summary": {"items_before": 2, "items_after": 2, "merged_count": 0, "groups_processed": 0},
        "dry_run": False,
    }
    assert Item.objects.get(pk=second.pk).status == f"MergedInto:{first.local_id}"
    assert Item.objects.get(pk=fourth.pk).status == f"MergedInto:{third.local_id}"
    assert Item.objects.get(pk=first.pk).enriched_data == {"a": 1, "b": 2}


def test_local_organize_answers_its_summary_and_refuses_unknown_actions(auth_client, user):
    local_item_for(user, contextual("ear_tag", "P1"))
    local_item_for(user, contextual("ear_tag", "P1"))
    body = auth_client.post(
        "/api/items/local/organize", {"action": "deduplicate"}, format="json"
    ).json()
    assert body["summary"] == {
        "items_before": 2,
        "items_after": 1,
        "merged_count": 1,
        "groups_processed": 1,
    }
    assert body["operations"][0]["status"] == "success"
    assert body["operations"][0]["reason"] is None
    response = auth_client.post("/api/items/local/organize", {"action": "shuffle"}, format="json")
    assert "action" in assert_error(response, 400)["details"]


# --- §8.7 events --------------------------------------------------------------------------


def post_event(client, dfid, **fields):
    body = {"dfid": dfid, "event_type": "updated", "visibility": "public", "metadata": {}}
    return client.post("/api/events", {**body, **fields}, format="json")


def test_post_event_reads_spellings_in_any_case_and_answers_the_event(auth_client, user):
    item = item_for(user)
    response = post_event(
        auth_client,
        item.dfid,
        event_type="STATUSCHANGED",
        visibility="CircuitOnly",
        metadata={"circuit_id": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert_shape(body, EVENT_FIELDS)
    assert body["event_type"] == "StatusChanged" and body["visibility"] == "CircuitOnly"
    assert body["source"] == user.pk
    assert body["was_deduplicated"] is False and body["original_event_id"] is None
    assert len(body["content_hash"]) == 64


@pytest.mark.parametrize(
    ("spelling", "metadata", "stored"),
    [
        ("Vaccinated", {"vaccine": "aftosa"}, "Vaccinated"),
        ("vaccination", {"vaccine": "aftosa"}, "Vaccinated"),
        ("WEIGHING", {"weight_kg": 452.5}, "Weighed"),
        ("movement", {"transport_document": "GTA-123"}, "Moved"),
        ("slaughter", {}, "Slaughtered"),
        ("Certified", {"certification": "organic"}, "Certified"),
        ("sale", {"buyer": "Frigorifico"}, "Sold"),
    ],
)
def test_farm_events_are_recorded(auth_client, user, spelling, metadata, stored):
    response = post_event(auth_client, item_for(user).dfid, event_type=spelling, metadata=metadata)
    assert response.status_code == 200, response.json()
    assert response.json()["event_type"] == stored


@pytest.mark.parametrize(
    ("event_type", "metadata", "missing"),
    [
        ("Moved", {"to": "farm B"}, "transport_document"),
        ("Weighed", {"weight_kg": -1}, "weight_kg"),
        ("Weighed", {"weight_kg": "heavy"}, "weight_kg"),
        ("Vaccinated", {"vaccine": " "}, "vaccine"),
    ],
)
def test_farm_events_need_their_one_fact(auth_client, user, event_type, metadata, missing):
    response = post_event(
        auth_client, item_for(user).dfid, event_type=event_type, metadata=metadata
    )
    assert missing in assert_error(response, 400)["message"]


def test_post_event_twice_is_deduplicated(auth_client, user):
    item = item_for(user)
    first = post_event(auth_client, item.dfid, metadata={"w": 1}).json()
    again = post_event(auth_client, item.dfid, metadata={"w": 1}).json()
    assert again["was_deduplicated"] is True
    assert again["original_event_id"] == first["event_id"] == again["event_id"]


@pytest.mark.parametrize(
    ("field", "value"), [("event_type", "Vaccinatedd"), ("visibility", "direct")]
)
def test_post_event_refuses_unknown_spellings(auth_client, user, field, value):
    response = post_event(auth_client, item_for(user).dfid, **{field: value})
    assert field in assert_error(response, 400)["details"]


def test_events_of_an_item(auth_client, other_client, user):
    item = item_for(user)
    for path in both_slashes(f"/api/events/item/{item.dfid}"):
        body = auth_client.get(path).json()
        assert isinstance(body, list) and [e["event_type"] for e in body] == ["Created"]
        assert_shape(body[0], EVENT_FIELDS)
    assert_error(other_client.get(f"/api/events/item/{item.dfid}"), 404)


def test_events_by_type_and_visibility(auth_client, other_client, user):
    item = item_for(user)
    post_event(auth_client, item.dfid, visibility="private", metadata={"p": 1})
    for path in both_slashes("/api/events/type/CREATED"):
        assert [e["dfid"] for e in auth_client.get(path).json()] == [item.dfid]
    assert other_client.get("/api/events/type/created").json() == []
    assert_error(auth_client.get("/api/events/type/nonsense"), 400)
    assert_error(auth_client.get("/api/events?event_type=nonsense"), 400)
    assert len(auth_client.get("/api/events?event_type=CREATED&visibility=public").json()) == 1
    for path in both_slashes("/api/events/visibility/private"):
        assert [e["visibility"] for e in auth_client.get(path).json()] == ["Private"]
    assert_error(auth_client.get("/api/events/visibility/direct"), 400)
    assert {e["visibility"] for e in auth_client.get("/api/events/public").json()} == {"Public"}
    for path in both_slashes("/api/events/private"):
        assert [e["metadata"].get("p") for e in auth_client.get(path).json()] == [1]
    assert other_client.get("/api/events/private").json() == []


def test_get_one_event(auth_client, other_client, user):
    event = Event.objects.get(item=item_for(user))
    for path in both_slashes(f"/api/events/{event.event_id}"):
        assert_shape(auth_client.get(path).json(), EVENT_FIELDS)
    assert_error(other_client.get(f"/api/events/{event.event_id}"), 404)


def test_event_lists_query_count_does_not_grow(auth_client, user):
    item = item_for(user)
    for n in range(3):
        post_event(auth_client, item.dfid, metadata={"n": n})
    with CaptureQueriesContext(connection) as few:
        auth_client.get(f"/api/events/item/{item.dfid}")
    for n in range(3, 30):
        post_event(auth_client, item.dfid, metadata={"n": n})
    with CaptureQueriesContext(connection) as many:
        assert len(auth_client.get(f"/api/events/item/{item.dfid}").json()) == 31
    assert len(many) == len(few)


def test_timeline_filters_by_both_dates(auth_client, user):
    item = item_for(user)
    Event.objects.filter(item=item).update(timestamp=1_700_000_000)
    later = post_event(auth_client, item.dfid, metadata={"later": True}).json()
    for path in both_slashes("/api/events/timeline"):
        assert len(auth_client.get(path).json()) == 2
    body = auth_client.get(
        f"/api/events/timeline?start_date={later['timestamp']}&end_date={later['timestamp'] + 5}"
    ).json()
    assert [e["event_id"] for e in body] == [later["event_id"]]
    assert len(auth_client.get("/api/events/timeline?start_date=1").json()) == 2  # one date
    assert_error(auth_client.get("/api/events/timeline?start_date=x&end_date=y"), 400)


def test_event_metadata_is_merged_by_its_creator_only(auth_client, other_user, user):
    item = item_for(user)
    event = post_event(auth_client, item.dfid, metadata={"a": 1}).json()
    for path in both_slashes(f"/api/events/{event['event_id']}/metadata"):
        response = auth_client.post(path, {"b": 2}, format="json")
        assert response.status_code == 200, response.json()
        assert_shape(response.json(), EVENT_FIELDS)
    assert response.json()["metadata"]["a"] == 1 and response.json()["metadata"]["b"] == 2
    stranger = client_for(other_user)
    assert_error(
        stranger.post(f"/api/events/{event['event_id']}/metadata", {"c": 3}, format="json"), 404
    )


def test_local_events(auth_client, other_client):
    for path in both_slashes("/api/events/local"):
        response = auth_client.post(
            path,
            {"event_type": "enriched", "visibility": "private", "metadata": {"w": len(path)}},
            format="json",
        )
        assert response.status_code == 200, response.json()
    body = response.json()
    assert body["is_local"] is True and body["event_type"] == "Enriched"
    assert body["local_event_id"] == body["event_id"]
    assert isinstance(body["timestamp"], int) and body["visibility"] == "Private"
    for path in both_slashes(f"/api/events/local/{body['local_event_id']}"):
        assert auth_client.get(path).json()["local_event_id"] == body["local_event_id"]
    assert_error(other_client.get(f"/api/events/local/{body['local_event_id']}"), 404)
    assert_error(auth_client.get("/api/events/local/not-a-uuid"), 400)


def test_events_need_credentials(api_client):
    for path in ("/api/events/public", "/api/events/private", "/api/events/type/created"):
        assert_error(api_client.get(path), 401)


# --- §8.8 receipts ------------------------------------------------------------------------


def post_receipt(client, data=b"hello", identifiers=None):
    identifiers = identifiers or [{"key": "lot", "value": "L1"}]
    return client.post(
        "/api/receipts", {"data": b64(data), "identifiers": identifiers}, format="json"
    )


def test_post_receipt_answers_the_receipt_response(auth_client):
    response = post_receipt(
        auth_client, identifiers=[{"key": "lot", "value": "L1", "id_type": "contextual"}]
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert_shape(body, RECEIPT_FIELDS)
    assert body["hash"] == hashlib.sha256(b"hello").hexdigest()
    assert body["data_size"] == 5
    assert body["identifiers"] == [{"key": "lot", "value": "L1"}]


def test_post_receipt_refusals(auth_client, api_client):
    response = auth_client.post(
        "/api/receipts", {"data": "@@", "identifiers": [{"key": "a", "value": "b"}]}, format="json"
    )
    assert "data" in assert_error(response, 400)["details"]
    response = auth_client.post(
        "/api/receipts", {"data": b64(b"x"), "identifiers": []}, format="json"
    )
    assert "identifiers" in assert_error(response, 400)["details"]
    assert_error(post_receipt(api_client), 401)


def test_get_and_verify_a_receipt(auth_client, other_client):
    receipt = post_receipt(auth_client, data=b"original").json()
    for path in both_slashes(f"/api/receipts/{receipt['id']}"):
        assert auth_client.get(path).json()["hash"] == receipt["hash"]
    assert_error(other_client.get(f"/api/receipts/{receipt['id']}"), 404)
    response = auth_client.post(
        f"/api/receipts/{receipt['id']}/verify", {"data": b64(b"original")}, format="json"
    )
    body = response.json()
    assert body["is_valid"] is True and body["receipt_id"] == receipt["id"]
    assert body["original_hash"] == body["provided_hash"] == receipt["hash"]
    assert body["timestamp"] == receipt["timestamp"]
    body = auth_client.post(
        f"/api/receipts/{receipt['id']}/verify", {"data": b64(b"tampered")}, format="json"
    ).json()
    assert body["is_valid"] is False and body["provided_hash"] != body["original_hash"]
    response = auth_client.post(f"/api/receipts/{receipt['id']}/verify", {}, format="json")
    assert_error(response, 400)
    assert_error(
        other_client.post(
            f"/api/receipts/{receipt['id']}/verify", {"data": b64(b"original")}, format="json"
        ),
        404,
    )


def test_receipt_lists_and_searches(auth_client, other_client):
    mine = post_receipt(auth_client, identifiers=[{"key": "lot", "value": "L1"}]).json()
    post_receipt(auth_client, data=b"2", identifiers=[{"key": "farm", "value": "F1"}])
    post_receipt(other_client, identifiers=[{"key": "lot", "value": "L1"}])
    for path in both_slashes("/api/receipts/list"):
        assert len(auth_client.get(path).json()) == 2
    for path in both_slashes("/api/receipts/search/identifier"):
        body = auth_client.post(path, {"key": "lot", "value": "L1"}, format="json").json()
        assert [r["id"] for r in body] == [mine["id"]]
    for path in both_slashes("/api/receipts/search/key/lot"):
        assert [r["id"] for r in auth_client.get(path).json()] == [mine["id"]]
    for path in both_slashes("/api/receipts/search/value/L1"):
        assert [r["id"] for r in auth_client.get(path).json()] == [mine["id"]]
    assert auth_client.get("/api/receipts/search/value/none").json() == []


def test_receipt_list_query_count_does_not_grow(auth_client):
    post_receipt(auth_client)
    with CaptureQueriesContext(connection) as few:
        auth_client.get("/api/receipts/list")
    for n in range(29):
        post_receipt(auth_client, data=str(n).encode())
    with CaptureQueriesContext(connection) as many:
        assert len(auth_client.get("/api/receipts/list").json()) == 30
    assert len(many) == len(few)


def test_an_other_users_items_stay_out_of_every_list(user):
    stranger = client_for(UserFactory())
    item = item_for(user)
    assert stranger.get("/api/items").json() == []
    assert stranger.get("/api/items/search").json() == []
    assert stranger.get(f"/api/items/identifier/x/{item.dfid}").json() == []
    assert stranger.get("/api/events/public").json() == []
