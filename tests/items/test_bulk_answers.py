"""The bulk create answers its items from plain rows (``item_views_read``): every answer must be
the one ``ItemSerializer`` gives the same item, for the same viewer, byte for byte."""

import uuid

import pytest
from django.db import connection
from django.db.models import prefetch_related_objects
from django.test.utils import CaptureQueriesContext

from circuits.models import Circuit, CircuitItem, CircuitMember
from items.api.serializers import ItemSerializer, item_views_representations
from items.item_view import item_views_read, items_prefetch_views
from items.models import Item, ItemContribution
from tests.conftest import client_for
from tests.items.factories import (
    adopted_item,
    canonical,
    contextual,
    item_for,
    local_item_for,
)

pytestmark = pytest.mark.django_db


def serializer_answers(dfids, viewer) -> dict[str, dict]:
    """What the batch answered before: the items read with their views and source entries,
    through ``ItemSerializer``."""
    items = list(Item.objects.filter(dfid__in=dfids))
    items_prefetch_views(items, viewer=viewer)
    prefetch_related_objects(items, "source_entries")
    return {item.dfid: ItemSerializer(item, context={"viewer": viewer}).data for item in items}


def test_batch_answers_are_byte_for_byte_the_serializers(user, other_user, share_in_circuit):
    client = client_for(user)
    shared_tag, hidden_tag, own_tag, a, b = (canonical() for _ in range(5))
    cpf = canonical("529.982.247-25", key="cpf")
    shared = item_for(
        other_user, shared_tag, cpf, contextual("farm", "F"), enriched_data={"breed": "Angus"}
    )
    share_in_circuit(shared, other_user, user)  # the other party's base layer is visible
    hidden = item_for(other_user, hidden_tag, enriched_data={"secret": 1})  # not visible
    own = item_for(user, own_tag, contextual("lot", "L0"), enriched_data={"weight_kg": 300})
    item_for(user, a)
    item_for(user, b)
    new_tag = canonical()
    entry = str(uuid.uuid4())
    elements = [
        {  # created, with a source entry and identifier metadata
            "identifiers": [
                new_tag,
                {"key": "pen", "value": "P1", "scope": "organization"},
                {"key": "rfid", "value": "E2003412010", "id_type": "CANONICAL", "verified": True},
            ],
            "enriched_data": {"n": 1, "nested": {"x": [1, 2]}},
            "source_entry": entry,
        },
        # enriched by a later element of the same batch
        {"identifiers": [new_tag, contextual("lot", "L9")], "enriched_data": {"n": 2}},
        # the caller's own layer of an item it sees the base of (a person id masked)
        {"identifiers": [shared_tag, contextual("pen", "P2")], "enriched_data": {"mine": True}},
        # the caller's own layer of an item whose base it does not see
        {"identifiers": [hidden_tag, contextual("pen", "P3")]},
        # the caller's own item
        {"identifiers": [own_tag, contextual("lot", "L1")], "enriched_data": {"weight_kg": 310}},
        {"identifiers": [a, b]},  # conflict, held as a pending item
        "not an object",  # invalid
        {"identifiers": []},  # invalid
        {"identifiers": [{"key": "k", "value": "v", "id_type": "Other"}]},  # invalid
        {"identifiers": [canonical()], "enriched_data": None},  # created, plain
    ]
    response = client.post("/api/items/batch", {"items": elements}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "created",
        "enriched",
        "enriched",
        "enriched",
        "enriched",
        "conflict",
        "invalid",
        "invalid",
        "invalid",
        "created",
    ]
    assert ItemContribution.objects.filter(contributor=user, is_base=False).count() == 2
    expected = serializer_answers([r["dfid"] for r in body["results"] if r.get("dfid")], user)
    for result in body["results"]:
        result["item"] = expected[result["dfid"]] if result["success"] else None
    rendered = response.accepted_renderer.render(
        body, response.accepted_media_type, response.renderer_context
    )
    assert rendered == response.content
    # what the expectations hold: the merged layers, the masked person id, the hidden base
    items = {r["dfid"]: r["item"] for r in body["results"] if r["success"]}
    assert items[shared.dfid]["enriched_data"] == {"breed": "Angus", "mine": True}
    assert "529.982.247-25" not in {i["value"] for i in items[shared.dfid]["identifiers"]}
    assert items[hidden.dfid]["enriched_data"] == {}
    assert items[hidden.dfid]["item_hash"] != hidden.item_hash
    assert items[own.dfid]["enriched_data"] == {"weight_kg": 310}
    assert items[body["results"][0]["dfid"]]["source_entries"] == [entry]
    assert body["results"][5]["item"] is None and body["results"][5]["pending_id"]


def test_plain_views_match_the_serializer_for_every_kind_of_item(
    user, other_user, staff_user, share_in_circuit
):
    tag = canonical()
    mine = item_for(user, tag, contextual("lot", "L1"), enriched_data={"breed": "Nelore"})
    theirs = item_for(other_user, canonical(), canonical("529.982.247-25", key="cpf"))
    share_in_circuit(theirs, other_user, user)
    item_for(other_user, tag)  # a conflict-free enrichment: the other party's own layer of mine
    local = local_item_for(user, contextual("lot", "L2"), enriched_data={"x": 1})
    adopted = adopted_item()
    circuit = Circuit.objects.create(name="Adopters", owner=user)
    CircuitMember.objects.create(circuit=circuit, member=user, role="Member")
    CircuitItem.objects.create(circuit=circuit, item=adopted, added_by=user.pk, added_at_ts=0)
    dfids = [mine.dfid, theirs.dfid, local.dfid, adopted.dfid, "DFID-missing"]
    for viewer in (user, other_user, staff_user):
        plain = item_views_representations(item_views_read(dfids=dfids, viewer=viewer))
        assert plain == serializer_answers(dfids, viewer)
        assert set(plain) == set(dfids) - {"DFID-missing"}
    assert plain[local.dfid]["local_id"] == local.dfid.removeprefix("LID-")


def test_the_plain_read_is_at_most_five_queries_for_any_number_of_items(
    user, other_user, share_in_circuit
):
    few = [item_for(user, canonical()).dfid for _ in range(2)]
    many = few + [item_for(user, canonical(), contextual()).dfid for _ in range(20)]
    with CaptureQueriesContext(connection) as small:
        item_views_read(dfids=few, viewer=user)
    with CaptureQueriesContext(connection) as large:
        assert len(item_views_read(dfids=many, viewer=user)) == 22
    assert len(small) == len(large) == 4  # the caller's own layers need no visibility check
    theirs = [item_for(other_user, canonical()) for _ in range(3)]
    share_in_circuit(theirs[0], other_user, user)
    with CaptureQueriesContext(connection) as mixed:
        views = item_views_read(dfids=many + [item.dfid for item in theirs], viewer=user)
    assert len(mixed) == 5
    assert [bool(views[item.dfid].layers) for item in theirs] == [True, False, False]
