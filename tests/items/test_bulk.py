import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CreditBalance, CreditTransaction, TransactionType
from accounts.services.credits import credits_add
from items.dfid import dfid_is_valid
from items.models import ConflictResolution, Event, IdentifierMapping, Item, ItemIdentifier
from tests.items.factories import canonical, contextual, item_for

pytestmark = pytest.mark.django_db


def batch(n):
    return [
        {
            "identifiers": [canonical(), contextual("lot", f"L{i}"), contextual("farm", "F")],
            "enriched_data": {"n": i},
        }
        for i in range(n)
    ]


def post_batch(client, items):
    return client.post("/api/items/batch", {"items": items}, format="json")


def test_a_list_creates_every_item_and_reports_each(auth_client, user):
    before = CreditBalance.objects.get(user=user).credits
    ledger = CreditTransaction.objects.count()
    response = post_batch(auth_client, batch(5))
    assert response.status_code == 200
    body = response.json()
    assert body["success_count"] == 5 and body["failed_count"] == 0
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3, 4]
    assert all(r["status"] == "created" and dfid_is_valid(r["dfid"]) for r in body["results"])
    assert Item.objects.count() == 5
    assert ItemIdentifier.objects.count() == 15
    assert IdentifierMapping.objects.count() == 15
    assert Event.objects.filter(event_type="Created").count() == 5
    # charged once for the batch: one ledger row of 5 x 2 credits
    assert CreditTransaction.objects.count() == ledger + 1
    assert CreditBalance.objects.get(user=user).credits == before - 10


def test_invalid_and_conflicting_items_do_not_lose_the_others(auth_client, user):
    a, b = canonical(), canonical()
    first, second = item_for(user, a), item_for(user, b)
    items = [
        {"identifiers": [canonical()]},
        {"identifiers": [canonical("BR1", key="sisbov")]},
        {"identifiers": [a, b]},
        {"identifiers": [a], "enriched_data": {"seen": True}},
        "not an object",
        {"identifiers": []},
    ]
    response = post_batch(auth_client, items)
    assert response.status_code == 200
    assert response.json()["failed_count"] == 4
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "invalid",
        "conflict",
        "enriched",
        "invalid",
        "invalid",
    ]
    assert "sisbov=BR1" in results[1]["error"]
    assert sorted(results[2]["conflicting_dfids"]) == sorted([first.dfid, second.dfid])
    assert ConflictResolution.objects.filter(conflict_id=results[2]["conflict_id"]).exists()
    assert results[3]["dfid"] == first.dfid
    assert Item.objects.get(dfid=first.dfid).enriched_data == {"seen": True}


def test_items_of_one_batch_deduplicate_among_themselves(auth_client):
    tag = canonical()
    items = [
        {"identifiers": [tag], "enriched_data": {"a": 1}},
        {"identifiers": [tag, contextual()], "enriched_data": {"b": 2}},
    ]
    results = post_batch(auth_client, items).json()["results"]
    assert [r["status"] for r in results] == ["created", "enriched"]
    assert results[0]["dfid"] == results[1]["dfid"]
    item = Item.objects.get()
    assert item.enriched_data == {"a": 1, "b": 2}
    assert item.identifiers.count() == 2


def test_an_enrichment_is_a_success_with_its_item(auth_client, user):
    tag = canonical()
    item_for(user, tag)
    response = post_batch(auth_client, [{"identifiers": [tag]}])
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["status"] == "enriched" and result["success"] is True
    assert result["item"]["identifiers"][0]["value"] == tag["value"]


def test_short_of_credits_refuses_the_whole_batch(auth_client, user):
    CreditBalance.objects.filter(user=user).update(credits=5)
    response = post_batch(auth_client, batch(3))
    assert response.status_code == 402
    assert not Item.objects.exists()
    assert CreditBalance.objects.get(user=user).credits == 5


def test_more_than_1000_items_are_refused(auth_client):
    response = post_batch(auth_client, [{"identifiers": []}] * 1001)
    assert response.status_code == 400
    assert "1000" in response.json()["message"]


def test_batch_query_count_does_not_grow_with_its_size(auth_client, user):
    credits_add(user=user, amount=10_000, transaction_type=TransactionType.GRANT, description="t")
    post_batch(auth_client, batch(2))  # warm up
    with CaptureQueriesContext(connection) as small:
        assert post_batch(auth_client, batch(5)).status_code == 200
    with CaptureQueriesContext(connection) as large:
        assert post_batch(auth_client, batch(200)).status_code == 200
    assert len(large) == len(small)
    assert len(large) < 30


PLAIN_AND_NOT = [
    {"identifiers": [canonical("BR100000000001")], "enriched_data": {"n": 1, "x": [1]}},
    {"identifiers": [{"key": " lot ", "value": " L1 ", "id_type": "contextual"}]},
    {"identifiers": [{"namespace": "bovino", "key": "k", "value": "v", "id_type": "CANONICAL"}]},
    {"identifiers": [{"key": "k", "value": "v"}], "enriched_data": None},
    {"identifiers": [{"key": "k", "value": "v"}], "source_entry": None},
    # not plain: the serializer decides (and words the error)
    {"identifiers": []},
    {"identifiers": [{"key": "k", "value": ""}]},
    {"identifiers": [{"key": "k", "value": "   "}]},
    {"identifiers": [{"key": "k", "value": 5}]},
    {"identifiers": [{"key": "k", "value": "a\x00b"}]},
    {"identifiers": [{"key": "k" * 129, "value": "v"}]},
    {"identifiers": [{"key": "k", "value": "v", "id_type": "Other"}]},
    {"identifiers": [{"key": "k", "value": "v", "scope": "user"}]},
    {"identifiers": [{"key": "k", "value": "v"}], "enriched_data": [1]},
    {"identifiers": [{"key": "k", "value": "v"}], "source_entry": "not-a-uuid"},
    {"identifiers": [{"key": "k", "value": "v"}], "unknown": 1},
    "text",
]


@pytest.mark.parametrize("element", PLAIN_AND_NOT)
def test_the_plain_reading_of_an_element_is_the_serializers(element):
    from rest_framework import exceptions

    from items.api.serializers import ItemCreateSerializer, item_create_body_plain

    def plain(value):
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    fast = item_create_body_plain(element)
    try:
        validated = plain(ItemCreateSerializer().run_validation(element))
    except exceptions.ValidationError:
        validated = None
    if PLAIN_AND_NOT.index(element) < 5:
        assert fast is not None
    if fast is not None:  # otherwise the serializer decides, as before
        assert fast == validated
