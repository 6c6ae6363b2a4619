"""Item reads at two table sizes: does a read get slower as the items table grows?

The same reads as ``bench/reads.py`` (item detail, item list by identifier, as the owner with a
JWT) against two databases seeded with ``INSERT ... SELECT generate_series``: 10,000 and
1,000,000 items. Both gunicorns run side by side and take turns under load. Target: p50 at the
large size within 1.5x of the small one.

    python bench/scale.py [--sizes 10000,1000000] [--seconds 9] [--concurrency 4] [--quick]
"""

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Gunicorn,
    LoadResult,
    fresh_database,
    print_table,
    run_load,
    seed_items,
    seed_users,
)
from bench.reads import ENDPOINT_NAMES, IDENTIFIER_KEY, check_answers, merge, read_requests

TARGET = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--seconds", type=float, default=9.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 and 50,000 items, 3 s")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.seconds = "1000,50000", 3.0
    sizes = [int(size) for size in arguments.sizes.split(",")]

    setups = []
    for size in sizes:
        database = fresh_database(f"scale{size}")
        (owner,) = seed_users(database.url, 1)
        began = time.monotonic()
        seed_items(database.url, owner, size, identifier_key=IDENTIFIER_KEY)
        print(f"seeded {size:,} items in {time.monotonic() - began:.1f} s", file=sys.stderr)
        setups.append((size, database, owner))

    servers = {size: Gunicorn(database.url) for size, database, _owner in setups}
    results: dict[tuple[str, int], LoadResult] = {}
    try:
        for server in servers.values():
            server.start()
        for size, _database, owner in setups:
            check_answers(servers[size].port, owner, size)
        for endpoint in ENDPOINT_NAMES:
            slices: dict[int, list[LoadResult]] = {size: [] for size in sizes}
            requests = {
                size: read_requests(owner, size)[endpoint] for size, _database, owner in setups
            }
            for size in sizes:
                run_load(servers[size].port, requests[size], concurrency=4, seconds=1)
            for _ in range(arguments.rounds):
                for size in sizes:
                    slices[size].append(
                        run_load(
                            servers[size].port,
                            requests[size],
                            concurrency=arguments.concurrency,
                            seconds=arguments.seconds / arguments.rounds,
                            warmup_seconds=0,
                        )
                    )
            for size in sizes:
                results[(endpoint, size)] = merge(slices[size])
    finally:
        for server in servers.values():
            server.stop()

    rows = []
    smallest = sizes[0]
    for endpoint, name in ENDPOINT_NAMES.items():
        for size in sizes:
            result = results[(endpoint, size)]
            base = results[(endpoint, smallest)]
            rows.append(
                [
                    name,
                    f"{size:,}",
                    result.requests,
                    result.rps,
                    result.p50,
                    result.p99,
                    result.errors,
                    f"{result.p50 / base.p50:.2f}" if size != smallest else "",
                ]
            )
    print_table(
        f"Item reads by table size, gunicorn 2 workers, {arguments.concurrency} clients, "
        f"{arguments.seconds:g} s each (p50 ratio to {smallest:,} items, target <= {TARGET})",
        ["endpoint", "items", "requests", "req/s", "p50 ms", "p99 ms", "errors", "p50 ratio"],
        rows,
    )
    errors = sum(result.errors for result in results.values())
    statuses = sum((result.statuses for result in results.values()), Counter())
    if errors:
        raise SystemExit(f"{errors} requests failed: {dict(statuses)}")


if __name__ == "__main__":
    main()
