"""What every DeFarm benchmark shares: a fresh PostgreSQL database, migrated; users, API keys
and items seeded with plain SQL (fast enough for a million items); gunicorn started and stopped
with production settings; a small concurrent HTTP load generator reporting requests/s, p50 and
p99; and a table printer.

Scripts import it as ``from bench.common import ...`` after putting the repository root on
``sys.path`` (see the top of any bench script). Environment:

- ``BENCH_POSTGRES_URL``: the PostgreSQL server (default ``postgresql://postgres@127.0.0.1:5432``).
- ``BENCH_KEEP_DB=1``: keep the databases a run created (for looking at them afterwards).
"""

from __future__ import annotations

import atexit
import hashlib
import http.client
import json
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
SECRET_KEY = "bench-secret-key-" + "x" * 40
JWT_SECRET = "bench-jwt-secret-" + "y" * 40
PASSWORD = "Bench-Password-2026"
HOST = "127.0.0.1"

# --- PostgreSQL -------------------------------------------------------------------------------


def admin_url(base_url: str = PG_ADMIN_URL) -> str:
    return f"{base_url.rstrip('/')}/postgres"


@dataclass
class Database:
    name: str
    server_url: str = PG_ADMIN_URL

    @property
    def url(self) -> str:
        return f"{self.server_url.rstrip('/')}/{self.name}"

    def connect(self, **options) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, **options)

    def drop(self) -> None:
        try:
            with psycopg.connect(admin_url(self.server_url), autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except psycopg.Error as error:
            print(f"(could not drop {self.name}: {error})", file=sys.stderr)


def fresh_database(
    label: str,
    *,
    server_url: str = PG_ADMIN_URL,
    migrated: bool = True,
    drop_at_exit: bool = True,
) -> Database:
    """Create ``bench_<label>_<pid>_<random>``, migrate it, drop it when the process exits."""
    name = f"bench_{label}_{os.getpid()}_{secrets.token_hex(3)}".lower()
    with psycopg.connect(admin_url(server_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database = Database(name=name, server_url=server_url)
    if drop_at_exit and not os.environ.get("BENCH_KEEP_DB"):
        atexit.register(database.drop)
    if migrated:
        migrate(database.url)
    return database


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like DeFarm process on ``database_url``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DEFARM_", "DJANGO_", "DATABASE_URL", "DEBUG"))
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        JWT_SECRET=JWT_SECRET,
        ATTESTATION_SIGNING_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def manage(database_url: str, *args: str, **extra_env: str) -> str:
    """Run ``manage.py`` with ``DEBUG=true`` on ``database_url``; returns its output."""
    env = django_env(database_url, DEBUG="true", **extra_env)
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def migrate(database_url: str) -> None:
    manage(database_url, "migrate", "--noinput", "-v0")


def table_columns(connection: psycopg.Connection, table: str) -> set[str]:
    rows = connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table]
    ).fetchall()
    return {row[0] for row in rows}


# --- Seeding ----------------------------------------------------------------------------------


def password_hash(password: str = PASSWORD, iterations: int = 100_000) -> str:
    """A Django PBKDF2 hash (Django upgrades the iteration count at the first login)."""
    import base64

    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


@dataclass
class SeededUser:
    user_id: str
    username: str
    workspace_id: str
    is_admin: bool = False

    @property
    def jwt(self) -> str:
        return jwt_for(self)

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.jwt}"}


def jwt_for(user: SeededUser, *, secret: str = JWT_SECRET, hours: int = 24) -> str:
    now = datetime.now(tz=UTC)
    claims = {
        "user_id": user.user_id,
        "workspace_id": user.workspace_id,
        "exp": int((now + timedelta(hours=hours)).timestamp()),
        "iat": int(now.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def seed_users(
    database_url: str,
    count: int,
    *,
    prefix: str = "bench",
    tier: str = "Enterprise",
    is_admin: bool = False,
    credits: int = 10_000_000,
) -> list[SeededUser]:
    """``count`` active users with a credit balance; all share the password ``PASSWORD``."""
    hashed = password_hash()
    users = []
    now = int(time.time())
    with psycopg.connect(database_url, autocommit=False) as connection:
        with connection.cursor() as cursor:
            for index in range(count):
                username = f"{prefix}{index}_{secrets.token_hex(3)}"
                user = SeededUser(
                    user_id=f"user-{uuid.uuid4()}",
                    username=username,
                    workspace_id=f"{username}-workspace",
                    is_admin=is_admin,
                )
                cursor.execute(
                    "INSERT INTO user_accounts (user_id, username, email, password_hash, tier, "
                    "status, is_admin, workspace_id, created_at_ts) "
                    "VALUES (%s, %s, %s, %s, %s, 'Active', %s, %s, %s)",
                    [
                        user.user_id,
                        username,
                        f"{username}@bench.defarm.local",
                        hashed,
                        tier,
                        is_admin,
                        user.workspace_id,
                        now,
                    ],
                )
                cursor.execute(
                    "INSERT INTO credit_balances (user_id, credits, updated_at_ts) "
                    "VALUES (%s, %s, %s)",
                    [user.user_id, credits, now],
                )
                users.append(user)
        connection.commit()
    return users


API_KEY_ALPHABET = string.ascii_letters + string.digits


def seed_api_key(
    database_url: str,
    user: SeededUser,
    *,
    permissions: Sequence[str] = ("read", "write"),
    name: str = "bench key",
    rate_limit_per_minute: int | None = None,
) -> str:
    """An active API key of ``user``; returns the raw ``dfm_...`` key (only its hash is stored)."""
    raw = "dfm_" + "".join(secrets.choice(API_KEY_ALPHABET) for _ in range(32))
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO api_keys (key_id, user_id, name, key_hash, key_prefix, permissions, "
            "rate_limit_per_minute, is_active, created_at_ts) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, true, %s)",
            [
                uuid.uuid4(),
                user.user_id,
                name,
                hashlib.sha256(raw.encode()).hexdigest(),
                raw[:8],
                list(permissions),
                rate_limit_per_minute,
                int(time.time()),
            ],
        )
    return raw


DFID_FUNCTION = """
CREATE OR REPLACE FUNCTION bench_dfid(day text, number bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  digits text := CASE WHEN number < 100000 THEN lpad(number::text, 6, '0') ELSE number::text END;
  body text := day || digits;
  h bigint := 0;
  i int;
BEGIN
  FOR i IN 1..length(body) LOOP
    h := (h * 31 + ascii(substr(body, i, 1))) & 4294967295;
  END LOOP;
  RETURN 'DFID-' || day || '-' || digits || '-' || upper(to_hex(h % 65535));
END $$;
"""


def bench_dfid(number: int, day: str = "20260101") -> str:
    """The DFID ``seed_items`` gives item ``number`` (same checksum as ``items.dfid``)."""
    body = day + f"{number:06d}"
    value = 0
    for byte in body.encode("ascii"):
        value = (value * 31 + byte) & 0xFFFFFFFF
    return f"DFID-{day}-{number:06d}-{value % 65535:X}"


def identifier_value(number: int) -> str:
    return f"TAG-{number:09d}"


def seed_items(
    database_url: str,
    owner: SeededUser,
    count: int,
    *,
    start: int = 1,
    identifier_key: str = "ear_tag",
    namespace: str = "generic",
    chunk: int = 200_000,
) -> None:
    """Items ``start .. start+count-1`` owned by ``owner``: DFID ``bench_dfid(n)``, one canonical
    identifier ``identifier_key = identifier_value(n)``, a little enriched data. Written with
    ``INSERT ... SELECT generate_series`` in chunks, then ANALYZE."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(DFID_FUNCTION)
        item_columns = table_columns(connection, "items")
        identifier_columns = table_columns(connection, "item_identifiers")
        contributions = bool(table_columns(connection, "item_contributions"))
        extra_item = ", created_by" if "created_by" in item_columns else ""
        extra_item_value = ", %(owner)s" if extra_item else ""
        extra_identifier = ""
        extra_identifier_value = ""
        if "namespace" in identifier_columns:
            extra_identifier += ", namespace"
            extra_identifier_value += ", %(namespace)s"
        if "id_type" in identifier_columns:
            extra_identifier += ", id_type"
            extra_identifier_value += ", 'Canonical'"
        now = int(time.time())
        for low in range(start, start + count, chunk):
            high = min(low + chunk, start + count) - 1
            parameters = {
                "low": low,
                "high": high,
                "owner": owner.user_id,
                "namespace": namespace,
                "key": identifier_key,
                "now": now,
            }
            connection.execute(
                "INSERT INTO items (dfid, item_hash, status, enriched_data, created_at_ts, "
                f"last_updated_ts{extra_item}) "
                "SELECT bench_dfid('20260101', g), md5(g::text) || md5((g + 1)::text), "
                "'Active', jsonb_build_object('weight_kg', 300 + g %% 200, 'breed', 'Nelore'), "
                f"%(now)s - g, %(now)s - g{extra_item_value} "
                "FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS g",
                parameters,
            )
            connection.execute(
                f"INSERT INTO item_identifiers (dfid, key, value{extra_identifier}) "
                "SELECT bench_dfid('20260101', g), %(key)s, "
                f"'TAG-' || lpad(g::text, 9, '0'){extra_identifier_value} "
                "FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS g",
                parameters,
            )
            if contributions:  # each item's base layer: its creator's
                connection.execute(
                    "INSERT INTO item_contributions (dfid, contributor_id, is_base, verified, "
                    "created_at_ts, updated_at_ts) "
                    "SELECT bench_dfid('20260101', g), %(owner)s, true, false, "
                    "%(now)s - g, %(now)s - g "
                    "FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS g",
                    parameters,
                )
        connection.execute("ANALYZE items")
        connection.execute("ANALYZE item_identifiers")
        if contributions:
            connection.execute("ANALYZE item_contributions")


def capture_sql(database_url: str, user: SeededUser, paths: Sequence[str]) -> list[list[list]]:
    """The SQL (``[sql, params]`` lists) DeFarm runs to answer each GET path as ``user``."""
    result = subprocess.run(
        [PYTHON, "-m", "bench.capture_sql", f"Bearer {user.jwt}", *paths],
        cwd=ROOT,
        env=django_env(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"capturing SQL failed:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_for_http(port: int, path: str = "/healthz", *, timeout: float = 60.0) -> int:
    """Wait until ``path`` answers (any status); returns the status."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            return status
        except OSError as error:
            last_error = error
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port} within {timeout}s: {last_error}")


@dataclass
class Gunicorn:
    """A gunicorn serving ``app``; use as a context manager or call ``stop()``."""

    database_url: str
    app: str = "defarm.wsgi:application"
    # gunicorn.conf.py (read from the repository root) serves defarm.asgi with uvicorn workers;
    # the WSGI apps measured here need gunicorn's own sync workers.
    worker_class: str = "sync"
    workers: int = 2
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    health_path: str = "/healthz"
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    def start(self) -> Gunicorn:
        self.port = self.port or free_port()
        log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="defarm-gunicorn-", suffix=".log", delete=False
        )
        self.log_path = Path(log.name)
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            self.app,
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--chdir",
            str(ROOT),
            "--forwarded-allow-ips",
            "*",
            "--graceful-timeout",
            "5",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=django_env(self.database_url, **self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_http(self.port, self.health_path)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"gunicorn did not start:\n{self.log()}") from None
        return self

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def http_json(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """One request; returns (status, decoded JSON or raw text)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    all_headers = {"Accept": "application/json", **(headers or {})}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw) if raw else None
    except ValueError:
        return response.status, raw.decode(errors="replace")


# --- Load -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)


def _load_worker(arguments) -> tuple[list[float], Counter]:
    port, requests, start_at, stop_at, offset, max_requests = arguments
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies: list[float] = []
    statuses: Counter = Counter()
    index = offset
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at and (max_requests is None or len(latencies) < max_requests):
        request = requests[index % len(requests)]
        index += 1
        begin = time.perf_counter()
        try:
            connection.request(
                request.method, request.path, body=request.body, headers=request.headers
            )
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException):
            connection.close()
            status = 0
        latencies.append((time.perf_counter() - begin) * 1000)
        statuses[status] += 1
    connection.close()
    return latencies, statuses


def run_load(
    port: int,
    requests: Sequence[Request],
    *,
    concurrency: int = 4,
    seconds: float = 10.0,
    warmup_seconds: float = 1.0,
    max_requests_per_client: int | None = None,
) -> LoadResult:
    """``concurrency`` client processes, each one HTTP/1.1 connection (kept alive when the
    server allows it), cycling through ``requests`` for ``seconds`` after a warm-up."""
    requests = list(requests)
    if warmup_seconds:
        _run_load_window(port, requests, concurrency, warmup_seconds, None)
    return _run_load_window(port, requests, concurrency, seconds, max_requests_per_client)


def _run_load_window(port, requests, concurrency, seconds, max_requests) -> LoadResult:
    start_at = time.time() + 0.3
    stop_at = start_at + seconds
    step = max(1, len(requests) // concurrency)
    context = multiprocessing.get_context("fork")
    with context.Pool(concurrency) as pool:
        results = pool.map(
            _load_worker,
            [
                (port, requests, start_at, stop_at, index * step, max_requests)
                for index in range(concurrency)
            ],
        )
    latencies: list[float] = []
    statuses: Counter = Counter()
    for worker_latencies, worker_statuses in results:
        latencies += worker_latencies
        statuses += worker_statuses
    elapsed = min(seconds, max(time.time() - start_at, 1e-9))
    return LoadResult(len(latencies), elapsed, latencies, statuses)


# --- Output -----------------------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    stamp = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\n{title} ({stamp})\n")
    print(format_table(headers, rows))
    sys.stdout.flush()
