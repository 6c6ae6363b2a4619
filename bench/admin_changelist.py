"""Admin changelists on a big table: items and identifiers with a million rows.

Loads ``--items`` items (default 1,000,000), each with one identifier, into a fresh PostgreSQL
database migrated by this script (``INSERT ... SELECT generate_series``), then opens admin
pages through Django's test client logged in as staff and prints the median time and the
number of SQL queries of each (and the time spent in them), and whether the identifier search
used an index.

    python bench/admin_changelist.py [--items 1000000] [--runs 5] [--quick]

``--quick`` (CI): 20,000 items, 3 runs.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bench_dfid,
    fresh_database,
    identifier_value,
    print_table,
    seed_items,
    seed_users,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20,000 items, 3 runs (for CI)")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.items, arguments.runs = 20_000, 3

    print(f"Creating and migrating a fresh PostgreSQL database; loading {arguments.items:,} items")
    database = fresh_database("admin_changelist")
    staff = seed_users(database.url, 1, prefix="staff", tier="Admin", is_admin=True)[0]
    owner = seed_users(database.url, 1, prefix="farmer")[0]
    started = time.perf_counter()
    # Numbers 0 .. N-1: the DFID's sequence part has six digits up to 999,999.
    seed_items(database.url, owner, arguments.items, start=0, identifier_key="ear_tag")
    print(f"Loaded in {time.perf_counter() - started:.1f} s")

    os.environ.update(
        DATABASE_URL=database.url,
        DEBUG="true",
        ALLOWED_HOSTS="testserver,localhost",
        DJANGO_SETTINGS_MODULE="defarm.settings",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=staff.user_id))

    middle = arguments.items // 2
    wanted_dfid = bench_dfid(middle)
    wanted_value = identifier_value(middle)
    cases = [
        ("items: changelist, page 1", "/admin/items/item/", {}, None),
        ("items: page 50", "/admin/items/item/", {"p": "50"}, None),
        ("items: filter status=Active", "/admin/items/item/", {"status": "Active"}, None),
        ("items: search identifier value", "/admin/items/item/", {"q": wanted_value}, wanted_dfid),
        (
            "items: search key=value",
            "/admin/items/item/",
            {"q": f"ear_tag={wanted_value}"},
            wanted_dfid,
        ),
        ("items: search DFID", "/admin/items/item/", {"q": wanted_dfid}, wanted_dfid),
        ("identifiers: changelist", "/admin/items/itemidentifier/", {}, None),
        (
            "identifiers: search value",
            "/admin/items/itemidentifier/",
            {"q": wanted_value},
            wanted_value,
        ),
        ("item: change form", f"/admin/items/item/{wanted_dfid}/change/", {}, wanted_value),
    ]

    rows = []
    search_plan = ""
    for label, path, params, expected in cases:
        timings = []
        sql_timings = []
        queries = 0
        for run in range(arguments.runs + 1):  # the first run warms caches and is not counted
            with CaptureQueriesContext(connection) as captured:
                begin = time.perf_counter()
                response = client.get(path, params)
                elapsed = time.perf_counter() - begin
            if response.status_code != 200:
                raise SystemExit(f"{label}: HTTP {response.status_code}")
            if expected and expected not in response.content.decode():
                raise SystemExit(f"{label}: {expected} not found on the page")
            if run:
                timings.append(elapsed * 1000)
                sql_timings.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            queries = len(captured)
            if label == "items: search identifier value" and not search_plan:
                search_plan = _identifier_plan(connection, captured.captured_queries)
        rows.append(
            [
                label,
                statistics.median(timings),
                max(timings),
                statistics.median(sql_timings),
                queries,
            ]
        )

    print_table(
        f"Admin changelists with {arguments.items:,} items and identifiers "
        f"(median of {arguments.runs} runs, Django test client, PostgreSQL)",
        ["page", "median ms", "max ms", "of which SQL ms", "SQL queries"],
        rows,
    )
    print(f"\nIdentifier lookup plan: {search_plan}")


def _identifier_plan(connection, captured) -> str:
    """How PostgreSQL reads ``item_identifiers`` for the item search (index or scan)."""
    lookup = next((q["sql"] for q in captured if 'FROM "item_identifiers"' in q["sql"]), None)
    if lookup is None:
        return "no identifier query"
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + lookup)
        plan = [row[0] for row in cursor.fetchall()]
    scans = [line.strip() for line in plan if "Scan" in line]
    return "; ".join(scans) or plan[0]


if __name__ == "__main__":
    main()
