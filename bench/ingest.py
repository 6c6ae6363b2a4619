"""Bulk item ingestion through the API's bulk paths, beside a plain PostgreSQL COPY of the same
rows into every table those paths write.

    .venv/bin/python bench/ingest.py                  # full run: 100,000 items per path
    .venv/bin/python bench/ingest.py --quick          # small run for CI (300 items)

Creates a fresh PostgreSQL database (dropped first if it exists), migrates it, seeds one
Enterprise user with plenty of credits, then, each in its own worker process with production
settings (``DEBUG=false``; its peak RSS is reported):

- ``POST /api/items/batch``: N items (one canonical SISBOV number and two contextual
  identifiers each, a little enriched data) in requests of 1,000 through Django's test client;
- ``POST /api/items/import``: a CSV file of N other items with the same columns, streamed
  from disk through the same route's service (``manage.py import_items_csv``, the code the
  route runs), in chunks of 1,000.

Then the rows those paths wrote for N more items (items, item_identifiers, identifier_mappings,
events, item_contributions, and one credit_transactions row per 1,000 items) are written with
psycopg ``COPY`` into the same tables (their indexes, unique and foreign-key constraints, and
the rows already there), in one transaction. One table reports each path's rate beside COPY's.
"""

import argparse
import csv
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

USERNAME = "bench-ingest"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items per path (100000)")
    parser.add_argument("--batch", type=int, default=1000, help="items per request (max 1000)")
    parser.add_argument("--quick", action="store_true", help="300 items: a smoke run for CI")
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument("--database", default="defarm_bench_ingest", help="scratch database")
    parser.add_argument("--worker", choices=["api", "csv"], help=argparse.SUPPRESS)
    parser.add_argument("--run", default="0000", help=argparse.SUPPRESS)
    parser.add_argument("--csv-path", help=argparse.SUPPRESS)
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


def drop_database(server: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def setup_django(database_url: str, *, migrate: bool) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "defarm.settings"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def sisbov(run: str, n: int) -> str:
    return f"BR{run}{n:08d}"


def item_payload(run: str, n: int) -> dict:
    return {
        "identifiers": [
            {
                "namespace": "bovino",
                "key": "sisbov",
                "value": sisbov(run, n),
                "id_type": "Canonical",
            },
            {"namespace": "bovino", "key": "lot", "value": f"LOT-{n // 100}"},
            {"namespace": "bovino", "key": "farm", "value": "Fazenda Boa Vista"},
        ],
        "enriched_data": {"breed": "Nelore", "weight_kg": 300 + n % 200},
    }


def write_csv(path: str, run: str, count: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        header = "canonical:bovino:sisbov,id:bovino:lot,id:bovino:farm,data:breed,json:weight_kg"
        writer.writerow(header.split(","))
        for n in range(count):
            writer.writerow(
                [sisbov(run, n), f"LOT-{n // 100}", "Fazenda Boa Vista", "Nelore", 300 + n % 200]
            )


def seed_user(count: int) -> None:
    from accounts.models import Tier, TransactionType
    from accounts.services.credits import credits_add
    from accounts.services.users import user_create

    user = user_create(
        username=USERNAME,
        email=f"{USERNAME}@example.com",
        password="Bench-ingest-1!",
        tier=Tier.ENTERPRISE,
    )
    credits_add(
        user=user,
        amount=10 * count + 1000,
        transaction_type=TransactionType.GRANT,
        description="Ingestion benchmark",
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def worker_api(args: argparse.Namespace) -> dict:
    """POST /api/items/batch, 1,000 items a request, payloads built a request at a time."""
    from rest_framework.test import APIClient

    from accounts.models import User
    from accounts.tokens import jwt_issue

    user = User.objects.get(username=USERNAME)
    client = APIClient(SERVER_NAME="localhost")
    token, _ = jwt_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    warm_up = [item_payload("0001", n) for n in range(10)]  # imports and caches, not timed
    client.post("/api/items/batch", {"items": warm_up}, format="json")
    started = time.perf_counter()
    for start in range(0, args.items, args.batch):
        end = min(start + args.batch, args.items)
        chunk = [item_payload(args.run, n) for n in range(start, end)]
        response = client.post("/api/items/batch", {"items": chunk}, format="json")
        if response.status_code != 200:
            raise SystemExit(f"API answered {response.status_code}: {response.content[:500]!r}")
        created = sum(1 for result in response.json()["results"] if result["status"] == "created")
        if created != len(chunk):
            raise SystemExit(f"Expected {len(chunk)} created items, got {created}")
    return {"seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb()}


def worker_csv(args: argparse.Namespace) -> dict:
    """The CSV import's service (what POST /api/items/import runs), streaming from disk."""
    from accounts.models import User
    from items.services import items_import_csv

    user = User.objects.get(username=USERNAME)
    header = "canonical:bovino:sisbov,id:bovino:lot\n"
    warm_up = "".join(f"{sisbov('0002', n)},LOT-0\n" for n in range(10))
    items_import_csv(user=user, stream=io.BytesIO((header + warm_up).encode()))  # not timed
    started = time.perf_counter()
    with open(args.csv_path, "rb") as stream:
        report = items_import_csv(user=user, stream=stream)
    if report.created != args.items or report.errors:
        raise SystemExit(f"Expected {args.items} created rows: {report.as_dict()}")
    return {"seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb()}


def run_worker(args: argparse.Namespace, database_url: str, kind: str, **extra: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--items",
        str(args.items),
        "--batch",
        str(args.batch),
        "--run",
        extra.get("run", "0000"),
    ]
    if "csv_path" in extra:
        command += ["--csv-path", extra["csv_path"]]
    from bench.common import django_env

    env = django_env(database_url)  # production settings (DEBUG off), as a gunicorn worker
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{output.stdout}\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


SCRATCH_TABLES = (
    "items",
    "item_identifiers",
    "identifier_mappings",
    "events",
    "item_contributions",
    "credit_transactions",
)


def copy_rows(run: str, count: int, batch: int, user_id: str) -> dict[str, list[tuple]]:
    """The rows the API writes for ``count`` items, built before COPY is timed."""
    now = int(time.time())
    rows: dict[str, list[tuple]] = {table: [] for table in SCRATCH_TABLES}
    for n in range(count):
        payload = item_payload(run, n)
        dfid = f"DFID-20260101-{n:06d}-C{run}"
        content = json.dumps(payload, sort_keys=True)
        rows["items"].append(
            (
                dfid,
                hashlib.sha256(content.encode()).hexdigest(),
                "Active",
                json.dumps(payload["enriched_data"]),
                now,
                now,
                user_id,
            )
        )
        descriptions = []
        for identifier in payload["identifiers"]:
            id_type = identifier.get("id_type", "Contextual")
            metadata = (
                {"registry": identifier["key"], "verified": False, "verification_date": None}
                if id_type == "Canonical"
                else {"scope": "user"}
            )
            rows["item_identifiers"].append(
                (
                    dfid,
                    identifier["key"],
                    identifier["value"],
                    identifier["namespace"],
                    id_type,
                    json.dumps(metadata),
                )
            )
            rows["identifier_mappings"].append((identifier["key"], identifier["value"], dfid, 1.0))
            descriptions.append(
                f"{identifier['namespace']}:{identifier['key']}={identifier['value']}"
            )
        metadata = json.dumps({"identifiers": descriptions, "source": "api"})
        rows["events"].append(
            (
                uuid.uuid4(),
                dfid,
                "Created",
                now,
                metadata,
                "Public",
                user_id,
                hashlib.sha256((dfid + metadata).encode()).hexdigest(),
            )
        )
        rows["item_contributions"].append((uuid.uuid4(), dfid, user_id, True, False, now, now))
    for start in range(0, count, batch):
        size = min(batch, count - start)
        rows["credit_transactions"].append(
            (uuid.uuid4(), -size, "consumption", f"Item creation x{size}", 1000, now, user_id)
        )
    return rows


COPY_COLUMNS = {
    "items": "dfid, item_hash, status, enriched_data, created_at_ts, last_updated_ts, created_by",
    "item_identifiers": "dfid, key, value, namespace, id_type, type_metadata",
    "identifier_mappings": "identifier_key, identifier_value, dfid, confidence_score",
    "events": "event_id, dfid, event_type, timestamp, metadata, visibility, created_by, "
    "content_hash",
    "item_contributions": "id, dfid, contributor_id, is_base, verified, created_at_ts, "
    "updated_at_ts",
    "credit_transactions": "transaction_id, amount, transaction_type, description, "
    "balance_after, created_at_ts, user_id",
}


def ingest_with_copy(database_url: str, rows: dict[str, list[tuple]], *, scratch: bool) -> float:
    """The same rows, COPYed in one transaction into the very tables the API writes (their
    indexes, unique and foreign-key constraints, and the rows the API paths left there), or,
    with ``scratch``, into empty copies of them (same columns, defaults, indexes and unique
    constraints, no foreign keys)."""
    import psycopg

    prefix = "scratch_" if scratch else ""
    with psycopg.connect(database_url) as connection:
        if scratch:
            for table in SCRATCH_TABLES:
                connection.execute(f"DROP TABLE IF EXISTS scratch_{table}")
                connection.execute(f"CREATE TABLE scratch_{table} (LIKE {table} INCLUDING ALL)")
            connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in SCRATCH_TABLES:
                statement = f"COPY {prefix}{table} ({COPY_COLUMNS[table]}) FROM STDIN"
                with cursor.copy(statement) as copy:
                    for row in rows[table]:
                        copy.write_row(row)
        connection.commit()
        return time.perf_counter() - started


def load_average() -> str:
    try:
        return " / ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    args = parse_args()
    if args.worker:
        setup_django(os.environ["DATABASE_URL"], migrate=False)
        work = worker_api if args.worker == "api" else worker_csv
        print(json.dumps(work(args)))
        return
    database_url = recreate_database(args.server, args.database)
    try:
        setup_django(database_url, migrate=True)
        seed_user(2 * args.items)
        from django.db import connection

        from accounts.models import User
        from items.models import Event, IdentifierMapping, Item, ItemIdentifier

        user_id = User.objects.get(username=USERNAME).pk
        connection.close()
        load_before = load_average()
        api = run_worker(args, database_url, "api", run="1111")
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "items.csv")
            write_csv(path, "2222", args.items)
            imported = run_worker(args, database_url, "csv", run="2222", csv_path=path)
        counts = {
            "items": Item.objects.count(),
            "identifiers": ItemIdentifier.objects.count(),
            "mappings": IdentifierMapping.objects.count(),
            "events": Event.objects.count(),
        }
        connection.close()
        rows = copy_rows("3333", args.items, args.batch, user_id)
        copy_seconds = ingest_with_copy(database_url, rows, scratch=False)
        scratch_seconds = ingest_with_copy(database_url, rows, scratch=True)
        load_after = load_average()
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(args.server, args.database)

    copy_rate = args.items / copy_seconds
    table = [
        (f"API POST /api/items/batch ({args.batch}/request)", api["seconds"], api["rss_mb"]),
        ("CSV import (POST /api/items/import's service)", imported["seconds"], imported["rss_mb"]),
    ]
    print(
        f"\nIngestion of {args.items:,} items x 3 identifiers per path, PostgreSQL; "
        f"load average before {load_before}, after {load_after}"
    )
    print(
        f"| {'path':<48} | {'seconds':>8} | {'items/s':>8} | {'x COPY':>6} | {'peak RSS MB':>11} |"
    )
    print(f"|{'-' * 50}|{'-' * 10}|{'-' * 10}|{'-' * 8}|{'-' * 13}|")
    for name, seconds, rss in table:
        rate = args.items / seconds
        print(
            f"| {name:<48} | {seconds:>8.2f} | {rate:>8.0f} | {rate / copy_rate:>6.3f} | "
            f"{rss:>11.0f} |"
        )
    print(
        f"| {'psycopg COPY of the same rows into the 6 tables':<48} | {copy_seconds:>8.2f} | "
        f"{copy_rate:>8.0f} | {1:>6.3f} | {'':>11} |"
    )
    scratch_rate = args.items / scratch_seconds
    print(
        f"| {'COPY into empty copies (no foreign keys)':<48} | {scratch_seconds:>8.2f} | "
        f"{scratch_rate:>8.0f} | {scratch_rate / copy_rate:>6.3f} | {'':>11} |"
    )
    print(
        "(the two paths wrote, with 10 untimed warm-up items each, "
        f"{counts['items']:,} items, {counts['identifiers']:,} identifiers, "
        f"{counts['mappings']:,} mappings and {counts['events']:,} events; COPY wrote "
        + ", ".join(f"{len(rows[t]):,} {t}" for t in SCRATCH_TABLES)
        + ")"
    )


if __name__ == "__main__":
    main()
