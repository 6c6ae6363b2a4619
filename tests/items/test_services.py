import pytest

from accounts.models import CreditBalance
from defarm.api.exceptions import Conflict, InsufficientCredits
from items.dfid import dfid_is_valid
from items.models import (
    ConflictResolution,
    IdentifierMapping,
    Item,
    ItemContribution,
    ItemStatus,
    LidDfidMapping,
)
from items.services import (
    item_create,
    item_snapshot,
    local_item_tokenize,
)
from tests.items.factories import canonical, contextual, item_for, local_item_for

pytestmark = pytest.mark.django_db


def test_item_create_issues_a_valid_dfid_and_charges(user):
    before = CreditBalance.objects.get(user=user).credits
    result = item_create(user=user, identifiers=[canonical(), contextual()])
    assert result.created
    assert dfid_is_valid(result.item.dfid)
    assert CreditBalance.objects.get(user=user).credits == before - 2
    assert IdentifierMapping.objects.filter(item=result.item).count() == 2


def test_same_canonical_id_enriches_instead_of_creating(user):
    tag = canonical()
    first = item_for(user, tag, enriched_data={"breed": "Nelore", "weight": 300})
    result = item_create(user=user, identifiers=[tag, contextual()], enriched_data={"weight": 320})
    assert not result.created
    assert result.item.dfid == first.dfid
    item = Item.objects.get(dfid=first.dfid)
    assert item.enriched_data == {"breed": "Nelore", "weight": 320}
    assert item.item_hash != first.item_hash
    assert item.identifiers.count() == 2


def test_another_partys_canonical_id_links_its_own_layer_and_leaves_the_item_alone(
    user, other_user
):
    tag = canonical()
    first = item_for(user, tag, enriched_data={"breed": "Nelore", "weight": 300})
    result = item_create(
        user=other_user, identifiers=[tag, contextual()], enriched_data={"weight": 320}
    )
    assert not result.created
    assert result.item.dfid == first.dfid
    item = Item.objects.get(dfid=first.dfid)
    assert item.enriched_data == {"breed": "Nelore", "weight": 300}
    assert item.item_hash == first.item_hash
    layer = ItemContribution.objects.get(item=item, contributor=other_user)
    assert not layer.is_base and layer.enriched_data == {"weight": 320}
    assert sorted(row.key for row in layer.identifier_rows.all()) == ["lot", "sisbov"]
    assert item.identifiers.filter(contribution__isnull=True).count() == 1


def test_canonical_ids_of_two_items_are_a_conflict(user):
    a, b = canonical(), canonical()
    first, second = item_for(user, a), item_for(user, b)
    with pytest.raises(Conflict) as error:
        item_create(user=user, identifiers=[a, b])
    conflict = ConflictResolution.objects.get()
    assert sorted(conflict.conflicting_dfids) == sorted([first.dfid, second.dfid])
    assert error.value.details["conflict_id"] == str(conflict.conflict_id)


def test_short_of_credits_writes_nothing(user):
    CreditBalance.objects.filter(user=user).update(credits=1)
    with pytest.raises(InsufficientCredits):
        item_create(user=user, identifiers=[canonical()])
    assert not Item.objects.exists()


def test_tokenize_local_item_creates_then_enriches(user):
    tag = canonical()
    local = local_item_for(user, tag, enriched_data={"a": 1})
    result = local_item_tokenize(user=user, local_id=local.local_id)
    assert result.created and dfid_is_valid(result.item.dfid)
    assert LidDfidMapping.objects.get(local_id=local.local_id).item_id == result.item.dfid
    assert Item.objects.get(dfid=local.dfid).status == ItemStatus.DEPRECATED
    second = local_item_for(user, contextual(), enriched_data={"b": 2})
    again = local_item_tokenize(user=user, local_id=second.local_id, identifiers=[tag])
    assert not again.created and again.item.dfid == result.item.dfid
    snapshot = item_snapshot(item=Item.objects.get(dfid=result.item.dfid))
    assert snapshot["enriched_data"] == {"a": 1, "b": 2}
    assert len(snapshot["identifiers"]) == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_canonical_id_make_one_item():
    import threading

    from django.db import connections

    from tests.accounts.factories import UserFactory

    creators = [UserFactory() for _ in range(4)]
    tag = canonical()
    barrier = threading.Barrier(len(creators))
    created: list[bool] = []
    errors: list[BaseException] = []

    def create(creator):
        try:
            barrier.wait()
            created.append(item_create(user=creator, identifiers=[tag]).created)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(c,)) for c in creators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(created) == [False, False, False, True]
    assert Item.objects.count() == 1


def test_canonical_lookup_uses_the_partial_index():
    from django.db import connection

    from items.selectors import canonical_identifiers_of_live_items

    queryset = canonical_identifiers_of_live_items(
        triples=[("bovino", "sisbov", "BR100000000001"), ("generic", "cpf", "52998224725")]
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()
    assert "item_identifiers_canonical_idx" in plan
