"""Where an item read's time goes: one process, no load, PostgreSQL.

``bench/reads.py`` gives the ratio of DeFarm's requests/s to a minimal WSGI app's under load.
This script explains it: it calls DeFarm's WSGI handler and the minimal app in-process, with
the same requests, and times the parts every DeFarm API request pays (the connection health
check, the JWT check, the user row through the ORM beside the same SELECT through psycopg)
and the captured SQL alone. Microseconds per call, the median of ``--rounds`` rounds.

    python bench/read_costs.py [--items 10000] [--calls 2000] [--rounds 5] [--quick]
"""

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bench_dfid,
    django_env,
    fresh_database,
    identifier_value,
    print_table,
    seed_items,
    seed_users,
)
from bench.reads import IDENTIFIER_KEY, detail_path, replay_plan


def microseconds(call: Callable[[int], object], calls: int, rounds: int) -> float:
    """The median over ``rounds`` of the mean time of ``calls`` calls, after a warm-up."""
    for number in range(min(calls, 200)):
        call(number)
    means = []
    for _ in range(rounds):
        started = time.perf_counter()
        for number in range(calls):
            call(number)
        means.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(means)


def wsgi_caller(application, authorization: str, item_count: int, endpoint: str):
    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise SystemExit(f"{endpoint} answered {status}")

    def call(number: int) -> None:
        item = number % item_count + 1
        if endpoint == "detail":
            path, query = detail_path(item), ""
        else:
            path = "/api/items"
            query = f"identifier_key={IDENTIFIER_KEY}&identifier_value={identifier_value(item)}"
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "application/json",
            "HTTP_AUTHORIZATION": authorization,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        b"".join(application(environ, start_response))

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1,000 items, 300 calls, 3 rounds")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.items, arguments.calls, arguments.rounds = 1_000, 300, 3

    database = fresh_database("read_costs")
    (owner,) = seed_users(database.url, 1)
    seed_items(database.url, owner, arguments.items, identifier_key=IDENTIFIER_KEY)
    plan = replay_plan(database, owner, arguments.items // 2 or 1)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as plan_file:
        json.dump(plan, plan_file)
    os.environ.update(
        django_env(database.url, BENCH_REPLAY_PLAN=plan_file.name),
        DJANGO_SETTINGS_MODULE="defarm.settings",
    )

    from django.core.wsgi import get_wsgi_application

    defarm = get_wsgi_application()  # sets Django up

    from django.db import connection

    from accounts.models import User
    from accounts.tokens import jwt_decode
    from bench import minimal_wsgi

    authorization = f"Bearer {owner.jwt}"
    count, rounds = arguments.calls, arguments.rounds

    def replay(route: str) -> Callable[[int], None]:
        def call(number: int) -> None:
            item = number % arguments.items + 1
            values = {
                "dfid": bench_dfid(item),
                "identifier_value": identifier_value(item),
                "user_id": owner.user_id,
            }
            with connection.cursor() as cursor:
                for sql, parameters in plan["routes"][route]:
                    bound = [values[p["var"]] if isinstance(p, dict) else p for p in parameters]
                    cursor.execute(sql, bound or None)
                    cursor.fetchall()

        return call

    user_sql, user_parameters = User.objects.filter(pk=owner.user_id).query.sql_with_params()

    def user_by_psycopg(number: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(user_sql, user_parameters)
            cursor.fetchall()

    def health_check(number: int) -> None:
        if not connection.is_usable():
            raise SystemExit("the database connection is not usable")

    rows = []
    for endpoint, name in (("detail", "item detail"), ("list", "item list by identifier")):
        minimal = microseconds(
            wsgi_caller(minimal_wsgi.application, authorization, arguments.items, endpoint),
            count,
            rounds,
        )
        full = microseconds(
            wsgi_caller(defarm, authorization, arguments.items, endpoint), count, rounds
        )
        sql_only = microseconds(replay(endpoint), count, rounds)
        queries = len(plan["routes"][endpoint])
        rows += [
            [f"{name}: minimal WSGI app (whole request)", minimal],
            [f"{name}: DeFarm (whole request)", full],
            [f"{name}: its {queries} SQL queries alone, through Django's cursor", sql_only],
        ]
    rows += [
        [
            "connection health check (SELECT 1, every request)",
            microseconds(health_check, count, rounds),
        ],
        ["JWT check (PyJWT decode)", microseconds(lambda n: jwt_decode(owner.jwt), count, rounds)],
        [
            "user row: ORM get() by primary key",
            microseconds(lambda n: User.objects.get(pk=owner.user_id), count, rounds),
        ],
        [
            "user row: the same SELECT through the cursor",
            microseconds(user_by_psycopg, count, rounds),
        ],
    ]
    Path(plan_file.name).unlink()
    print_table(
        f"Where item reads spend their time: one process, no load, PostgreSQL, "
        f"{arguments.items:,} items (microseconds per call, median of {rounds} rounds "
        f"of {count:,} calls)",
        ["measurement", "us per call"],
        rows,
    )


if __name__ == "__main__":
    main()
