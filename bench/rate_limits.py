"""Per-key rate limits across processes: are they exact?

A fresh PostgreSQL database (created, migrated, dropped at exit), one user and one API key with
a small per-minute limit, DeFarm under gunicorn with 2 workers (production settings). Several
client processes fire requests with that key at the same moment, all inside one minute window.
Exactly ``limit`` requests must be answered 200 and every other one 429, and every request must
be logged in ``api_key_usage``. Exits non-zero when that is not so.

    python bench/rate_limits.py [--quick] [--limit 100] [--clients 8] [--per-client 40]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Gunicorn,
    Request,
    fresh_database,
    print_table,
    run_load,
    seed_api_key,
    seed_users,
)


def wait_for_fresh_minute(needed_seconds: float) -> None:
    """Sleep until at least ``needed_seconds`` remain in the current UTC minute window."""
    into_minute = time.time() % 60
    if 60 - into_minute < needed_seconds:
        time.sleep(60 - into_minute + 0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 per minute, 4 x 15 requests")
    parser.add_argument("--limit", type=int, default=100, help="requests per minute of the key")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes")
    parser.add_argument("--per-client", type=int, default=40, help="requests per client")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.limit, arguments.clients, arguments.per_client = 20, 4, 15
    total = arguments.clients * arguments.per_client
    if total <= arguments.limit:
        parser.error("send more requests than the limit, or nothing is being tested")

    database = fresh_database("rate_limits")
    (user,) = seed_users(database.url, 1, tier="Enterprise")
    raw_key = seed_api_key(
        database.url, user, permissions=("read",), rate_limit_per_minute=arguments.limit
    )
    requests = [Request("GET", "/users/me/credits/balance", headers={"X-API-Key": raw_key})]

    return run(database, requests, arguments, total)


def run(database, requests, arguments, total) -> int:
    with Gunicorn(database.url, workers=2) as server:
        wait_for_fresh_minute(needed_seconds=30)
        result = run_load(
            server.port,
            requests,
            concurrency=arguments.clients,
            seconds=25,
            warmup_seconds=0,
            max_requests_per_client=arguments.per_client,
        )
    allowed = result.statuses.get(200, 0)
    refused = result.statuses.get(429, 0)
    with database.connect() as connection:
        logged = connection.execute("SELECT count(*) FROM api_key_usage").fetchone()[0]
    exact = (
        result.requests == total
        and allowed == arguments.limit
        and allowed + refused == total
        and logged == total
    )
    print_table(
        "API key rate limit across 2 gunicorn workers and "
        f"{arguments.clients} client processes (one minute window)",
        ["requests", "allowed", "refused (429)", "limit", "logged", "exact"],
        [[result.requests, allowed, refused, arguments.limit, logged, "yes" if exact else "no"]],
    )
    if not exact:
        print(f"statuses: {dict(result.statuses)}", file=sys.stderr)
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
