"""Start DeFarm as a user would (runserver, gunicorn) in a child process, for the tests that
check what a fresh machine sees. Each server gets its own data directory and port."""

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
_INHERITED_DROPPED = {
    "DATABASE_URL",
    "DEFARM_TESTING",
    "DEFARM_DB_FALLBACK",
    "DEFARM_DB_MEMORY",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "JWT_SECRET",
    "ATTESTATION_SIGNING_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
}


def child_env(**overrides: str) -> dict[str, str]:
    """The environment of a fresh shell: none of the test run's DeFarm settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _INHERITED_DROPPED and not key.startswith(("DEFARM_", "RAILWAY_", "PYTEST_"))
    }
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process; its output is collected as it comes (``output``)."""

    def __init__(self, command: list[str], env: dict[str, str], port: int):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self._lines: list[str] = []
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def wait_until_serving(self, path: str = "/healthz", timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited ({self.process.returncode}):\n{self.output}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=2):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"{self.base}{path} did not answer:\n{self.output}")

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reader.join(timeout=5)
        return self.output

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def railway_start_command() -> list[str]:
    """railway.json's start command, as argv."""
    config = json.loads((ROOT / "railway.json").read_text())
    return shlex.split(config["deploy"]["startCommand"])


def gunicorn(env: dict[str, str], *, workers: int = 1) -> Server:
    """gunicorn started with railway.json's command (and its config file), on a free local
    port instead of ``$PORT``."""
    port = free_port()
    command = railway_start_command()
    assert command[0] == "gunicorn", command
    command = [
        PYTHON,
        "-m",
        *command,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "5",
    ]
    return Server(command, env, port)
