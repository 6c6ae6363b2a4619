"""EPCIS capture of one large document beside a plain PostgreSQL COPY of the same event rows,
and the query by EPC at two sizes of the event table.

    .venv/bin/python bench/epcis_capture.py             # 10,000 events; query at 10k and 100k
    .venv/bin/python bench/epcis_capture.py --quick     # 300 events (CI smoke run)

Creates a fresh PostgreSQL database, migrates it and seeds one Enterprise user. In one worker
process (Django, production settings): ``POST /epcis/capture`` of an EPCISDocument of N
ObjectEvents (no eventID, so each is hashed; one SGTIN each, so each becomes an item through
the items' create path; a read point and a business step), through Django's test client, after
an untimed one-event capture. Then the epcis_events and epcis_event_epcs rows of N more events
are written with psycopg ``COPY`` in one transaction. Finally ``GET /epcis/events?MATCH_epc=...``
is timed (p50 of 50 requests) with N events stored and again after COPY has grown the table to
``--grow`` events.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--grow", type=int, default=100_000, help="events for the 2nd query")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.events, args.grow = 300, 3_000
    return args


def sgtin(number: int, run: str) -> str:
    return f"urn:epc:id:sgtin:9521141.0{number % 100000:05d}.{run}-{number}"


def document(count: int, run: str) -> dict:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-30T00:00:00Z",
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "eventTime": (start + timedelta(seconds=n)).isoformat(),
                    "eventTimeZoneOffset": "+00:00",
                    "action": "OBSERVE",
                    "epcList": [sgtin(n, run)],
                    "bizStep": "shipping",
                    "readPoint": {"id": "urn:epc:id:sgln:9521141.12345.0"},
                }
                for n in range(count)
            ]
        },
    }


def worker(args: argparse.Namespace) -> None:
    """In the Django process: the capture, then the query timings (as asked on stdin)."""
    import django

    django.setup()
    from rest_framework.test import APIClient

    from accounts.models import User

    user = User.objects.get(pk=args.user)
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(user)
    if args.worker == "capture":
        # Untimed warm-up, as a long-lived worker is: URL conf, views, schema validator.
        warm_up = json.dumps(document(1, "w"))
        response = client.post("/epcis/capture", data=warm_up, content_type="application/ld+json")
        assert response.status_code == 202, response.content[:500]
        body = json.dumps(document(args.events, "a"))
        started = time.perf_counter()
        response = client.post("/epcis/capture", data=body, content_type="application/ld+json")
        elapsed = time.perf_counter() - started
        assert response.status_code == 202, response.content[:500]
        assert response.json()["storedCount"] == args.events, response.json()
        print(json.dumps({"seconds": elapsed}))
        return
    timings = []
    for n in range(50):
        started = time.perf_counter()
        response = client.get("/epcis/events", {"MATCH_epc": sgtin(n * 7 % args.events, "a")})
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
        found = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert len(found) == 1, len(found)
    print(json.dumps({"p50_ms": statistics.median(timings) * 1000}))


def run_worker(args, database_url: str, user_id: str, kind: str) -> dict:
    from bench.common import django_env

    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--user",
            user_id,
            "--events",
            str(args.events),
        ],
        env=django_env(database_url, DJANGO_SETTINGS_MODULE="defarm.settings"),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def copy_events(database_url: str, user_id: str, count: int, run: str) -> float:
    """COPY ``count`` event rows (and their EPC rows) like the capture writes them."""
    import psycopg

    from items.epcis.identifiers import canonical_identifier

    now = datetime.now(tz=UTC)
    started = time.perf_counter()
    with psycopg.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM epcis_events")
        first = cursor.fetchone()[0] + 1
        columns = (
            "id, owner_id, event_id, event_type, event_time, event_timezone_offset, "
            "record_time, action, biz_step, disposition, read_point, biz_location, context, event"
        )
        with cursor.copy(f"COPY epcis_events ({columns}) FROM STDIN") as copy:
            for n in range(count):
                event = document(1, run)["epcisBody"]["eventList"][0]
                event["epcList"] = [sgtin(n, run)]
                event_id = f"ni:///sha-256;{uuid.uuid4().hex}{uuid.uuid4().hex}?ver=CBV2.0"
                copy.write_row(
                    (
                        first + n,
                        user_id,
                        event_id,
                        "ObjectEvent",
                        now,
                        "+00:00",
                        now,
                        "OBSERVE",
                        "shipping",
                        "",
                        "https://id.gs1.org/414/9521141123452",
                        "",
                        json.dumps([]),
                        json.dumps(event | {"eventID": event_id}),
                    )
                )
        with cursor.copy("COPY epcis_event_epcs (event_id, epc, role) FROM STDIN") as copy:
            for n in range(count):
                copy.write_row((first + n, canonical_identifier(sgtin(n, run)), "epc"))
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('epcis_events', 'id'), "
            "(SELECT MAX(id) FROM epcis_events))"
        )
        connection.commit()
    return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    if args.worker:
        worker(args)
        return
    from bench.common import fresh_database, print_table, seed_users

    database = fresh_database("epcis", server_url=args.server)
    [user] = seed_users(database.url, 1)
    load_before = os.getloadavg()[0]
    capture = run_worker(args, database.url, user.user_id, "capture")
    copy_seconds = copy_events(database.url, user.user_id, args.events, "b")
    load_after = os.getloadavg()[0]
    small = run_worker(args, database.url, user.user_id, "query")
    grown = args.events * 2
    run = 0
    while grown < args.grow:
        batch = min(args.grow - grown, 100_000)
        copy_events(database.url, user.user_id, batch, f"g{run}")
        grown += batch
        run += 1
    large = run_worker(args, database.url, user.user_id, "query")
    capture_rate = args.events / capture["seconds"]
    copy_rate = args.events / copy_seconds
    print_table(
        f"EPCIS capture of {args.events:,} events beside COPY of the same rows "
        f"(1-minute load average {load_before:.1f} before, {load_after:.1f} after)",
        ["path", "seconds", "events/s", "vs COPY"],
        [
            ["POST /epcis/capture", f"{capture['seconds']:.2f}", f"{capture_rate:,.0f}",
             f"{capture_rate / copy_rate:.3f}x"],
            ["COPY epcis_events + epcis_event_epcs", f"{copy_seconds:.2f}",
             f"{copy_rate:,.0f}", "1x"],
        ],
    )  # fmt: skip
    print_table(
        "GET /epcis/events?MATCH_epc= (p50 of 50)",
        ["events stored", "p50 ms"],
        [
            [f"{args.events * 2:,}", f"{small['p50_ms']:.1f}"],
            [f"{grown:,}", f"{large['p50_ms']:.1f}"],
        ],
    )


if __name__ == "__main__":
    main()
