import pytest

from defarm.api.exceptions import Conflict
from items.models import Item, ItemStatus, LidDfidMapping
from items.services import local_item_tokenize
from tests.items.factories import canonical, contextual, item_for, local_item_for

pytestmark = pytest.mark.django_db


def create_local(client, *identifiers, enriched_data=None):
    body = {"identifiers": list(identifiers)}
    if enriched_data is not None:
        body["enriched_data"] = enriched_data
    response = client.post("/api/items/local", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["data"]["local_id"]


def test_local_item_is_stored_as_lid_with_its_mapping(auth_client, user):
    local_id = create_local(auth_client, contextual("lot", "L1"), enriched_data={"a": 1})
    item = Item.objects.get(dfid=f"LID-{local_id}")
    assert item.created_by == user and item.status == "Active"
    assert LidDfidMapping.objects.get(local_id=local_id).item_id == item.dfid
    mapping = auth_client.get(f"/api/items/mapping/{local_id}")
    assert mapping.status_code == 200
    assert mapping.json()["data"] == {"local_id": local_id, "dfid": None, "status": "LocalOnly"}


def test_local_items_are_free(auth_client, user):
    from accounts.models import CreditBalance

    before = CreditBalance.objects.get(user=user).credits
    create_local(auth_client, canonical())
    assert CreditBalance.objects.get(user=user).credits == before


def test_local_canonical_ids_do_not_capture_global_items(auth_client):
    tag = canonical()
    create_local(auth_client, tag)
    response = auth_client.post("/api/items", {"identifiers": [tag]}, format="json")
    assert response.status_code == 200
    assert not response.json()["dfid"].startswith("LID-")


def test_another_user_gets_404_on_my_local_items(auth_client, other_client, staff_client):
    local_id = create_local(auth_client, contextual())
    assert other_client.get(f"/api/items/mapping/{local_id}").status_code == 404
    assert other_client.get(f"/api/items/LID-{local_id}").status_code == 404
    unmerge = other_client.post("/api/items/local/unmerge", {"merged_lid": local_id}, format="json")
    assert unmerge.status_code == 404
    assert staff_client.get(f"/api/items/mapping/{local_id}").status_code == 200
    assert other_client.get("/api/items/mapping/not-a-uuid").status_code == 400


def test_mapping_reports_tokenized_with_its_dfid(auth_client, user):
    local_id = create_local(auth_client, canonical())
    result = local_item_tokenize(user=user, local_id=local_id)
    assert auth_client.get(f"/api/items/mapping/{local_id}").json()["data"] == {
        "local_id": local_id,
        "dfid": result.item.dfid,
        "status": "Tokenized",
    }
    assert Item.objects.get(dfid=f"LID-{local_id}").status == ItemStatus.DEPRECATED


def test_tokenize_applies_the_namespace_default_and_extra_identifiers(user):
    local = local_item_for(user, {"key": "lot", "value": "L1"}, enriched_data={"a": 1})
    result = local_item_tokenize(
        user=user,
        local_id=local.local_id,
        identifiers=[{"key": "sisbov", "value": canonical()["value"], "id_type": "Canonical"}],
        enriched_data={"b": 2},
        namespace_default="bovino",
    )
    assert result.created
    item = Item.objects.get(dfid=result.item.dfid)
    assert {i.namespace for i in item.identifiers.all()} == {"bovino"}
    assert item.enriched_data == {"a": 1, "b": 2}
    assert item.events.filter(event_type="Created", metadata__local_id=str(local.local_id)).exists()


def test_tokenize_twice_or_into_a_conflict_is_refused(user):
    a, b = canonical(), canonical()
    item_for(user, a)
    item_for(user, b)
    local = local_item_for(user, a, b)
    with pytest.raises(Conflict):
        local_item_tokenize(user=user, local_id=local.local_id)
    assert Item.objects.get(dfid=local.dfid).status == "Active"  # still local
    fine = local_item_for(user, canonical())
    local_item_tokenize(user=user, local_id=fine.local_id)
    with pytest.raises(Conflict):
        local_item_tokenize(user=user, local_id=fine.local_id)


def merge(client, primary, secondaries, strategy):
    return client.post(
        "/api/items/local/merge",
        {"master_lid": primary, "merge_lids": secondaries, "merge_strategy": strategy},
        format="json",
    )


def unmerge(client, merged_lid):
    return client.post("/api/items/local/unmerge", {"merged_lid": merged_lid}, format="json")


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("append", {"k": "2nd", "a": 1, "b": 2}),
        ("keep_first", {"k": "first", "a": 1, "b": 2}),
        ("overwrite", {"k": "2nd", "b": 2}),
    ],
)
def test_merge_local_items_with_each_strategy(auth_client, strategy, expected):
    first = create_local(auth_client, contextual("lot", "A"), enriched_data={"k": "first", "a": 1})
    second = create_local(auth_client, contextual("lot", "B"), enriched_data={"k": "2nd", "b": 2})
    response = merge(auth_client, first, [second], strategy)
    assert response.status_code == 200, response.json()
    body = response.json()["data"]
    assert body["master_item"]["local_id"] == first
    assert body["master_item"]["enriched_data"] == expected
    master = auth_client.get(f"/api/items/LID-{first}").json()
    assert {i["value"] for i in master["identifiers"]} == {"A", "B"}
    assert Item.objects.get(dfid=f"LID-{second}").status == f"MergedInto:{first}"


def test_unmerge_restores_both_local_items(auth_client):
    first = create_local(auth_client, contextual("lot", "A"), enriched_data={"k": "first", "a": 1})
    second = create_local(auth_client, contextual("lot", "B"), enriched_data={"k": "2nd", "b": 2})
    merge(auth_client, first, [second], "overwrite")
    merged = auth_client.get(f"/api/items/LID-{first}").json()
    response = unmerge(auth_client, second)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["restored_lid"] == second and body["previous_master_lid"] == first
    assert auth_client.get(f"/api/items/LID-{second}").json()["status"] == "Active"
    master = auth_client.get(f"/api/items/LID-{first}").json()
    assert master["enriched_data"] == {"k": "first", "a": 1}
    assert [i["value"] for i in master["identifiers"]] == ["A"]
    assert master["item_hash"] != merged["item_hash"]
    # unmerging twice is refused
    assert unmerge(auth_client, second).status_code == 409


def test_merged_local_item_cannot_merge_again_and_others_items_are_404(auth_client, other_client):
    first = create_local(auth_client, contextual("lot", "A"))
    second = create_local(auth_client, contextual("lot", "B"))
    third = create_local(auth_client, contextual("lot", "C"))
    assert merge(auth_client, first, [second], "append").status_code == 200
    assert merge(auth_client, third, [second], "append").status_code == 409
    foreign = create_local(other_client, contextual("lot", "D"))
    assert merge(auth_client, first, [foreign], "append").status_code == 404
    assert merge(auth_client, first, [first], "append").status_code == 400
    assert merge(auth_client, first, [third], "shuffle").status_code == 400
