"""Circuit pushes with the local storage adapter, with and without a webhook.

Each push goes through the API in-process (JWT, view, circuit_push, the item_pushed receivers:
the local adapter writes the snapshot and a storage_history row) on a fresh PostgreSQL database
with the production task backend (django-tasks-db). With a webhook, the request only adds a
webhook_deliveries row and a queued task row; the worker (``db_worker``) sends the deliveries
afterwards, and its drain time is printed below the table. For contrast, one run sends the
webhook inside the request (the immediate backend), which is what the worker keeps out of the
request path. The three runs are interleaved push by push, so a busy machine slows them alike.

    python bench/push_storage.py [--pushes 1000] [--quick]
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, print_table


class Receiver:
    """A local webhook receiver answering 200 to every POST."""

    def __init__(self):
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def configure_django(database_url: str, data_dir: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DEBUG="true",
        DEFARM_DATA_DIR=data_dir,
        DEFARM_WEBHOOKS_ALLOW_LOOPBACK="true",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="defarm.settings",
    )
    os.environ.pop("DEFARM_TASKS_IMMEDIATE", None)
    import django

    django.setup()
    logging.getLogger("django.tasks").setLevel(logging.WARNING)


def timed_push(client, circuit, item) -> float:
    started = time.perf_counter()
    response = client.post(f"/api/circuits/{circuit.circuit_id}/push/{item.dfid}")
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"push answered {response.status_code}: {response.content[:300]}")
    return elapsed


def row(label: str, latencies: list[float], deliveries: int, queued: int) -> list:
    total = sum(latencies)
    ordered = sorted(latencies)
    return [
        label,
        len(latencies),
        f"{total:.2f}",
        f"{len(latencies) / total:.0f}",
        f"{statistics.median(ordered) * 1000:.1f}",
        f"{ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000:.1f}",
        deliveries,
        queued,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="50 pushes per run (CI)")
    args = parser.parse_args()
    pushes = 50 if args.quick else args.pushes

    database = fresh_database("push_storage")
    configure_django(database.url, tempfile.mkdtemp(prefix="defarm-bench-store-"))

    from django.core.management import call_command
    from django.test.utils import override_settings
    from django_tasks_db.models import DBTaskResult
    from rest_framework.test import APIClient

    from accounts.models import Tier
    from accounts.services.credits import credits_add
    from accounts.services.users import user_create
    from accounts.tokens import jwt_issue
    from adapters.models import StorageHistory
    from circuits.models import WebhookDelivery
    from circuits.services import circuit_create
    from circuits.services.webhooks import webhook_create
    from items.models import Item
    from items.services import items_create_bulk

    user = user_create(
        username="bench-pusher",
        email="pusher@bench.defarm.local",
        password="Bench-Password-2026",
        tier=Tier.ENTERPRISE,
    )
    credits_add(user=user, amount=10 * pushes + 1000, transaction_type="Grant", description="bench")
    token, _ = jwt_issue(user=user)
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    receiver = Receiver()

    def circuit_with(name: str, *, webhook: bool):
        circuit = circuit_create(owner=user, name=name, adapter_config={"adapter_type": "local"})
        if webhook:
            webhook_create(
                circuit=circuit,
                user=user,
                name="receiver",
                url=receiver.url,
                trigger_events=["item_pushed"],
            )
        return circuit

    def items(count: int, label: str):
        created = []
        for start in range(0, count, 1000):
            batch = [
                {
                    "identifiers": [{"key": "ear_tag", "value": f"{label}-{index}"}],
                    "enriched_data": {"weight_kg": 400 + index % 100, "run": label},
                }
                for index in range(start, min(count, start + 1000))
            ]
            created += [result.dfid for result in items_create_bulk(user=user, items=batch)]
        by_dfid = Item.objects.in_bulk(created)
        return [by_dfid[dfid] for dfid in created]

    def queued_tasks() -> int:
        return DBTaskResult.objects.filter(status="READY").count()

    print(f"Seeding {3 * pushes + 10} items ...", file=sys.stderr)
    warmup = items(10, "warmup")
    plain_items, hooked_items, inline_items = (
        items(pushes, "plain"),
        items(pushes, "hooked"),
        items(pushes, "inline"),
    )
    warm_circuit = circuit_with("warm-up", webhook=False)
    for item in warmup:
        timed_push(client, warm_circuit, item)

    plain = circuit_with("no webhook", webhook=False)
    hooked = circuit_with("webhook", webhook=True)
    inline = circuit_with("webhook inline", webhook=True)
    immediate = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    latencies: dict[str, list[float]] = {"plain": [], "hooked": [], "inline": []}
    print(f"Pushing {pushes} items through each circuit ...", file=sys.stderr)
    for plain_item, hooked_item, inline_item in zip(
        plain_items, hooked_items, inline_items, strict=True
    ):
        latencies["plain"].append(timed_push(client, plain, plain_item))
        latencies["hooked"].append(timed_push(client, hooked, hooked_item))
        with override_settings(TASKS=immediate):
            latencies["inline"].append(timed_push(client, inline, inline_item))
    queued = queued_tasks()

    started = time.perf_counter()
    call_command("db_worker", batch=True, startup_delay=False, interval=0.1, verbosity=0)
    drained = time.perf_counter() - started
    deliveries = WebhookDelivery.objects.filter(webhook__circuit=hooked)
    delivered = deliveries.filter(status="Delivered").count()
    inline_delivered = WebhookDelivery.objects.filter(
        webhook__circuit=inline, status="Delivered"
    ).count()
    rows = [
        row("local adapter, no webhook", latencies["plain"], 0, 0),
        row("local + webhook queued for the worker", latencies["hooked"], pushes, queued),
        row("local + webhook sent in the request", latencies["inline"], inline_delivered, 0),
    ]

    stored = StorageHistory.objects.filter(adapter_type="local").count()
    print_table(
        f"{pushes} circuit pushes per run, PostgreSQL, in-process API client",
        ["run", "pushes", "total s", "pushes/s", "p50 ms", "p99 ms", "deliveries", "queued tasks"],
        rows,
    )
    print(
        f"\nWorker drain (db_worker --batch): {delivered}/{deliveries.count()} deliveries sent "
        f"in {drained:.2f} s ({delivered / drained:.0f}/s); receiver got {receiver.count} "
        f"requests in all; {stored} storage_history rows written by the local adapter."
    )
    receiver.server.shutdown()


if __name__ == "__main__":
    main()
