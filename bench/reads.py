"""Item reads under load: DeFarm beside the smallest app doing the same database work.

GET /api/items/{dfid} and GET /api/items?identifier_key=&identifier_value= as the items' owner
with a JWT, served by gunicorn (2 uvicorn workers serving ``defarm.asgi`` as deployed, or 2 sync
workers with ``--wsgi``; production settings) on PostgreSQL. The same run
serves ``bench/minimal_wsgi.py`` with the same gunicorn settings, replaying the SQL DeFarm ran
for those endpoints (captured once). The figure is DeFarm's requests/s over the minimal app's.

    python bench/reads.py [--items 10000] [--seconds 10] [--concurrency 4] [--quick]
"""

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    JWT_SECRET,
    Database,
    Gunicorn,
    LoadResult,
    Request,
    SeededUser,
    bench_dfid,
    capture_sql,
    fresh_database,
    http_json,
    identifier_value,
    print_table,
    run_load,
    seed_items,
    seed_users,
)

IDENTIFIER_KEY = "ear_tag"
SAMPLE = 2000


@dataclass
class ReadFigures:
    endpoint: str
    app: str
    queries: int
    result: LoadResult


def detail_path(number: int) -> str:
    return f"/api/items/{bench_dfid(number)}"


def list_path(number: int) -> str:
    return f"/api/items?identifier_key={IDENTIFIER_KEY}&identifier_value={identifier_value(number)}"


def read_requests(owner: SeededUser, item_count: int, *, seed: int = 7) -> dict[str, list[Request]]:
    """Requests spread over the whole table, the same ones for every app."""
    numbers = random.Random(seed).sample(range(1, item_count + 1), min(SAMPLE, item_count))
    headers = {**owner.auth_headers, "Accept": "application/json"}
    return {
        "detail": [Request("GET", detail_path(n), headers) for n in numbers],
        "list": [Request("GET", list_path(n), headers) for n in numbers],
    }


def check_answers(port: int, owner: SeededUser, number: int) -> None:
    """Both endpoints find the seeded item; a benchmark of 404s would measure nothing."""
    status, body = http_json(port, "GET", detail_path(number), headers=owner.auth_headers)
    if status != 200 or body.get("dfid") != bench_dfid(number):
        raise SystemExit(f"item detail answered {status}: {body}")
    status, body = http_json(port, "GET", list_path(number), headers=owner.auth_headers)
    if status != 200 or not isinstance(body, list) or len(body) != 1:
        raise SystemExit(f"item list by identifier answered {status}: {body}")


def replay_plan(database: Database, owner: SeededUser, number: int) -> dict:
    """The SQL DeFarm ran for both endpoints, with the request's values as variables."""
    detail, listing = capture_sql(database.url, owner, [detail_path(number), list_path(number)])
    variables = {
        bench_dfid(number): "dfid",
        identifier_value(number): "identifier_value",
        owner.user_id: "user_id",
    }

    def template(queries):
        return [
            [sql, [{"var": variables[p]} if p in variables else p for p in params or []]]
            for sql, params in queries
        ]

    return {
        "database_url": database.url,
        "jwt_secret": JWT_SECRET,
        "routes": {"detail": template(detail), "list": template(listing)},
    }


def merge(results: list[LoadResult]) -> LoadResult:
    statuses = Counter()
    for result in results:
        statuses += result.statuses
    return LoadResult(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        latencies_ms=[latency for r in results for latency in r.latencies_ms],
        statuses=statuses,
    )


def measure(
    database: Database,
    owner: SeededUser,
    item_count: int,
    *,
    seconds: float,
    concurrency: int,
    with_minimal: bool = True,
    rounds: int = 3,
    wsgi: bool = False,
) -> list[ReadFigures]:
    """Both apps run side by side and take turns under load, ``rounds`` slices each, so a
    change in the machine's load during the run weighs on both alike."""
    requests = read_requests(owner, item_count)
    plan = replay_plan(database, owner, item_count // 2 or 1)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as plan_file:
        json.dump(plan, plan_file)
    # DeFarm as deployed (defarm.asgi on uvicorn workers), or under gunicorn's sync workers.
    servers = {
        "DeFarm": Gunicorn(database.url)
        if wsgi
        else Gunicorn(
            database.url,
            app="defarm.asgi:application",
            worker_class="uvicorn_worker.UvicornWorker",
        )
    }
    if with_minimal:
        servers["minimal WSGI"] = Gunicorn(
            database.url,
            app="bench.minimal_wsgi:application",
            env={"BENCH_REPLAY_PLAN": plan_file.name},
        )
    try:
        for server in servers.values():
            server.start()
        check_answers(servers["DeFarm"].port, owner, item_count // 3 or 1)
        figures = []
        for endpoint, endpoint_requests in requests.items():
            slices: dict[str, list[LoadResult]] = {name: [] for name in servers}
            for server in servers.values():  # warm-up: connections, caches
                run_load(server.port, endpoint_requests, concurrency=concurrency, seconds=1)
            for _ in range(rounds):
                for name, server in servers.items():
                    slices[name].append(
                        run_load(
                            server.port,
                            endpoint_requests,
                            concurrency=concurrency,
                            seconds=seconds / rounds,
                            warmup_seconds=0,
                        )
                    )
            for name in servers:
                figures.append(
                    ReadFigures(endpoint, name, len(plan["routes"][endpoint]), merge(slices[name]))
                )
    finally:
        for server in servers.values():
            server.stop()
        Path(plan_file.name).unlink()
    return figures


ENDPOINT_NAMES = {
    "detail": "GET /api/items/{dfid}",
    "list": "GET /api/items?identifier_key=&identifier_value=",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="1,000 items, 3 s per run")
    parser.add_argument(
        "--wsgi", action="store_true", help="serve DeFarm with sync workers (defarm.wsgi)"
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.items, arguments.seconds = 1_000, 3.0

    database = fresh_database("reads")
    (owner,) = seed_users(database.url, 1)
    seed_items(database.url, owner, arguments.items, identifier_key=IDENTIFIER_KEY)
    figures = measure(
        database,
        owner,
        arguments.items,
        seconds=arguments.seconds,
        concurrency=arguments.concurrency,
        wsgi=arguments.wsgi,
    )

    rows = []
    by_key = {(f.endpoint, f.app): f for f in figures}
    for f in figures:
        rows.append(
            [
                ENDPOINT_NAMES[f.endpoint],
                f.app,
                f.queries,
                f.result.requests,
                f.result.rps,
                f.result.p50,
                f.result.p99,
                f.result.errors,
                "",
            ]
        )
        if f.app == "DeFarm":
            continue
        defarm = by_key[(f.endpoint, "DeFarm")]
        rows[-1][-1] = f"{defarm.result.rps / f.result.rps:.2f}" if f.result.rps else "n/a"
    print_table(
        f"Item reads, {arguments.items:,} items, gunicorn 2 workers, "
        f"{arguments.concurrency} clients, {arguments.seconds:g} s each "
        "(ratio = DeFarm req/s / minimal req/s; targets 0.40 detail, 0.33 list)",
        [
            "endpoint",
            "app",
            "SQL queries",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "ratio",
        ],
        rows,
    )
    failed = sum(f.result.errors for f in figures)
    if failed:
        raise SystemExit(f"{failed} requests failed")


if __name__ == "__main__":
    main()
