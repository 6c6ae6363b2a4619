"""The bulk paths (``items_create_bulk`` behind POST /api/items/batch, the chunked ingestion
behind the CSV import) leave the database exactly as the same items sent one at a time through
``item_create`` (POST /api/items): items, identifiers, layers, mappings, events, conflicts and
credits. On PostgreSQL, two batches sharing canonical ids at the same time neither deadlock nor
duplicate."""

import io
import threading

import pytest
from django.db import connections

from accounts.models import CreditBalance, Tier, TransactionType
from accounts.services.credits import credits_add
from defarm.api.exceptions import Conflict
from items.models import (
    ConflictResolution,
    Event,
    IdentifierMapping,
    Item,
    ItemContribution,
    ItemIdentifier,
)
from items.services import item_create, items_create_bulk, items_import_csv
from tests.accounts.factories import UserFactory
from tests.items.factories import canonical, contextual, item_for, sisbov


def _scenario(mode: str) -> dict:
    """The same story told through ``mode`` (single, bulk or csv); returns the database as
    labels (no DFIDs, ids, timestamps or random values) and the per-item outcomes."""
    owner = UserFactory(tier=Tier.PROFESSIONAL)
    other = UserFactory(tier=Tier.PROFESSIONAL)
    for user in (owner, other):
        credits_add(user=user, amount=1000, transaction_type=TransactionType.GRANT, description="t")
    labels = {owner.pk: "owner", other.pk: "other"}
    values = {name: sisbov() for name in ("a", "b", "x", "new1", "new2")}
    values["b"] = f"RFID{values['b']}"
    labels.update({value: name for name, value in values.items()})

    def tag(name):
        return canonical(values[name], key="rfid" if name == "b" else "sisbov")

    item_for(owner, tag("a"), contextual("lot", "A"), enriched_data={"w": 1})
    item_for(owner, tag("b"))
    item_for(other, tag("x"), enriched_data={"theirs": True})
    balance_before = CreditBalance.objects.get(user=owner).credits
    submissions = [
        {"identifiers": [tag("new1"), contextual("lot", "L1")], "enriched_data": {"n": 1}},
        {"identifiers": [tag("new1"), contextual("farm", "F")], "enriched_data": {"n": 2}},
        {"identifiers": [tag("a")], "enriched_data": {"w": 2, "k": "v"}},
        {"identifiers": [tag("x"), contextual("lot", "L2")], "enriched_data": {"mine": 1}},
        {"identifiers": [tag("a"), tag("b")], "enriched_data": {"lost": True}},
        {"identifiers": [contextual("lot", "only-contextual")]},
        {"identifiers": [tag("a")]},
        {"identifiers": [tag("new2"), contextual("lot", "L1")]},
        {"identifiers": [tag("new2")], "enriched_data": {"late": [1, 2]}},
    ]
    if mode == "bulk":
        statuses = [r.status for r in items_create_bulk(user=owner, items=submissions)]
    elif mode == "csv":
        report = items_import_csv(user=owner, stream=io.BytesIO(_csv(submissions)))
        statuses = [report.created, report.enriched, report.conflicts, report.invalid]
    else:
        statuses = []
        for submission in submissions:
            try:
                result = item_create(user=owner, **submission)
                statuses.append("created" if result.created else "enriched")
            except Conflict:
                statuses.append("conflict")

    def relabel(text):
        for value, label in labels.items():
            text = str(text).replace(str(value), str(label))
        return text

    def item_key(dfid):
        base = ItemIdentifier.objects.filter(item_id=dfid, contribution__isnull=True)
        return relabel(sorted(f"{i.key}={i.value}" for i in base))

    return {
        "statuses": statuses,
        "items": sorted(
            (item_key(i.dfid), i.status, relabel(i.enriched_data), labels[i.created_by_id])
            for i in Item.objects.filter(created_by__in=[owner, other])
        ),
        "identifiers": sorted(
            (
                item_key(i.item_id),
                i.namespace,
                i.key,
                relabel(i.value),
                i.id_type,
                relabel(i.type_metadata),
                i.contribution_id is not None,
            )
            for i in ItemIdentifier.objects.filter(item__created_by__in=[owner, other])
        ),
        "layers": sorted(
            (
                item_key(c.item_id),
                labels.get(c.contributor_id),
                c.is_base,
                relabel(c.enriched_data),
                c.circuit_id,
            )
            for c in ItemContribution.objects.filter(item__created_by__in=[owner, other])
        ),
        "mappings": sorted(
            (m.identifier_key, relabel(m.identifier_value), item_key(m.item_id))
            for m in IdentifierMapping.objects.filter(item__created_by__in=[owner, other])
        ),
        "events": sorted(
            (
                item_key(e.item_id),
                e.event_type,
                e.visibility,
                relabel({k: v for k, v in e.metadata.items() if k != "source"}),
                labels.get(e.created_by_id),
            )
            for e in Event.objects.filter(item__created_by__in=[owner, other])
        ),
        "conflicts": sorted(
            (
                c.identifier_key,
                relabel(c.identifier_value),
                sorted(map(item_key, c.conflicting_dfids)),
            )
            for c in ConflictResolution.objects.all()
        ),
        "charged": balance_before - CreditBalance.objects.get(user=owner).credits,
    }


def _csv(submissions) -> bytes:
    """The submissions as CSV: one column per identifier key, one json: column per data key."""
    import csv
    import json

    keys = sorted({key for s in submissions for key in (s.get("enriched_data") or {})})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["canonical:bovino:sisbov", "canonical:bovino:rfid", "id:bovino:lot", "id:bovino:farm"]
        + [f"json:{key}" for key in keys]
    )
    for submission in submissions:
        cells = {"sisbov": "", "rfid": "", "lot": "", "farm": ""}
        for identifier in submission["identifiers"]:
            cells[identifier["key"]] = identifier["value"]
        data = submission.get("enriched_data") or {}
        writer.writerow(
            [*cells.values()] + [json.dumps(data[key]) if key in data else "" for key in keys]
        )
    return out.getvalue().encode()


@pytest.mark.django_db
def test_a_batch_writes_what_the_same_items_one_by_one_write():
    single = _scenario("single")
    _clear()
    bulk = _scenario("bulk")
    assert single["statuses"] == [
        "created",
        "enriched",
        "enriched",
        "enriched",
        "conflict",
        "created",
        "enriched",
        "created",
        "enriched",
    ]
    assert bulk == single
    assert single["charged"] == 3 * 1  # three new DFIDs at the Professional tier's cost


@pytest.mark.django_db
def test_a_csv_import_writes_what_the_same_items_one_by_one_write():
    single = _scenario("single")
    _clear()
    imported = _scenario("csv")
    assert imported["statuses"] == [3, 5, 1, 0]
    assert {k: v for k, v in imported.items() if k != "statuses"} == {
        k: v for k, v in single.items() if k != "statuses"
    }


def _clear():
    ConflictResolution.objects.all().delete()
    Event.objects.all().delete()
    IdentifierMapping.objects.all().delete()
    Item.objects.all().delete()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_batches_sharing_canonical_ids_make_each_item_once():
    first, second = UserFactory(tier=Tier.ENTERPRISE), UserFactory(tier=Tier.ENTERPRISE)
    for user in (first, second):
        credits_add(user=user, amount=10**4, transaction_type=TransactionType.GRANT, description="")
    balances = {user.pk: CreditBalance.objects.get(user=user).credits for user in (first, second)}
    shared = [sisbov() for _ in range(300)]
    own = {user.pk: [sisbov() for _ in range(100)] for user in (first, second)}
    # opposite orders: without sorted locks the two would wait on each other
    batches = {
        first.pk: [{"identifiers": [canonical(value)]} for value in shared + own[first.pk]],
        second.pk: [{"identifiers": [canonical(value)]} for value in own[second.pk] + shared[::-1]],
    }
    barrier = threading.Barrier(2)
    results: dict[str, list] = {}
    errors: list[BaseException] = []

    def run(user):
        try:
            barrier.wait()
            results[user.pk] = items_create_bulk(user=user, items=batches[user.pk])
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(results) == 2
    for value in shared:  # one item per shared canonical id, in whichever batch came first
        assert ItemIdentifier.objects.filter(value=value, contribution__isnull=True).count() == 1
    assert Item.objects.count() == 300 + 200
    created = {pk: sum(r.status == "created" for r in rs) for pk, rs in results.items()}
    assert sorted(created.values()) == [100, 400]
    later = min(created, key=created.get)
    assert [r.status for r in results[later]].count("enriched") == 300
    # the later batch named the earlier one's items: its own layer of each, nothing else
    assert ItemContribution.objects.filter(is_base=False, contributor_id=later).count() == 300
    assert IdentifierMapping.objects.count() == 300 * 2 + 200
    for user in (first, second):
        spent = balances[user.pk] - CreditBalance.objects.get(user=user).credits
        assert spent == created[user.pk]  # Enterprise: 1 credit a DFID, for its own DFIDs
