"""PostgreSQL stopped and restarted under load.

A throw-away PostgreSQL instance (initdb in a temporary folder, its own port; the machine's
PostgreSQL is never touched) serves DeFarm under gunicorn (2 workers). Client threads write
(POST /api/items, each with a new canonical identifier) and read (GET /users/me/profile) while
PostgreSQL is stopped for a while and started again; gunicorn is never restarted. Checked:

- while the database is down, every answer is a JSON 503 ``database_unavailable`` (no 500, no
  HTML, no hang);
- after it is back, requests succeed again by themselves (time to the first success);
- every write answered 201 is in the database afterwards (no acknowledged write lost).

    python bench/resilience.py [--before 5] [--down 6] [--after 8] [--clients 4] [--quick]
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench.common import HOST, Gunicorn, free_port, fresh_database, print_table, seed_users


def postgresql_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if versions:
        return versions[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SystemExit("initdb not found (install the PostgreSQL server package)")


class ThrowAwayPostgres:
    """A PostgreSQL cluster in a temporary folder on a free port, run as the postgres OS user
    when this process is root (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.bin = postgresql_bin()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="defarm-resilience-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgresql.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, user="postgres", group="postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}"

    def run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, text=True, cwd=self.folder
        )

    def init(self) -> "ThrowAwayPostgres":
        self.run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N"
        )
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses={HOST} -c fsync=on "
            "-c max_connections=50"
        )
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Outcome:
    phase: str
    kind: str
    status: int
    json_error: str | None
    at: float


@dataclass
class Recorder:
    phase: str = "before"
    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(port: int, token: str, worker: int, recorder: Recorder, stop: threading.Event):
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    sequence = 0
    while not stop.is_set():
        sequence += 1
        write = sequence % 2 == 0
        if write:
            value = f"RES-{worker}-{sequence}"
            body = json.dumps(
                {
                    "identifiers": [
                        {"namespace": "generic", "key": "resilience_serial", "value": value}
                    ],
                    "enriched_data": {"worker": worker, "sequence": sequence},
                }
            )
            method, path = "POST", "/api/items"
        else:
            body, method, path = None, "GET", "/users/me/profile"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            status = response.status
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException):
            connection.close()
            status, raw = 0, b""
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        error = payload.get("error") if isinstance(payload, dict) else None
        phase = recorder.phase  # when the answer came
        with recorder.lock:
            recorder.outcomes.append(
                Outcome(phase, "write" if write else "read", status, error, time.monotonic())
            )
            if write and status == 200 and isinstance(payload, dict) and "dfid" in payload:
                recorder.acknowledged.append(payload["dfid"])
        if status != 200 and status != 201:
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=float, default=5.0, help="seconds of load before")
    parser.add_argument("--down", type=float, default=6.0, help="seconds PostgreSQL is down")
    parser.add_argument("--after", type=float, default=8.0, help="seconds of load after")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="3 s / 4 s / 5 s")
    parser.add_argument(
        "--wsgi", action="store_true", help="serve DeFarm with sync workers (defarm.wsgi)"
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.before, arguments.down, arguments.after = 3.0, 4.0, 5.0

    postgres = ThrowAwayPostgres().init()
    gunicorn = None
    try:
        postgres.start()
        database = fresh_database("resilience", server_url=postgres.url, drop_at_exit=False)
        (user,) = seed_users(database.url, 1)
        served = (
            {}  # gunicorn's sync workers serving defarm.wsgi
            if arguments.wsgi
            else {"app": "defarm.asgi:application", "worker_class": "uvicorn_worker.UvicornWorker"}
        )  # by default DeFarm as deployed: defarm.asgi on uvicorn workers
        gunicorn = Gunicorn(database.url, env={"DB_CONNECT_TIMEOUT": "2"}, **served).start()

        recorder = Recorder()
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=client_loop, args=(gunicorn.port, user.jwt, worker, recorder, stop)
            )
            for worker in range(arguments.clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(arguments.before)
        recorder.phase = "down"
        postgres.stop()
        stopped_at = time.monotonic()  # pg_ctl returns once the server has shut down
        time.sleep(arguments.down)
        # Answers from here on count as "after": the clients may get through the moment
        # PostgreSQL accepts connections, before pg_ctl has even returned.
        recorder.phase = "after"
        postgres.start()
        restarted_at = time.monotonic()
        time.sleep(arguments.after)
        stop.set()
        for thread in threads:
            thread.join()

        with database.connect() as connection:
            found = {
                row[0]
                for row in connection.execute(
                    "SELECT dfid FROM items WHERE dfid = ANY(%s)", [recorder.acknowledged]
                )
            }
        gunicorn_alive = gunicorn.process is not None and gunicorn.process.poll() is None
    finally:
        if gunicorn:
            gunicorn.stop()
        postgres.remove()

    rows = []
    problems = []
    for phase in ("before", "down", "after"):
        outcomes = [o for o in recorder.outcomes if o.phase == phase]
        statuses = Counter(o.status for o in outcomes)
        ok = sum(1 for o in outcomes if o.status in (200, 201))
        json_503 = sum(
            1 for o in outcomes if o.status == 503 and o.json_error == "database_unavailable"
        )
        other = len(outcomes) - ok - json_503
        rows.append(
            [
                phase,
                len(outcomes),
                ok,
                json_503,
                other,
                ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())),
            ]
        )
        if other:
            problems.append(f"{other} answers while {phase} were neither success nor JSON 503")
        if phase == "down" and not json_503:
            problems.append("no JSON 503 while the database was down")
    first_success_after = min(
        (o.at for o in recorder.outcomes if o.phase == "after" and o.status in (200, 201)),
        default=None,
    )
    recovery = max(0.0, first_success_after - restarted_at) if first_success_after else None
    last_success_down = max(
        (o.at - stopped_at for o in recorder.outcomes if o.phase == "down" and o.status < 300),
        default=0.0,
    )
    if last_success_down > 0.5:
        problems.append("successes long after the database stopped")
    if recovery is None:
        problems.append("no request succeeded after PostgreSQL came back")
    lost = sorted(set(recorder.acknowledged) - found)
    if lost:
        problems.append(f"{len(lost)} acknowledged writes lost: {lost[:5]}")
    if not gunicorn_alive:
        problems.append("gunicorn died")

    print_table(
        f"PostgreSQL stopped under load ({arguments.clients} clients, half writes; down "
        f"{arguments.down:g} s, gunicorn 2 workers never restarted)",
        ["phase", "requests", "2xx", "JSON 503", "other", "statuses"],
        rows,
    )
    print()
    print(
        format_summary(
            acknowledged=len(recorder.acknowledged),
            lost=len(lost),
            recovery=recovery,
        )
    )
    if problems:
        raise SystemExit("resilience failed: " + "; ".join(problems))


def format_summary(*, acknowledged: int, lost: int, recovery: float | None) -> str:
    recovered = f"{recovery:.2f} s" if recovery is not None else "never"
    return (
        f"| acknowledged writes (201) | lost | first success after restart |\n"
        f"|---|---|---|\n| {acknowledged:,} | {lost} | {recovered} |"
    )


if __name__ == "__main__":
    main()
