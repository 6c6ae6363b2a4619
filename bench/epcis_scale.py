"""EPCIS queries at two sizes of the event table: do they get slower as events pile up?

Two databases, seeded with ``INSERT ... SELECT generate_series`` (10,000 and 1,000,000 events by
default), each served by its own gunicorn (2 sync workers, production settings, as
``bench/common.py`` runs DeFarm); the caller authenticates with a JWT. The gunicorns take
turns under load, like ``bench/scale.py``. Target: p50 at the large size within 1.5x of the
small one.

What is seeded, the same shape at every size: five parties; one EPC (an SGTIN Digital Link of
one of five products) per ten events, each EPC's life ten consecutive events one minute apart
(commissioning, packing into a pallet SSCC as an AggregationEvent with the EPC as child, then
shipping, receiving, storing, ...), two consecutive steps of each life captured by each party
in turn, so the caller captured a fifth of all events (two of every EPC's ten). Every EPC is
a DeFarm item (its EPC rows name the item, as the capture links them). The caller is a member
of a second party's workspace that shares its members' work, and of a circuit with a third
party that holds the items of one EPC in five. Each event has its ``epcis_event_epcs`` rows
(``epc``, or ``parent`` and ``child`` for the packing), as the capture writes them.

The reads, as the caller:

- ``GET /epcis/events?MATCH_epc={sgtin}``
- ``GET /epcis/epcs/{sgtin}/events``
- ``GET /epcis/events?MATCH_anyEPC={pallet sscc}`` (the packing events of the pallet's EPCs)
- ``GET /epcis/events?GE_eventTime=..&LT_eventTime=..&perPage=50``: a 1,000-minute window
  (1,000 events stored in it, whatever the table size), every page of it, the later ones
  through the ``nextPageToken`` of the ``Link`` header (the page URLs are walked once first,
  then replayed under load).

    python bench/epcis_scale.py [--sizes 10000,1000000] [--seconds 9] [--quick]
"""

import argparse
import atexit
import http.client
import json
import os
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    HOST,
    Database,
    Gunicorn,
    LoadResult,
    Request,
    SeededUser,
    admin_url,
    fresh_database,
    print_table,
    run_load,
    seed_items,
    seed_users,
)
from bench.reads import merge
from items.epcis.identifiers import check_digit

TARGET = 1.5
PARTIES = 5
EVENTS_PER_EPC = 10
EPCS_PER_PALLET = 20
WINDOW_MINUTES = 1000
PER_PAGE = 50
BASE_TIME = "2024-01-01T00:00:00Z"
COMPANY_PREFIX = "9521141"
PRODUCTS = [f"0{COMPANY_PREFIX}{item:05d}" for item in range(1, 6)]
GTINS = [product + check_digit(product) for product in PRODUCTS]
STEPS = [
    ("commissioning", "active", "ADD"),
    ("packing", "in_progress", "ADD"),
    ("shipping", "in_transit", "OBSERVE"),
    ("receiving", "in_progress", "OBSERVE"),
    ("storing", "in_progress", "OBSERVE"),
    ("shipping", "in_transit", "OBSERVE"),
    ("receiving", "in_progress", "OBSERVE"),
    ("inspecting", "in_progress", "OBSERVE"),
    ("shipping", "in_transit", "OBSERVE"),
    ("retail_selling", "retail_sold", "OBSERVE"),
]
PACKING_STEP = 1

ENDPOINT_NAMES = {
    "match_epc": "GET /epcis/events?MATCH_epc=",
    "epc_events": "GET /epcis/epcs/{epc}/events",
    "match_any_epc": "GET /epcis/events?MATCH_anyEPC= (pallet)",
    "time_window": f"GET /epcis/events?GE_/LT_eventTime (perPage={PER_PAGE}, every page)",
}


def epc_of(number: int) -> str:
    """EPC ``number``: a serial of one of the five products, as its canonical Digital Link."""
    return f"https://id.gs1.org/01/{GTINS[number % len(GTINS)]}/21/{number}"


def pallet_of(number: int) -> str:
    body = f"0{COMPANY_PREFIX}{number:09d}"
    return f"https://id.gs1.org/00/{body}{check_digit(body)}"


def read_point_of(party: int) -> str:
    body = f"{COMPANY_PREFIX}{party + 1:05d}"
    return f"https://id.gs1.org/414/{body}{check_digit(body)}"


GS1_CHECK_FUNCTION = """
CREATE OR REPLACE FUNCTION bench_gs1_check(body text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT ((10 - sum(substr(reverse(body), i, 1)::int
                    * CASE WHEN i % 2 = 1 THEN 3 ELSE 1 END) % 10) % 10)::text
  FROM generate_series(1, length(body)) AS i
$$;
"""

# One row per event number g: its EPC, step, party and time.
EVENT_ROWS = """
SELECT g, g / 10 AS e, g %% 10 AS step,
       ((g %% 10) / 2 + g / 10) %% 5 AS party,
       %(base)s::timestamptz + g * interval '1 minute' AS moment
FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS g
"""
EPC_SQL = "'https://id.gs1.org/01/' || (%(gtins)s::text[])[e %% 5 + 1] || '/21/' || e"
PALLET_SQL = (
    "'https://id.gs1.org/00/' || '0' || %(prefix)s || lpad((e / 20)::text, 9, '0') "
    "|| bench_gs1_check('0' || %(prefix)s || lpad((e / 20)::text, 9, '0'))"
)


def seed_events(database_url: str, parties: list[SeededUser], count: int) -> None:
    """``count`` events (ids 1..count) and their EPC rows, in chunks, then VACUUM ANALYZE."""
    import psycopg

    steps = [step for step, _disposition, _action in STEPS]
    dispositions = [disposition for _step, disposition, _action in STEPS]
    actions = [action for _step, _disposition, action in STEPS]
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(GS1_CHECK_FUNCTION)
        for low in range(0, count, 200_000):
            parameters = {
                "low": low,
                "high": min(low + 200_000, count) - 1,
                "base": BASE_TIME,
                "gtins": GTINS,
                "prefix": COMPANY_PREFIX,
                "owners": [party.user_id for party in parties],
                "read_points": [read_point_of(n) for n in range(PARTIES)],
                "steps": steps,
                "dispositions": dispositions,
                "actions": actions,
            }
            connection.execute(
                "INSERT INTO epcis_events (id, owner_id, event_id, event_type, event_time, "
                "event_timezone_offset, record_time, action, biz_step, disposition, read_point, "
                "biz_location, context, event) "
                "SELECT g + 1, owner, event_id, kind, moment, '+00:00', "
                "moment + interval '5 minutes', action, biz_step, disposition, read_point, '', "
                "'[]'::jsonb, "
                "jsonb_build_object('type', kind, 'eventID', event_id, "
                "'eventTime', to_char(moment AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'eventTimeZoneOffset', '+00:00', "
                "'action', action, 'bizStep', biz_step, 'disposition', disposition, "
                "'readPoint', jsonb_build_object('id', read_point)) "
                "|| CASE WHEN step = 1 THEN jsonb_build_object('parentID', pallet, "
                "'childEPCs', jsonb_build_array(epc)) "
                "ELSE jsonb_build_object('epcList', jsonb_build_array(epc)) END "
                "FROM (SELECT g, step, moment, "
                "(%(owners)s::text[])[party + 1] AS owner, "
                "'ni:///sha-256;' || md5(g::text) || md5((g + 7)::text) || '?ver=CBV2.0' "
                "AS event_id, "
                "CASE WHEN step = 1 THEN 'AggregationEvent' ELSE 'ObjectEvent' END AS kind, "
                "(%(actions)s::text[])[step + 1] AS action, "
                "(%(steps)s::text[])[step + 1] AS biz_step, "
                "(%(dispositions)s::text[])[step + 1] AS disposition, "
                "(%(read_points)s::text[])[party + 1] AS read_point, "
                f"{EPC_SQL} AS epc, {PALLET_SQL} AS pallet "
                f"FROM ({EVENT_ROWS}) AS numbered) AS rows",
                parameters,
            )
            connection.execute(
                "INSERT INTO epcis_event_epcs (event_id, epc, role, dfid) "
                f"SELECT g + 1, {EPC_SQL}, CASE WHEN step = 1 THEN 'child' ELSE 'epc' END, "
                "bench_dfid('20260101', e + 1) "
                f"FROM ({EVENT_ROWS}) AS numbered",
                parameters,
            )
            connection.execute(
                "INSERT INTO epcis_event_epcs (event_id, epc, role) "
                f"SELECT g + 1, {PALLET_SQL}, 'parent' "
                f"FROM ({EVENT_ROWS}) AS numbered WHERE step = 1",
                parameters,
            )
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('epcis_events', 'id'), "
            "(SELECT MAX(id) FROM epcis_events))"
        )
        connection.execute("VACUUM ANALYZE epcis_events")
        connection.execute("VACUUM ANALYZE epcis_event_epcs")


def seed_circuit(database_url: str, members: list[SeededUser], epcs: int) -> None:
    """A circuit whose members are ``members`` holding the items of one EPC in five (EPC
    numbers 2, 7, 12, ...): the events its members captured about those items are shared
    with each other through it."""
    import psycopg

    now = int(time.time())
    with psycopg.connect(database_url, autocommit=True) as connection:
        circuit_id = connection.execute(
            "INSERT INTO circuits (circuit_id, name, description, status, permissions, "
            "created_at_ts, last_modified_ts, owner_id) "
            "VALUES (gen_random_uuid(), 'Bench circuit', '', 'Active', '{}', %s, %s, %s) "
            "RETURNING circuit_id",
            [now, now, members[0].user_id],
        ).fetchone()[0]
        for index, member in enumerate(members):
            connection.execute(
                "INSERT INTO circuit_members (circuit_id, member_id, role, permissions, "
                "joined_at_ts) VALUES (%s, %s, %s, %s, %s)",
                [circuit_id, member.user_id, "Owner" if index == 0 else "Member", [], now],
            )
        connection.execute(
            "INSERT INTO circuit_items (circuit_id, dfid, added_by, added_at_ts) "
            "SELECT %s, bench_dfid('20260101', e + 1), %s, %s "
            "FROM generate_series(2, %s - 1, 5) AS e",
            [circuit_id, members[0].user_id, now, epcs],
        )
        connection.execute("ANALYZE circuit_items")
        connection.execute("ANALYZE circuit_members")


def seed_workspace(database_url: str, owner: SeededUser, member: SeededUser) -> None:
    """``owner``'s own workspace, sharing its members' work (``default_visibility``
    ``Workspace``), with ``member`` in it: ``member`` sees what ``owner`` captured."""
    import psycopg

    now = int(time.time())
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO workspaces (workspace_id, name, description, owner_id, settings, "
            "created_at_ts, updated_at_ts) VALUES (%s, %s, '', %s, %s, %s, %s)",
            [
                owner.workspace_id,
                "Bench workspace",
                owner.user_id,
                json.dumps({"default_visibility": "Workspace"}),
                now,
                now,
            ],
        )
        for user, role in ((owner, "Owner"), (member, "Member")):
            connection.execute(
                "INSERT INTO workspace_members (workspace_id, user_id, role, joined_at_ts) "
                "VALUES (%s, %s, %s, %s)",
                [owner.workspace_id, user.user_id, role, now],
            )


def copy_of(template: Database, label: str) -> Database:
    """A new database made from ``template`` (migrated once for every size), dropped at exit."""
    import psycopg

    name = f"bench_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin_url(template.server_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.name}"')
    database = Database(name=name, server_url=template.server_url)
    if not os.environ.get("BENCH_KEEP_DB"):
        atexit.register(database.drop)
    return database


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Accept": "application/json", **headers})
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), json.loads(body or b"{}")
    finally:
        connection.close()


def event_list(body: dict) -> list[dict]:
    return body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def iso(minutes: int) -> str:
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(BASE_TIME.replace("Z", "+00:00"))
    return (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_pages(port: int, caller: SeededUser, size: int, windows: int) -> list[list[str]]:
    """For each of ``windows`` windows spread over the table: the path of every page."""
    headers = caller.auth_headers
    walked = []
    for index in range(windows):
        start = (size - WINDOW_MINUTES) * (index + 1) // (windows + 1)
        path = "/epcis/events?" + urlencode(
            {
                "GE_eventTime": iso(start),
                "LT_eventTime": iso(start + WINDOW_MINUTES),
                "perPage": PER_PAGE,
            }
        )
        pages = []
        while path:
            status, response_headers, body = get(port, path, headers)
            assert status == 200, (status, body)
            assert event_list(body), path
            pages.append(path)
            link = response_headers.get("Link")
            path = None
            if link:
                url = urlsplit(link.split("<", 1)[1].split(">", 1)[0])
                path = f"{url.path}?{url.query}"
        walked.append(pages)
    return walked


def read_requests(caller: SeededUser, size: int, pages: list[list[str]]) -> dict[str, list]:
    headers = {"Accept": "application/json", **caller.auth_headers}
    epcs = size // EVENTS_PER_EPC
    numbers = [(epcs - 1) * n // 199 for n in range(200)]
    pallets = sorted({number // EPCS_PER_PALLET for number in numbers})
    return {
        "match_epc": [
            Request("GET", "/epcis/events?" + urlencode({"MATCH_epc": epc_of(n)}), headers)
            for n in numbers
        ],
        "epc_events": [
            Request("GET", f"/epcis/epcs/{quote(epc_of(n), safe='')}/events", headers)
            for n in numbers
        ],
        "match_any_epc": [
            Request("GET", "/epcis/events?" + urlencode({"MATCH_anyEPC": pallet_of(n)}), headers)
            for n in pallets
        ],
        "time_window": [Request("GET", path, headers) for walk in pages for path in walk],
    }


def answer_sizes(port: int, requests: dict[str, list]) -> dict[str, float]:
    """Events per answer (mean over the first requests of each kind); every answer non-empty."""
    sizes = {}
    for endpoint, listed in requests.items():
        counts = []
        for request in listed[:10]:
            status, _headers, body = get(port, request.path, request.headers)
            assert status == 200, (request.path, status, body)
            counts.append(len(event_list(body)))
            assert counts[-1] > 0, request.path
        sizes[endpoint] = sum(counts) / len(counts)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--seconds", type=float, default=9.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2,000 and 50,000 events, 1 s")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.seconds, arguments.windows = "2000,50000", 1.0, 2
        arguments.rounds = 1
    sizes = [int(size) for size in arguments.sizes.split(",")]

    setups = []
    migrated = fresh_database("epcisscale")
    for size in sizes:
        database = copy_of(migrated, f"epcisscale{size}")
        parties = seed_users(database.url, PARTIES)
        seed_workspace(database.url, parties[1], parties[0])
        began = time.monotonic()
        epcs = size // EVENTS_PER_EPC
        seed_items(database.url, parties[0], epcs, identifier_key="sgtin", namespace="gs1")
        seed_circuit(database.url, [parties[0], parties[2]], epcs)
        seed_events(database.url, parties, size)
        print(f"seeded {size:,} events in {time.monotonic() - began:.1f} s", file=sys.stderr)
        setups.append((size, database, parties[0]))

    servers = {size: Gunicorn(database.url) for size, database, _caller in setups}
    results: dict[tuple[str, int], LoadResult] = {}
    answers: dict[int, dict[str, float]] = {}
    try:
        for server in servers.values():
            server.start()
        requests = {}
        for size, _database, caller in setups:
            pages = window_pages(servers[size].port, caller, size, arguments.windows)
            requests[size] = read_requests(caller, size, pages)
            answers[size] = answer_sizes(servers[size].port, requests[size])
        for endpoint in ENDPOINT_NAMES:
            slices: dict[int, list[LoadResult]] = {size: [] for size in sizes}
            for size in sizes:
                run_load(
                    servers[size].port,
                    requests[size][endpoint],
                    concurrency=arguments.concurrency,
                    seconds=min(1.0, arguments.seconds),
                    warmup_seconds=0,
                )
            for _ in range(arguments.rounds):
                for size in sizes:
                    slices[size].append(
                        run_load(
                            servers[size].port,
                            requests[size][endpoint],
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
                    f"{answers[size][endpoint]:.1f}",
                    result.requests,
                    result.rps,
                    result.p50,
                    result.p99,
                    result.errors,
                    f"{result.p50 / base.p50:.2f}" if size != smallest else "",
                ]
            )
    print_table(
        f"EPCIS reads by event table size, gunicorn 2 workers, {arguments.concurrency} clients, "
        f"{arguments.seconds:g} s each (p50 ratio to {smallest:,} events, target <= {TARGET})",
        [
            "endpoint",
            "events stored",
            "events/answer",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "p50 ratio",
        ],
        rows,
    )
    errors = sum(result.errors for result in results.values())
    statuses = sum((result.statuses for result in results.values()), Counter())
    if errors:
        raise SystemExit(f"{errors} requests failed: {dict(statuses)}")


if __name__ == "__main__":
    main()
