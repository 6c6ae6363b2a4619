"""Set-based inserts: one ``INSERT ... SELECT`` per table on PostgreSQL, whatever the number of
rows, ``bulk_create`` elsewhere.

On PostgreSQL the rows travel as one ``jsonb`` parameter, an array of rows (each an array of
column values), read back with ``jsonb_array_elements`` and cast to each column's type: the
rows are encoded by the standard library's C JSON encoder in one call (JSON columns embedded
as they are, not encoded one value at a time), and parsed by the server in one pass.

Columns left out take their database defaults (``gen_random_uuid()``, ``now()``)."""

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django.db import connection, models


def _column(model: type[models.Model], name: str) -> tuple[str, str, bool]:
    """``(column, type, is_json)`` of the model field ``name``."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    kind = field.db_type(connection) or "text"
    is_json = isinstance(field, models.JSONField)
    return field.column, kind, is_json


def uuid4s(count: int) -> list[uuid.UUID]:
    """``count`` random (version 4) UUIDs, as ``uuid.uuid4()`` makes them, from one read of
    the system's random source rather than one read each."""
    data = os.urandom(16 * count)
    return [
        uuid.UUID(bytes=data[start : start + 16], version=4) for start in range(0, 16 * count, 16)
    ]


def _json_value(value: Any) -> Any:
    """The JSON form of the values the standard encoder does not know (uuid and timestamp
    columns); each is cast back to its column's type by the server."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value rows_insert can send")


def rows_parameter(rows: Sequence[Sequence[Any]]) -> str:
    """``rows`` as the one parameter ``rows_columns`` reads (NaN and infinities refused, as
    JSON has none)."""
    return json.dumps(rows, default=_json_value, allow_nan=False, separators=(",", ":"))


def rows_columns(kinds: Sequence[tuple[str, bool]]) -> str:
    """The select list reading a row ``r`` of ``rows_parameter`` as columns of ``kinds``
    (``(type, is_json)`` each): a JSON column is the value itself (JSON ``null`` as SQL
    NULL, as Django stores ``None``), any other the value's text cast to its type."""
    return ", ".join(
        f"NULLIF(r->{position}, 'null'::jsonb)" if is_json else f"(r->>{position})::{kind}"
        for position, (kind, is_json) in enumerate(kinds)
    )


ROWS_SOURCE = "jsonb_array_elements(%s::jsonb) AS r"


def rows_insert(
    *,
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict_target: str | None = None,
    returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` (values in the order of ``fields``, attribute names: ``item_id`` for a
    foreign key) into ``model``'s table in one statement.

    With ``conflict_target`` (a column), rows clashing on it are skipped (``ON CONFLICT DO
    NOTHING``). With ``returning`` (a column), answers that column of the inserted rows.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        if conflict_target is None:
            model.objects.bulk_create(objects)
            return [getattr(obj, returning) for obj in objects] if returning else []
        # SQLite: skip the clashing rows first, so what was inserted is known exactly.
        attribute = next(
            f.attname for f in model._meta.concrete_fields if f.column == conflict_target
        )
        values = [getattr(obj, attribute) for obj in objects]
        taken = set(
            model.objects.filter(**{f"{attribute}__in": values}).values_list(attribute, flat=True)
        )
        fresh, seen = [], set()
        for obj, value in zip(objects, values, strict=True):
            if value not in taken and value not in seen:
                seen.add(value)
                fresh.append(obj)
        model.objects.bulk_create(fresh)
        return [getattr(obj, returning) for obj in fresh] if returning else []
    columns = [_column(model, name) for name in fields]
    # Table and column names come from the model; the rows are one bound parameter.
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column, _, _ in columns)
    selected = rows_columns([(kind, is_json) for _, kind, is_json in columns])
    sql = f"INSERT INTO {table} ({names}) SELECT {selected} FROM {ROWS_SOURCE}"  # noqa: S608
    if conflict_target is not None:
        sql += f" ON CONFLICT ({connection.ops.quote_name(conflict_target)}) DO NOTHING"
    if returning is not None:
        sql += f" RETURNING {connection.ops.quote_name(returning)}"
    with _server_bound_cursor() as cursor:
        cursor.execute(sql, [rows_parameter(rows)])
        return [row[0] for row in cursor.fetchall()] if returning else []


@contextmanager
def rows_pipeline() -> Iterator[None]:
    """Statements sent inside go out without waiting for each one's outcome (psycopg's
    pipeline mode, on PostgreSQL): the server works through them, in order, in the same
    transaction, while Python goes on preparing the next; a statement's rows are awaited
    when they are read (a ``RETURNING``), and every outcome when the block ends, where an
    error is raised as Django raises it. For ``rows_insert`` and reads only: the ORM reads a
    write's row count as soon as it is sent, so its writes stay outside."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _server_bound_cursor():
    """A cursor of Django's connection (same transaction, counted and logged like any other)
    that sends parameters apart from the statement: Django's psycopg cursors bind them into
    the SQL text on the client, which for thousands of values costs more than the insert
    itself."""
    import psycopg

    connection.ensure_connection()
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))
