"""Circuit writes side by side in one run: batch push, single push by circuit size, push-events
beside COPY.

    .venv/bin/python bench/circuit_writes.py            # full run
    .venv/bin/python bench/circuit_writes.py --quick    # small run for CI

One fresh PostgreSQL database (migrated, production settings: ``DEBUG=false``), one Enterprise
user with a JWT; requests go through the API in-process (Django's test client: routing,
authentication, view, services, after-commit receivers), so the figures are the server's time
without HTTP. Items, circuit items and published items are seeded with ``INSERT ... SELECT
generate_series``; every circuit publishes what is pushed into it (``auto_publish_pushed_items``).

1. **Batch push**: ``POST /api/circuits/{id}/push/batch`` of 1,000 items into a new circuit,
   three times. Target: under 2 s each.
2. **Single push by circuit size**: ``POST /api/circuits/{id}/push/{dfid}`` into a circuit
   holding (and publishing) 100 items and one holding 100,000, taking turns push by push.
   Target: p50 at 100,000 within 1.2x of the p50 at 100.
3. **push-events beside COPY**: ``POST /api/circuits/{id}/push-events`` of the user's local
   events (seeded), 1,000 per request, then as many again 5,000 per request, linked to items of
   the circuit; then a psycopg ``COPY`` of the first set's event rows (as they are after the
   push) into a scratch copy of ``events`` (same columns and indexes). Target: the API's
   events/s at least 0.2x COPY's.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import django_env, fresh_database, print_table, seed_items, seed_users

BATCH_TARGET_SECONDS = 2.0
SIZE_TARGET = 1.2
EVENTS_TARGET = 0.2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000, help="items per batch push")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--small", type=int, default=100, help="items in the small circuit")
    parser.add_argument("--large", type=int, default=100_000, help="items in the large circuit")
    parser.add_argument("--pushes", type=int, default=300, help="single pushes per circuit")
    parser.add_argument("--events", type=int, default=20_000, help="local events to push")
    parser.add_argument("--quick", action="store_true", help="a small run for CI")
    args = parser.parse_args()
    if args.quick:
        args.batch, args.batches, args.large = 200, 1, 5_000
        args.pushes, args.events = 40, 2_000
    return args


def setup_django(database_url: str) -> None:
    os.environ.update(django_env(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "defarm.settings"
    import django

    django.setup()


class Numbers:
    """Hands out item numbers of ``seed_items`` so every part of the run has its own items."""

    def __init__(self) -> None:
        self.next = 1

    def take(self, database_url: str, owner, count: int) -> list[str]:
        from bench.common import bench_dfid

        start, self.next = self.next, self.next + count
        seed_items(database_url, owner, count, start=start)
        return [bench_dfid(number) for number in range(start, start + count)]


def circuit_holding(owner, name: str, dfids: list[str]):
    """A circuit publishing what is pushed into it, already holding and publishing ``dfids``
    (rows written with SQL, as a long-lived circuit would have them)."""
    from django.db import connection

    from circuits.services import circuit_create, circuit_set_public_settings

    circuit = circuit_create(owner=owner, name=name)
    circuit_set_public_settings(
        circuit=circuit,
        actor=owner,
        public_settings={"access_mode": "public", "auto_publish_pushed_items": True},
    )
    if dfids:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO circuit_items (id, circuit_id, dfid, added_by, added_at_ts) "
                "SELECT gen_random_uuid(), %s, dfid, %s, 1700000000 FROM unnest(%s::text[]) "
                "AS dfid",
                [circuit.pk, owner.pk, dfids],
            )
            cursor.execute(
                "INSERT INTO circuit_published_items (circuit_id, dfid, published_by, "
                "published_at_ts) SELECT %s, dfid, %s, 1700000000 FROM unnest(%s::text[]) AS dfid",
                [circuit.pk, owner.pk, dfids],
            )
            cursor.execute("ANALYZE circuit_items")
            cursor.execute("ANALYZE circuit_published_items")
    return circuit


def post(client, path: str, body=None) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post(path, body, format="json") if body is not None else client.post(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.content[:300]}")
    return elapsed, response.json()


def bench_batch_push(client, owner, numbers, database_url, args) -> list[list]:
    warmup = numbers.take(database_url, SimpleNamespace(user_id=owner.pk), 20)
    post(
        client,
        f"/api/circuits/{circuit_holding(owner, 'warm-up', []).pk}/push/batch",
        {"items": [{"dfid": dfid} for dfid in warmup]},
    )
    rows = []
    for run in range(args.batches):
        dfids = numbers.take(database_url, SimpleNamespace(user_id=owner.pk), args.batch)
        circuit = circuit_holding(owner, f"batch {run}", [])
        seconds, body = post(
            client,
            f"/api/circuits/{circuit.pk}/push/batch",
            {"items": [{"dfid": dfid} for dfid in dfids]},
        )
        if body["success_count"] != args.batch:
            raise RuntimeError(f"batch push: {body['failed_count']} failed: {body['results'][:3]}")
        rows.append(
            [
                f"POST /push/batch, run {run + 1}",
                args.batch,
                f"{seconds:.2f}",
                f"{args.batch / seconds:,.0f}",
                "yes" if seconds < BATCH_TARGET_SECONDS else "NO",
            ]
        )
    return rows


def bench_single_push_by_size(client, owner, numbers, database_url, args) -> tuple[list, float]:
    seeded = SimpleNamespace(user_id=owner.pk)
    small = circuit_holding(owner, "small", numbers.take(database_url, seeded, args.small))
    large = circuit_holding(owner, "large", numbers.take(database_url, seeded, args.large))
    warmup = numbers.take(database_url, seeded, 20)
    pushes = {
        "small": numbers.take(database_url, seeded, args.pushes),
        "large": numbers.take(database_url, seeded, args.pushes),
    }
    for index, dfid in enumerate(warmup):
        post(client, f"/api/circuits/{(small if index % 2 else large).pk}/push/{dfid}")
    latencies: dict[str, list[float]] = {"small": [], "large": []}
    for small_dfid, large_dfid in zip(pushes["small"], pushes["large"], strict=True):
        latencies["small"].append(post(client, f"/api/circuits/{small.pk}/push/{small_dfid}")[0])
        latencies["large"].append(post(client, f"/api/circuits/{large.pk}/push/{large_dfid}")[0])
    p50 = {name: statistics.median(values) for name, values in latencies.items()}
    rows = []
    for name, held in (("small", args.small), ("large", args.large)):
        ordered = sorted(latencies[name])
        rows.append(
            [
                f"POST /push/{{dfid}}, circuit of {held:,} items",
                len(ordered),
                f"{p50[name] * 1000:.1f}",
                f"{ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000:.1f}",
                f"{p50[name] / p50['small']:.2f}" if name == "large" else "",
            ]
        )
    return rows, p50["large"] / p50["small"]


def seed_local_events(user_id: str, count: int) -> list[str]:
    """``count`` local events of ``user_id`` (no item yet), as POST /api/events/local writes
    them, with COPY."""
    from django.db import connection

    from items.services.events import event_content_hash

    ids = []
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY events (event_id, event_type, timestamp, metadata, visibility, created_by, "
            "content_hash) FROM STDIN"
        ) as copy,
    ):
        for number in range(count):
            event_id = uuid.uuid4()
            metadata = {"weight_kg": 300 + number % 200, "reading": number}
            copy.write_row(
                (
                    event_id,
                    "Updated",
                    1_700_000_000 + number,
                    json_text({**metadata, "source": user_id}),
                    "Private",
                    user_id,
                    event_content_hash(
                        dfid=None, event_type="Updated", source=user_id, metadata=metadata
                    ),
                )
            )
            ids.append(str(event_id))
    return ids


def json_text(value) -> str:
    import json

    return json.dumps(value)


def push_events_through_api(client, circuit, targets, ids, per_request) -> float:
    started = time.perf_counter()
    pushed = 0
    for index, start in enumerate(range(0, len(ids), per_request)):
        _, body = post(
            client,
            f"/api/circuits/{circuit.pk}/push-events",
            {
                "dfid": targets[index % len(targets)],
                "local_event_ids": ids[start : start + per_request],
            },
        )
        pushed += body["events_pushed"]
    seconds = time.perf_counter() - started
    if pushed != len(ids):
        raise RuntimeError(f"push-events linked {pushed} of {len(ids)} events")
    return seconds


def bench_push_events(client, owner, numbers, database_url, args) -> tuple[list, float]:
    import psycopg
    from django.db import connection

    seeded = SimpleNamespace(user_id=owner.pk)
    targets = numbers.take(database_url, seeded, max(1, args.events // 1000))
    circuit = circuit_holding(owner, "events", targets)
    ids = seed_local_events(owner.pk, 2 * args.events)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events")
    first, second = ids[: args.events], ids[args.events :]
    api_seconds = {
        1000: push_events_through_api(client, circuit, targets, first, 1000),
        5000: push_events_through_api(client, circuit, targets, second, 5000),
    }

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_id, dfid, event_type, timestamp, metadata::text, visibility, "
            "created_by, content_hash FROM events WHERE event_id = ANY(%s::uuid[])",
            [first],
        )
        rows = cursor.fetchall()
    connection.close()
    with psycopg.connect(database_url) as copy_connection:
        copy_connection.execute("DROP TABLE IF EXISTS scratch_events")
        copy_connection.execute("CREATE TABLE scratch_events (LIKE events INCLUDING ALL)")
        copy_connection.commit()
        started = time.perf_counter()
        with (
            copy_connection.cursor() as cursor,
            cursor.copy(
                "COPY scratch_events (event_id, dfid, event_type, timestamp, metadata, "
                "visibility, created_by, content_hash) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        copy_connection.commit()
        copy_seconds = time.perf_counter() - started
        copy_connection.execute("DROP TABLE scratch_events")
        copy_connection.commit()
    copy_rate = len(rows) / copy_seconds
    table = []
    for per_request, seconds in api_seconds.items():
        rate = args.events / seconds
        table.append(
            [
                f"POST /push-events, {per_request:,}/request",
                args.events,
                f"{seconds:.2f}",
                f"{rate:,.0f}",
                f"{rate / copy_rate:.2f}",
            ]
        )
    table.append(
        [
            "psycopg COPY of the same event rows",
            len(rows),
            f"{copy_seconds:.2f}",
            f"{copy_rate:,.0f}",
            "",
        ]
    )
    return table, args.events / api_seconds[1000] / copy_rate


def main() -> None:
    args = parse_args()
    database = fresh_database("circuit_writes")
    (seeded_owner,) = seed_users(database.url, 1)
    setup_django(database.url)
    from rest_framework.test import APIClient

    from accounts.models import User

    owner = User.objects.get(pk=seeded_owner.user_id)
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {seeded_owner.jwt}")
    numbers = Numbers()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.getloadavg()[0]

    print("batch pushes ...", file=sys.stderr)
    batch_rows = bench_batch_push(client, owner, numbers, database.url, args)
    print("single pushes by circuit size ...", file=sys.stderr)
    size_rows, size_ratio = bench_single_push_by_size(client, owner, numbers, database.url, args)
    print("push-events and COPY ...", file=sys.stderr)
    event_rows, event_ratio = bench_push_events(client, owner, numbers, database.url, args)

    print(f"Circuit writes, PostgreSQL, in-process API client ({started}, load {load:.1f})")
    print_table(
        f"Batch push of {args.batch:,} items into a new circuit "
        f"(target < {BATCH_TARGET_SECONDS} s)",
        ["request", "items", "seconds", "items/s", "met"],
        batch_rows,
    )
    print_table(
        f"Single push by circuit size, taking turns (target p50 ratio <= {SIZE_TARGET})",
        ["request", "pushes", "p50 ms", "p99 ms", "p50 ratio"],
        size_rows,
    )
    print_table(
        f"push-events beside COPY (target ratio >= {EVENTS_TARGET})",
        ["path", "events", "seconds", "events/s", "ratio to COPY"],
        event_rows,
    )
    print(
        f"\nsingle push p50 ratio {size_ratio:.2f} (target <= {SIZE_TARGET}); "
        f"push-events / COPY {event_ratio:.2f} (target >= {EVENTS_TARGET}); "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
