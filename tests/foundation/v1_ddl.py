"""SQL that creates the V1 tables exactly as the reference schema describes them, the way a
database created by the earlier engine looks before DeFarm's migrations first run on it."""

import json
from pathlib import Path

REFERENCE = Path(__file__).with_name("v1_schema.json")

_DEFAULTS = {"<current timestamp>": "now()", "<random uuid>": "uuid_generate_v4()"}


def _default_sql(default: str) -> str:
    return _DEFAULTS.get(default, default)


def _index_column(column: str) -> str:
    return column  # already SQL: e.g. 'key', 'created_at_ts DESC', '"timestamp" DESC'


def _ordered_tables(tables: dict) -> list[str]:
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for fk in tables[name]["foreign_keys"].values():
            target = fk["references"].split("(")[0]
            if target != name:
                visit(target)
        ordered.append(name)

    for name in sorted(tables):
        visit(name)
    return ordered


def v1_create_statements(reference: Path = REFERENCE) -> list[str]:
    schema = json.loads(reference.read_text())
    tables = schema["tables"]
    statements = ['CREATE EXTENSION IF NOT EXISTS "uuid-ossp"']
    for name in _ordered_tables(tables):
        table = tables[name]
        parts = []
        for column, spec in table["columns"].items():
            line = f'"{column}" {spec["type"]}'
            if not spec["nullable"]:
                line += " NOT NULL"
            if spec["default"] is not None:
                line += f" DEFAULT {_default_sql(spec['default'])}"
            parts.append(line)
        parts.append(f"PRIMARY KEY ({', '.join(table['primary_key'])})")
        for columns in table["unique"]:
            parts.append(f"UNIQUE ({', '.join(columns)})")
        for columns, fk in table["foreign_keys"].items():
            parts.append(
                f"FOREIGN KEY ({columns}) REFERENCES {fk['references']} ON DELETE {fk['on_delete']}"
            )
        statements.append(f"CREATE TABLE {name} (\n  " + ",\n  ".join(parts) + "\n)")
        for number, index in enumerate(table["indexes"]):
            columns = ", ".join(_index_column(column) for column in index["columns"])
            unique = "UNIQUE " if index["unique"] else ""
            statements.append(f"CREATE {unique}INDEX {name}_v1_idx_{number} ON {name} ({columns})")
    return statements
