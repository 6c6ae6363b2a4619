"""Set-based inserts: one ``INSERT ... SELECT FROM unnest(...)`` per table on PostgreSQL (one
array parameter per column, whatever the number of rows), ``bulk_create`` elsewhere.

Columns left out take their database defaults (``gen_random_uuid()``, ``now()``)."""

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def _column(model: type[models.Model], name: str) -> tuple[str, str, bool]:
    """``(column, array element type, is_json)`` of the model field ``name``."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    kind = field.db_type(connection) or "text"
    is_json = isinstance(field, models.JSONField)
    return field.column, "text" if is_json else kind, is_json


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
    arrays: list[list[Any]] = [list(values) for values in zip(*rows, strict=True)]
    for position, (_, _, is_json) in enumerate(columns):
        if is_json:
            arrays[position] = [None if v is None else json.dumps(v) for v in arrays[position]]
    aliases = [f"c{position}" for position in range(len(columns))]
    selected = ", ".join(
        f"{alias}::jsonb" if is_json else alias
        for alias, (_, _, is_json) in zip(aliases, columns, strict=True)
    )
    unnest = ", ".join(f"{_placeholder(kind)}::{kind}[]" for _, kind, _ in columns)
    # Table and column names come from the model; every value is a bound array parameter.
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column, _, _ in columns)
    sql = f"INSERT INTO {table} ({names}) SELECT {selected} FROM unnest({unnest}) AS t"  # noqa: S608
    sql += f"({', '.join(aliases)})"
    if conflict_target is not None:
        sql += f" ON CONFLICT ({connection.ops.quote_name(conflict_target)}) DO NOTHING"
    if returning is not None:
        sql += f" RETURNING {connection.ops.quote_name(returning)}"
    with _server_bound_cursor() as cursor:
        cursor.execute(sql, arrays)
        return [row[0] for row in cursor.fetchall()] if returning else []


def _placeholder(kind: str) -> str:
    """Arrays are sent in binary form (``%b``): the text form quotes and escapes every element
    in Python, which for thousands of rows costs more than the insert. (Each array is cast to
    its column's type, ``kind``.)"""
    return "%b"


def _server_bound_cursor():
    """A cursor of Django's connection (same transaction, counted and logged like any other)
    that sends parameters apart from the statement: Django's psycopg cursors bind them into
    the SQL text on the client, which for arrays of thousands of values costs more than the
    insert itself."""
    import psycopg

    connection.ensure_connection()
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))
