import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from items.dfid import dfid_checksum, dfid_format, dfid_is_valid
from items.services import dfids_issue
from tests.items.factories import canonical, item_for


def test_checksum_matches_the_reference_values():
    assert dfid_checksum("20240926000001") == "2488"
    assert dfid_checksum("20250108000042") == "94E"


def test_validator_checks_format_date_and_checksum():
    assert dfid_is_valid("DFID-20240926-000001-2488")
    assert dfid_is_valid("DFID-20250108-000042-94E")
    assert not dfid_is_valid("DFID-20240926-000001-2489")  # wrong checksum
    assert not dfid_is_valid("DFID-20240926-00001-2488")  # sequence too short
    assert not dfid_is_valid("DFID-20241399-000001-" + dfid_checksum("20241399000001"))
    assert not dfid_is_valid("LID-1234")
    assert not dfid_is_valid("")


def test_sequence_numbers_longer_than_six_digits_stay_valid():
    dfid = dfid_format(sequence_number=12_345_678)
    assert dfid.split("-")[2] == "12345678"
    assert dfid_is_valid(dfid)


@pytest.mark.django_db
def test_issued_dfids_are_valid_distinct_and_increasing():
    first = dfids_issue(count=3)
    second = dfids_issue(count=2)
    numbers = [int(dfid.split("-")[2]) for dfid in first + second]
    assert all(dfid_is_valid(dfid) for dfid in first + second)
    assert numbers == sorted(set(numbers))


@pytest.mark.django_db
def test_many_dfids_come_from_one_query():
    with CaptureQueriesContext(connection) as queries:
        dfids = dfids_issue(count=500)
    assert len(set(dfids)) == 500
    assert len(queries) == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_item_creation_never_shares_a_dfid(user):
    from accounts.models import TransactionType
    from accounts.services.credits import credits_add
    from tests.accounts.factories import UserFactory

    creators = [UserFactory() for _ in range(4)]
    for creator in creators:
        credits_add(
            user=creator, amount=1000, transaction_type=TransactionType.GRANT, description="test"
        )
    barrier = threading.Barrier(len(creators))
    issued: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create_many(creator):
        try:
            barrier.wait()
            for _ in range(10):
                dfid = item_for(creator, canonical()).dfid
                with lock:
                    issued.append(dfid)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create_many, args=(c,)) for c in creators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(issued) == 40
    assert len(set(issued)) == 40


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_issuing_never_overlaps():
    results: list[list[str]] = []
    barrier = threading.Barrier(3)

    def issue():
        barrier.wait()
        results.append(dfids_issue(count=200))
        connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [dfid for batch in results for dfid in batch]
    assert len(everything) == 600
    assert len(set(everything)) == 600


@pytest.mark.django_db
def test_sequence_continues_after_dfids_of_an_adopted_database():
    import importlib
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from django.apps import apps

    from items.models import Item

    migration = importlib.import_module(
        "items.migrations.0002_identifier_types_ownership_dfid_sequence"
    )
    adopted = dfid_format(sequence_number=5_000_000, issued_on=datetime(2024, 9, 26, tzinfo=UTC))
    Item.objects.create(dfid=adopted, item_hash="0" * 64)
    migration.start_dfid_sequence(apps, SimpleNamespace(connection=connection))
    assert int(dfids_issue(count=1)[0].split("-")[2]) > 5_000_000


def test_dfids_of_one_day_are_formatted_as_one_at_a_time():
    from datetime import UTC, datetime

    from items.dfid import dfids_format

    day = datetime(2026, 11, 30, tzinfo=UTC)
    numbers = [0, 1, 42, 999_999, 1_000_000, 12_345_678, *range(5_000, 6_000, 7)]
    assert dfids_format(sequence_numbers=numbers, issued_on=day) == [
        dfid_format(sequence_number=number, issued_on=day) for number in numbers
    ]
