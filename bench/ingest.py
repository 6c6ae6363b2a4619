"""Item ingestion through the API's bulk path, beside a plain PostgreSQL COPY of the same rows.

    .venv/bin/python bench/ingest.py --items 2000     # full run
    .venv/bin/python bench/ingest.py --quick          # small run for CI

Creates a fresh PostgreSQL database (dropped first if it exists), migrates it, seeds one
Enterprise user with plenty of credits, then POSTs N items (3 identifiers each: one canonical
SISBOV number, two contextual) to ``/api/items/batch`` in lists of up to 1,000 through Django's test
client. The same rows (items + identifiers) are then written with psycopg ``COPY`` into
scratch copies of the two tables (same columns and indexes) in the same database. One table
reports both rates and their ratio.
"""

import argparse
import hashlib
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000, help="items to create (default 2000)")
    parser.add_argument("--batch", type=int, default=1000, help="items per request (max 1000)")
    parser.add_argument("--quick", action="store_true", help="300 items: a smoke run for CI")
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument("--database", default="defarm_bench_ingest", help="scratch database")
    args = parser.parse_args()
    if args.quick:
        args.items = min(args.items, 300)
    args.batch = max(1, min(args.batch, 1000))
    return args


def recreate_database(server: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{server}/{name}"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "defarm.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def item_payloads(count: int, run: str) -> list[dict]:
    return [
        {
            "identifiers": [
                {
                    "namespace": "bovino",
                    "key": "sisbov",
                    "value": f"BR{run}{n:08d}",
                    "id_type": "Canonical",
                },
                {"namespace": "bovino", "key": "lot", "value": f"LOT-{n // 100}"},
                {"namespace": "bovino", "key": "farm", "value": "Fazenda Boa Vista"},
            ],
            "enriched_data": {"breed": "Nelore", "weight_kg": 300 + n % 200},
        }
        for n in range(count)
    ]


def ingest_through_api(payloads: list[dict], batch: int) -> float:
    from rest_framework.test import APIClient

    from accounts.models import Tier, TransactionType
    from accounts.services.credits import credits_add
    from accounts.services.users import user_create
    from accounts.tokens import jwt_issue

    user = user_create(
        username="bench-ingest",
        email="bench-ingest@example.com",
        password="Bench-ingest-1!",
        tier=Tier.ENTERPRISE,
    )
    credits_add(
        user=user,
        amount=10 * len(payloads) + 1000,
        transaction_type=TransactionType.GRANT,
        description="Ingestion benchmark",
    )
    client = APIClient(SERVER_NAME="localhost")
    token, _ = jwt_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    started = time.perf_counter()
    for start in range(0, len(payloads), batch):
        chunk = payloads[start : start + batch]
        response = client.post("/api/items/batch", {"items": chunk}, format="json")
        if response.status_code != 200:
            raise SystemExit(f"API answered {response.status_code}: {response.content[:500]!r}")
        created = sum(1 for result in response.json()["results"] if result["status"] == "created")
        if created != len(chunk):
            raise SystemExit(f"Expected {len(chunk)} created items, got {created}")
    return time.perf_counter() - started


def ingest_with_copy(database_url: str, payloads: list[dict]) -> float:
    """The same items and identifiers, COPYed into scratch copies of the tables."""
    import psycopg

    now = int(time.time())
    item_rows = []
    identifier_rows = []
    for n, payload in enumerate(payloads):
        dfid = f"DFID-COPY-{n:08d}"
        content = json.dumps(payload, sort_keys=True)
        item_rows.append(
            (
                dfid,
                hashlib.sha256(content.encode()).hexdigest(),
                "Active",
                json.dumps(payload["enriched_data"]),
                now,
                now,
            )
        )
        for identifier in payload["identifiers"]:
            identifier_rows.append(
                (
                    uuid.uuid4(),
                    dfid,
                    identifier["key"],
                    identifier["value"],
                    identifier["namespace"],
                    identifier.get("id_type", "Contextual"),
                )
            )
    with psycopg.connect(database_url) as connection:
        connection.execute("DROP TABLE IF EXISTS scratch_item_identifiers, scratch_items")
        connection.execute("CREATE TABLE scratch_items (LIKE items INCLUDING ALL)")
        connection.execute(
            "CREATE TABLE scratch_item_identifiers (LIKE item_identifiers INCLUDING ALL)"
        )
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY scratch_items (dfid, item_hash, status, enriched_data, created_at_ts, "
                "last_updated_ts) FROM STDIN"
            ) as copy:
                for row in item_rows:
                    copy.write_row(row)
            with cursor.copy(
                "COPY scratch_item_identifiers (id, dfid, key, value, namespace, id_type) "
                "FROM STDIN"
            ) as copy:
                for row in identifier_rows:
                    copy.write_row(row)
        connection.commit()
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE scratch_item_identifiers, scratch_items")
        connection.commit()
    return elapsed


def main() -> None:
    args = parse_args()
    database_url = recreate_database(args.server, args.database)
    setup_django(database_url)
    payloads = item_payloads(args.items, run=f"{int(time.time()) % 10_000:04d}")

    api_seconds = ingest_through_api(payloads, args.batch)
    from django.db import connection

    from items.models import Item, ItemIdentifier

    created = Item.objects.count()
    identifiers = ItemIdentifier.objects.count()
    connection.close()
    copy_seconds = ingest_with_copy(database_url, payloads)

    api_rate = args.items / api_seconds
    copy_rate = args.items / copy_seconds
    rows = [
        (f"API (POST /api/items/batch, {args.batch}/request)", args.items, api_seconds, api_rate),
        ("psycopg COPY (items + identifiers)", args.items, copy_seconds, copy_rate),
    ]
    print(f"\nIngestion of {args.items} items x 3 identifiers on PostgreSQL ({args.database})")
    print(f"| {'path':<44} | {'items':>6} | {'seconds':>8} | {'items/s':>9} |")
    print(f"|{'-' * 46}|{'-' * 8}|{'-' * 10}|{'-' * 11}|")
    for name, count, seconds, rate in rows:
        print(f"| {name:<44} | {count:>6} | {seconds:>8.2f} | {rate:>9.0f} |")
    print(f"| {'ratio COPY / API':<44} | {'':>6} | {'':>8} | {copy_rate / api_rate:>8.1f}x |")
    print(f"(API wrote {created} items and {identifiers} identifiers, plus mappings and events)")


if __name__ == "__main__":
    main()
