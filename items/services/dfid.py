"""DFID issuing from the database: the ``dfid_seq`` sequence on PostgreSQL, the one-row
``dfid_counter`` table elsewhere. Never from process memory."""

from datetime import UTC, datetime

from django.db import connection

from items.dfid import dfids_format
from items.models import DfidCounter


def _sequence_numbers(count: int) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval('dfid_seq') FROM generate_series(1, %s)", [count])
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "UPDATE dfid_counter SET value = value + %s WHERE id = 1 RETURNING value", [count]
        )
        row = cursor.fetchone()
        if row is None:
            DfidCounter.objects.get_or_create(id=1, defaults={"value": 0})
            cursor.execute(
                "UPDATE dfid_counter SET value = value + %s WHERE id = 1 RETURNING value",
                [count],
            )
            row = cursor.fetchone()
    last = row[0]
    return list(range(last - count + 1, last + 1))


def dfids_issue(*, count: int) -> list[str]:
    """``count`` new DFIDs dated today (UTC), in one database round trip."""
    if count <= 0:
        return []
    return dfids_format(sequence_numbers=_sequence_numbers(count), issued_on=datetime.now(UTC))


def dfid_issue() -> str:
    return dfids_issue(count=1)[0]
