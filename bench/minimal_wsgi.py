"""The smallest WSGI app that does the database work of DeFarm's item reads: it checks the JWT,
replays the SQL Django ran for the same endpoint (captured once by ``bench.capture_sql``) through
one psycopg connection per process, and answers the rows as JSON. ``bench/reads.py`` serves it
with the same gunicorn settings as DeFarm; DeFarm's requests/s over this app's is the figure of
how much the framework layers cost.

Configuration: ``BENCH_REPLAY_PLAN`` names a JSON file
``{"database_url", "jwt_secret", "routes": [{"name", "path", "list": bool, "queries"}]}`` where
``queries`` is a list of ``[sql, params]`` and a parameter ``{"var": name}`` is replaced per
request by ``user_id``, ``dfid`` or ``identifier_value``.
"""

import json
import os
from urllib.parse import parse_qs

import jwt
import psycopg

from bench.common import bench_dfid

with open(os.environ["BENCH_REPLAY_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)
ROUTES = PLAN["routes"]
_connection: psycopg.Connection | None = None


def database() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(
            PLAN["database_url"], autocommit=True, cursor_factory=psycopg.ClientCursor
        )
    return _connection


def answer(start_response, status: str, body) -> list[bytes]:
    payload = json.dumps(body, default=str).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def request_values(environ) -> dict | None:
    path = environ["PATH_INFO"].rstrip("/")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/api/items" and "identifier_value" in query:
        value = query["identifier_value"][0]
        number = int(value.removeprefix("TAG-"))
        return {"route": "list", "identifier_value": value, "dfid": bench_dfid(number)}
    if path.startswith("/api/items/"):
        return {"route": "detail", "dfid": path.removeprefix("/api/items/")}
    return None


def application(environ, start_response):
    if environ["PATH_INFO"].startswith("/healthz"):
        return answer(start_response, "200 OK", {"status": "ok"})
    header = environ.get("HTTP_AUTHORIZATION", "")
    try:
        claims = jwt.decode(header.removeprefix("Bearer "), PLAN["jwt_secret"], ["HS256"])
    except jwt.InvalidTokenError:
        return answer(start_response, "401 Unauthorized", {"error": "not_authenticated"})
    values = request_values(environ)
    if values is None:
        return answer(start_response, "404 Not Found", {"error": "not_found"})
    values["user_id"] = claims["user_id"]
    rows: list = []
    with database().cursor() as cursor:
        for sql, parameters in ROUTES[values["route"]]:
            bound = [
                values[parameter["var"]] if isinstance(parameter, dict) else parameter
                for parameter in parameters or []
            ]
            cursor.execute(sql, bound or None)
            if cursor.description:
                rows.append(cursor.fetchall())
    return answer(start_response, "200 OK", rows)
