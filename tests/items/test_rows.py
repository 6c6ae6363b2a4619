"""Set-based inserts (``rows_insert``), the pipelined block around them, and the canonical
lookup of a batch."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from items.models import Event, IdentifierMapping, Item, ItemStatus
from items.selectors import canonical_identifiers_of_live_items, canonical_owners
from items.services.events import EVENT_FIELDS
from items.services.rows import rows_insert, rows_pipeline
from tests.items.factories import canonical, item_for, local_item_for

pytestmark = pytest.mark.django_db

AWKWARD_TEXT = 'quote " backslash \\ slash / tab \t newline \n accents ção 日本 emoji 🐄'


def test_rows_come_back_as_they_were_sent(user):
    item = item_for(user)
    event_id = uuid.uuid4()
    metadata = {
        "text": AWKWARD_TEXT,
        "nested": {"list": [1, 2.5, None, True, False, {"deep": ["x"]}]},
        "big": 2**53 + 1,
        "small": 1e-300,
        "null": None,
    }
    written = rows_insert(
        model=Event,
        fields=EVENT_FIELDS,
        rows=[
            (event_id, item.dfid, "Enriched", 2**40, metadata, "Private", user.pk, "h" * 64),
            (uuid.uuid4(), item.dfid, "Enriched", 1, None, "Public", None, "i" * 64),
        ],
        conflict_target="content_hash",
        returning="content_hash",
    )
    assert sorted(written) == ["h" * 64, "i" * 64]
    stored = Event.objects.get(event_id=event_id)
    assert stored.metadata == metadata
    assert (stored.item_id, stored.timestamp, stored.created_by_id) == (item.dfid, 2**40, user.pk)
    assert Event.objects.get(content_hash="i" * 64).metadata is None

    source = uuid.uuid4()
    rows_insert(
        model=IdentifierMapping,
        fields=("identifier_key", "identifier_value", "item_id", "confidence_score"),
        rows=[("lot", AWKWARD_TEXT, item.dfid, 0.75)],
    )
    rows_insert(
        model=IdentifierMapping,
        fields=(
            "identifier_key",
            "identifier_value",
            "item_id",
            "confidence_score",
            "source_entry_id",
        ),
        rows=[("lot", "L2", item.dfid, 1.0, source)],
    )
    mapping = IdentifierMapping.objects.get(identifier_value=AWKWARD_TEXT)
    assert mapping.confidence_score == 0.75
    assert IdentifierMapping.objects.get(identifier_value="L2").source_entry_id == source


def test_timestamps_keep_their_instant(user):
    moment = datetime(2026, 11, 30, 20, 15, 1, 123456, tzinfo=UTC)
    rows_insert(
        model=Item,
        fields=("dfid", "item_hash", "status", "created_at_ts", "last_updated_ts", "created_at"),
        rows=[("DFID-20261130-999999-1", "0" * 64, ItemStatus.ACTIVE, 1, 1, moment)],
    )
    assert Item.objects.get(dfid="DFID-20261130-999999-1").created_at == moment


def test_an_error_inside_the_pipeline_is_raised_as_django_raises_it(user):
    item = item_for(user)
    row = (uuid.uuid4(), item.dfid, "Enriched", 1, {}, "Public", None, "c" * 64)
    fields = EVENT_FIELDS
    with pytest.raises(IntegrityError), transaction.atomic(), rows_pipeline():
        rows_insert(model=Event, fields=fields, rows=[row])
        rows_insert(model=Event, fields=fields, rows=[row])  # the same event_id again
    assert not Event.objects.filter(content_hash="c" * 64).exists()
    # The connection is usable afterwards.
    assert Item.objects.filter(dfid=item.dfid).exists()


def test_rows_read_inside_the_pipeline_are_those_written_before(user):
    item = item_for(user)
    with transaction.atomic(), rows_pipeline():
        rows_insert(
            model=IdentifierMapping,
            fields=("identifier_key", "identifier_value", "item_id", "confidence_score"),
            rows=[("lot", "P1", item.dfid, 1.0)],
        )
        assert IdentifierMapping.objects.filter(identifier_value="P1").count() == 1


def test_canonical_owners_are_the_live_global_items_holding_each_identifier(user, other_user):
    shared, own, deprecated_value, local_value = (
        canonical(),
        canonical(),
        canonical(),
        canonical(),
    )
    first = item_for(user, shared, own)
    item_for(other_user, canonical(key="cpf", namespace="generic", value="52998224725"))
    deprecated = item_for(user, deprecated_value)
    Item.objects.filter(dfid=deprecated.dfid).update(status=ItemStatus.DEPRECATED)
    local_item_for(user, local_value)
    triples = [
        (identifier["namespace"], identifier["key"], identifier["value"])
        for identifier in (shared, own, deprecated_value, local_value)
    ] + [("generic", "cpf", "52998224725"), ("bovino", "sisbov", "BR000000000000")]

    expected: dict = {}
    for row in canonical_identifiers_of_live_items(triples=triples):
        expected.setdefault((row.namespace, row.key, row.value), set()).add(row.item_id)
    owners = canonical_owners(triples=triples)
    assert owners == expected
    assert owners[triples[0]] == {first.dfid}
    assert triples[2] not in owners and triples[3] not in owners
    assert len(owners) == 3
    assert canonical_owners(triples=[]) == {}


@pytest.mark.postgresql
def test_canonical_owners_use_the_partial_index(user):
    item_for(user)
    captured: list[str] = []

    def explain(execute, sql, params, many, context):
        if sql.startswith("SELECT i.namespace"):
            execute("SET LOCAL enable_seqscan = off", None, False, context)
            execute("EXPLAIN " + sql, params, many, context)
            captured.extend(row[0] for row in context["cursor"].fetchall())
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(explain):
        canonical_owners(triples=[("bovino", "sisbov", "BR100000000001")])
    assert any("item_identifiers_canonical_idx" in line for line in captured)


def test_uuids_made_together_are_random_version_4_uuids():
    from items.services.rows import uuid4s

    made = uuid4s(1000)
    assert len(set(made)) == 1000
    assert all(value.version == 4 and value.variant == uuid.RFC_4122 for value in made)
    assert uuid4s(0) == []
