import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from accounts.models import CreditBalance, CreditTransaction
from circuits.models import Circuit, CircuitItem, CircuitMember
from items.api.serializers import IdentifierSerializer, ItemSerializer
from items.dfid import dfid_is_valid
from items.item_view import items_prefetch_views
from items.models import (
    ConflictResolution,
    Event,
    IdentifierMapping,
    Item,
    ItemIdentifier,
    ItemStatus,
)
from items.selectors import item_is_visible_to, items_visible_to
from tests.accounts.factories import UserFactory
from tests.conftest import client_for
from tests.items.factories import adopted_item, canonical, contextual, item_for, local_item_for

pytestmark = pytest.mark.django_db


def create(client, *identifiers, enriched_data=None, path="/api/items"):
    body = {"identifiers": list(identifiers)}
    if enriched_data is not None:
        body["enriched_data"] = enriched_data
    return client.post(path, body, format="json")


def balance(user) -> int:
    return CreditBalance.objects.get(user=user).credits


# --- create, deduplicate, conflict ------------------------------------------------------------


def test_create_answers_200_with_a_new_valid_dfid(auth_client, user):
    before = balance(user)
    response = create(auth_client, canonical(), contextual(), enriched_data={"breed": "Nelore"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert dfid_is_valid(body["dfid"])
    assert body["status"] == "Active"
    assert len(body["item_hash"]) == 64
    assert body["enriched_data"] == {"breed": "Nelore"}
    assert {i["id_type"] for i in body["identifiers"]} == {"Canonical", "Contextual"}
    assert body["created_at_ts"] > 0 and body["last_updated_ts"] >= body["created_at_ts"]
    assert balance(user) == before - 2  # Basic tier: 2 credits per new DFID
    assert IdentifierMapping.objects.filter(item_id=body["dfid"], confidence_score=1.0).count() == 2
    assert Event.objects.filter(item_id=body["dfid"], event_type="Created").count() == 1


def test_create_with_existing_canonical_id_enriches_and_answers_200(auth_client, user):
    tag = canonical()
    first = create(auth_client, tag, enriched_data={"weight": 300, "breed": "Nelore"}).json()
    before = balance(user)
    response = create(
        auth_client, tag, contextual("farm", "Boa Vista"), enriched_data={"weight": 320}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["dfid"] == first["dfid"]
    assert body["enriched_data"] == {"weight": 320, "breed": "Nelore"}
    assert len(body["identifiers"]) == 2
    assert body["item_hash"] != first["item_hash"]
    assert balance(user) == before  # no new DFID, no charge
    assert Item.objects.count() == 1
    assert IdentifierMapping.objects.filter(item_id=body["dfid"]).count() == 3
    assert Event.objects.filter(item_id=body["dfid"], event_type="Enriched").count() == 1


def test_contextual_ids_never_merge_items(auth_client):
    first = create(auth_client, contextual("lot", "L1")).json()
    second = create(auth_client, contextual("lot", "L1")).json()
    assert first["dfid"] != second["dfid"]


def test_same_key_and_value_in_another_namespace_is_another_item(auth_client):
    value = canonical()["value"]
    first = create(auth_client, canonical(value, namespace="bovino")).json()
    second = create(auth_client, canonical(value, namespace="suino")).json()
    assert first["dfid"] != second["dfid"]


def test_cpf_punctuation_does_not_hide_a_duplicate(auth_client):
    first = create(auth_client, canonical("529.982.247-25", key="cpf")).json()
    response = create(auth_client, canonical("52998224725", key="cpf"))
    assert response.status_code == 200
    assert response.json()["dfid"] == first["dfid"]


def test_canonical_ids_of_two_items_answer_409_and_record_the_conflict(auth_client, user):
    a, b = canonical(), canonical()
    first = create(auth_client, a).json()["dfid"]
    second = create(auth_client, b).json()["dfid"]
    before = balance(user)
    response = create(auth_client, a, b, enriched_data={"x": 1})
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "conflict"
    conflict = ConflictResolution.objects.get()
    assert body["details"]["conflict_id"] == str(conflict.conflict_id)
    assert sorted(body["details"]["conflicting_dfids"]) == sorted([first, second])
    assert first in body["message"] and second in body["message"]
    assert conflict.status == "Pending"
    assert conflict.resolution_strategy == "ManualReview"
    assert balance(user) == before
    assert not Item.objects.filter(enriched_data__x=1).exists()


def test_short_of_credits_answers_402_and_writes_nothing(auth_client, user):
    CreditBalance.objects.filter(user=user).update(credits=1)
    ledger = CreditTransaction.objects.count()
    response = create(auth_client, canonical())
    assert response.status_code == 402
    assert response.json()["error"] == "insufficient_credits"
    assert not Item.objects.exists()
    assert not ItemIdentifier.objects.exists()
    assert not Event.objects.exists()
    assert CreditTransaction.objects.count() == ledger


def test_monthly_item_limit_of_the_tier_is_enforced(auth_client, user):
    from accounts.tiers import tier_limits

    limit = tier_limits(user.tier).items_per_month
    Item.objects.bulk_create(
        Item(dfid=f"DFID-20260101-{n:06d}-0", item_hash="0" * 64, created_by=user)
        for n in range(limit)
    )
    response = create(auth_client, canonical())
    assert response.status_code == 403
    assert response.json()["error"] == "tier_limit_exceeded"


def test_dfid_of_a_deprecated_item_no_longer_deduplicates(auth_client):
    tag = canonical()
    first = create(auth_client, tag).json()["dfid"]
    assert auth_client.delete(f"/api/items/{first}").status_code == 200
    response = create(auth_client, tag)
    assert response.status_code == 200
    assert response.json()["dfid"] != first


@pytest.mark.parametrize(
    ("identifier", "fragment"),
    [
        (canonical("BR123", key="sisbov"), "sisbov=BR123"),
        (canonical("529.982.247-24", key="cpf"), "check digits"),
        (canonical("111.111.111-11", key="cpf"), "cpf=111.111.111-11"),
        (canonical("11.222.333/0001-82", key="cnpj"), "check digits"),
        (canonical("XX-123456", key="car"), "car=XX-123456"),
        (canonical("1234", key="nirf"), "nirf=1234"),
        (canonical("1234", key="ie"), "ie=1234"),
        (canonical("123", key="rfid"), "rfid=123"),
        ({"namespace": "martian", "key": "lot", "value": "1"}, "unknown namespace"),
    ],
)
def test_invalid_identifiers_answer_400_naming_the_identifier(auth_client, identifier, fragment):
    response = create(auth_client, identifier)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert fragment in body["message"]
    assert not Item.objects.exists()


@pytest.mark.parametrize(
    "identifier",
    [
        canonical("11.222.333/0001-81", key="cnpj"),
        canonical("BR-1234567", key="car"),
        canonical("12345678", key="nirf"),
        canonical("E200341201", key="rfid"),
        canonical("anything", key="herdbook"),  # unknown registries are accepted
    ],
)
def test_valid_canonical_ids_are_accepted(auth_client, identifier):
    assert create(auth_client, identifier).status_code == 200


def test_create_needs_identifiers(auth_client):
    response = auth_client.post("/api/items", {"identifiers": []}, format="json")
    assert response.status_code == 400


def test_anonymous_caller_is_refused(api_client):
    assert api_client.get("/api/items").status_code == 401


# --- visibility ---------------------------------------------------------------------------------


def test_another_user_gets_404_on_my_item(auth_client, other_client):
    dfid = create(auth_client, canonical()).json()["dfid"]
    assert other_client.get(f"/api/items/{dfid}").status_code == 404
    stolen = {"enriched_data": {"a": 1}}
    assert other_client.put(f"/api/items/{dfid}", stolen, format="json").status_code == 404
    assert other_client.delete(f"/api/items/{dfid}").status_code == 404
    assert other_client.get(f"/api/events/item/{dfid}").status_code == 404
    assert int(other_client.get("/api/items")["X-Total-Count"]) == 0


def test_circuit_members_and_staff_see_the_item(user, other_user, staff_client, share_in_circuit):
    item = item_for(user)
    other_client = client_for(other_user)
    assert other_client.get(f"/api/items/{item.dfid}").status_code == 404
    share_in_circuit(item, user, other_user)
    assert other_client.get(f"/api/items/{item.dfid}").status_code == 200
    assert staff_client.get(f"/api/items/{item.dfid}").status_code == 200
    # members see it but only the creator changes it
    assert other_client.delete(f"/api/items/{item.dfid}").status_code == 403


def test_items_without_creator_are_seen_by_staff_and_circuit_members(
    user, staff_client, share_in_circuit
):
    adopted = Item.objects.create(dfid="DFID-20240926-000001-2488", item_hash="0" * 64)
    assert client_for(user).get(f"/api/items/{adopted.dfid}").status_code == 404
    assert staff_client.get(f"/api/items/{adopted.dfid}").status_code == 200
    share_in_circuit(adopted, user)
    assert client_for(user).get(f"/api/items/{adopted.dfid}").status_code == 200


def test_detail_and_list_agree_on_who_sees_an_item(user, other_user, staff_user, share_in_circuit):
    stranger = UserFactory()
    mine, shared, adopted = (
        item_for(user),
        item_for(user),
        Item.objects.create(dfid="DFID-20240926-000001-2488", item_hash="0" * 64),
    )
    share_in_circuit(shared, user, other_user)
    for caller in (user, other_user, stranger, staff_user):
        listed = set(items_visible_to(user=caller).values_list("dfid", flat=True))
        for item in (mine, shared, adopted):
            assert item_is_visible_to(user=caller, item=item) == (item.dfid in listed), (
                caller.username,
                item.dfid,
            )
    assert item_is_visible_to(user=other_user, item=shared)
    assert not item_is_visible_to(user=stranger, item=mine)


def test_trailing_slash_is_optional(auth_client):
    dfid = create(auth_client, canonical(), path="/api/items/").json()["dfid"]
    assert auth_client.get(f"/api/items/{dfid}/").status_code == 200


# --- list and filters ---------------------------------------------------------------------------


def test_list_filters_by_identifier_namespace_and_status(auth_client):
    a = create(auth_client, canonical(namespace="bovino"), contextual("lot", "A")).json()["dfid"]
    b = create(auth_client, contextual("lot", "B", namespace="soja")).json()["dfid"]
    auth_client.delete(f"/api/items/{b}")

    def dfids(query):
        return {item["dfid"] for item in auth_client.get(f"/api/items?{query}").json()}

    assert dfids("identifier_key=lot") == {a, b}
    assert dfids("identifier_key=lot&identifier_value=A") == {a}
    assert dfids("identifier_key=lot&identifier_value=A&namespace=soja") == set()
    assert dfids("namespace=soja") == {b}
    assert dfids("status=Deprecated") == {b}
    assert dfids("status=active") == {a}


def _make_items(user, count, identifiers_each):
    for _ in range(count):
        item_for(
            user, canonical(), *[contextual("lot", f"L{n}") for n in range(identifiers_each - 1)]
        )


@pytest.mark.parametrize("path", ["/api/items", "/api/items?identifier_key=lot"])
def test_list_query_count_does_not_grow_with_items_or_identifiers(user, path):
    client = client_for(user)
    _make_items(user, 3, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    _make_items(user, 27, 6)
    with CaptureQueriesContext(connection) as many:
        body = client.get(path).json()
    assert len(body) >= 27
    assert len(many) == len(few)


def test_detail_query_count_does_not_grow_with_identifiers(user):
    client = client_for(user)
    small = item_for(user, canonical())
    big = item_for(user, canonical(), *[contextual("lot", f"L{n}") for n in range(20)])
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/items/{small.dfid}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"/api/items/{big.dfid}").json()["identifiers"]) == 21
    assert len(many) == len(few)


def test_item_answers_match_the_declared_serializer_fields(user):
    """ItemSerializer writes its answer by hand (the hottest read); it must stay the answer
    DRF builds from the declared fields."""
    items = [
        item_for(user, canonical(), contextual("lot", "L1"), enriched_data={"breed": "Nelore"}),
        local_item_for(user, contextual("lot", "L2")),
        adopted_item(),
    ]
    loaded = list(Item.objects.filter(pk__in=[i.pk for i in items]))
    items_prefetch_views(loaded, viewer=user)
    for item in loaded:
        if item.created_by_id is None:
            share_in_circuit = CircuitItem.objects.create  # the adopted layer, seen through
            circuit = Circuit.objects.create(name="Adopters", owner=user)
            CircuitMember.objects.create(circuit=circuit, member=user, role="Member")
            share_in_circuit(circuit=circuit, item=item, added_by=user.pk, added_at_ts=0)
            item = Item.objects.get(pk=item.pk)
            items_prefetch_views([item], viewer=user)
        serializer = ItemSerializer(item, context={"viewer": user})
        assert serializer.data == serializers.ModelSerializer.to_representation(serializer, item)
        assert list(serializer.data) == ItemSerializer.Meta.fields
        for identifier in item.identifiers.all():
            serializer = IdentifierSerializer(identifier)
            generic = serializers.ModelSerializer.to_representation(serializer, identifier)
            assert serializer.data == generic
    assert sum(len(item.identifiers.all()) for item in items) == 3


# --- enrich, deprecate, merge, split ------------------------------------------------------------


def test_put_merges_data_and_appends_identifiers(auth_client):
    created = create(auth_client, canonical(), enriched_data={"a": 1, "b": 2}).json()
    response = auth_client.put(
        f"/api/items/{created['dfid']}",
        {"enriched_data": {"b": 3, "c": 4}, "identifiers": [contextual("lot", "X")]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["enriched_data"] == {"a": 1, "b": 3, "c": 4}
    assert len(body["identifiers"]) == 2
    assert body["item_hash"] != created["item_hash"]
    assert Event.objects.filter(item_id=created["dfid"], event_type="Enriched").exists()


def test_put_with_a_canonical_id_of_another_item_is_a_conflict(auth_client):
    taken = canonical()
    create(auth_client, taken)
    mine = create(auth_client, canonical()).json()["dfid"]
    response = auth_client.put(f"/api/items/{mine}", {"identifiers": [taken]}, format="json")
    assert response.status_code == 409
    assert ConflictResolution.objects.count() == 1


def test_delete_deprecates_and_cannot_repeat(auth_client):
    dfid = create(auth_client, canonical()).json()["dfid"]
    assert auth_client.delete(f"/api/items/{dfid}").status_code == 200
    assert Item.objects.get(dfid=dfid).status == ItemStatus.DEPRECATED
    assert auth_client.get(f"/api/items/{dfid}").json()["status"] == "Deprecated"
    again = auth_client.delete(f"/api/items/{dfid}")
    assert again.status_code == 409
    assert "Deprecated" in again.json()["message"]
    assert (
        auth_client.put(f"/api/items/{dfid}", {"enriched_data": {}}, format="json").status_code
        == 409
    )
    assert Event.objects.filter(item_id=dfid, event_type="StatusChanged").count() == 1


def test_merge_keeps_the_primary_and_marks_the_secondary_merged(auth_client):
    a_tag, b_tag = canonical(), canonical()
    a = create(auth_client, a_tag, enriched_data={"k": "a", "only_a": 1}).json()["dfid"]
    b = create(auth_client, b_tag, enriched_data={"k": "b", "only_b": 2}).json()["dfid"]
    response = auth_client.post(f"/api/items/{a}/merge", b, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["dfid"] == a
    assert body["enriched_data"] == {"k": "a", "only_a": 1, "only_b": 2}
    assert {i["value"] for i in body["identifiers"]} == {a_tag["value"], b_tag["value"]}
    assert Item.objects.get(dfid=b).status == "Merged"
    assert Event.objects.filter(event_type="Merged").count() == 2
    # the merged item's canonical id now leads to the survivor
    assert create(auth_client, b_tag).json()["dfid"] == a
    # a merged item cannot be merged again
    again = auth_client.post(f"/api/items/{a}/merge", b, format="json")
    assert again.status_code == 409
    assert "Merged" in again.json()["message"]


def test_merge_refuses_itself_and_invisible_items(auth_client, other_client):
    a = create(auth_client, canonical()).json()["dfid"]
    foreign = create(other_client, canonical()).json()["dfid"]
    assert auth_client.post(f"/api/items/{a}/merge", a, format="json").status_code == 400
    assert auth_client.post(f"/api/items/{a}/merge", foreign, format="json").status_code == 404


def test_merge_into_a_deprecated_item_is_refused(auth_client):
    a = create(auth_client, canonical()).json()["dfid"]
    b = create(auth_client, canonical()).json()["dfid"]
    auth_client.delete(f"/api/items/{a}")
    assert auth_client.post(f"/api/items/{a}/merge", b, format="json").status_code == 409
    assert auth_client.post(f"/api/items/{b}/merge", a, format="json").status_code == 409


def test_split_moves_identifiers_to_a_new_item(auth_client, user):
    tag = canonical()
    created = create(auth_client, tag, contextual("lot", "L1"), contextual("lot", "L2")).json()
    before = balance(user)
    response = auth_client.post(
        f"/api/items/{created['dfid']}/split",
        {"identifiers_for_new_item": [{"namespace": "bovino", "key": "lot", "value": "L2"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    original, new = body["original_item"], body["new_item"]
    assert original["dfid"] == created["dfid"]
    assert dfid_is_valid(new["dfid"]) and new["dfid"] != original["dfid"]
    assert [i["value"] for i in new["identifiers"]] == ["L2"]
    assert {i["value"] for i in original["identifiers"]} == {tag["value"], "L1"}
    assert original["item_hash"] != created["item_hash"]
    assert balance(user) == before - 2
    assert Event.objects.filter(event_type="Split").count() == 2


def test_split_refuses_unknown_identifiers_and_emptying_the_item(auth_client):
    dfid = create(auth_client, canonical("BR999999999999")).json()["dfid"]
    unknown = auth_client.post(
        f"/api/items/{dfid}/split",
        {"identifiers_for_new_item": [{"key": "lot", "value": "nope"}]},
        format="json",
    )
    assert unknown.status_code == 400
    assert "lot=nope" in unknown.json()["message"]
    everything = auth_client.post(
        f"/api/items/{dfid}/split",
        {
            "identifiers_for_new_item": [
                {"namespace": "bovino", "key": "sisbov", "value": "BR999999999999"}
            ]
        },
        format="json",
    )
    assert everything.status_code == 400


def test_staff_sees_every_item(staff_client):
    for _ in range(2):
        item_for(UserFactory())
    assert int(staff_client.get("/api/items")["X-Total-Count"]) == 2
