"""How a DeFarm process starts: secrets, the database switch and the in-memory fallback."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/defarm"

SERVE_ONE_REQUEST = """
from defarm.wsgi import application
from django.test import Client
response = Client(HTTP_HOST="localhost").get("/healthz")
print(response.status_code, response.json()["database"])
"""


def _env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DATABASE_URL", "DEFARM_TESTING", "DEFARM_DB_FALLBACK", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "defarm.settings", **overrides})
    return env


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unreachable_database_refuses_to_start():
    result = _python(SERVE_ONE_REQUEST, DATABASE_URL=UNREACHABLE)
    assert result.returncode == 3
    assert "cannot start" in result.stderr
    assert "DEFARM_DB_FALLBACK=memory" in result.stderr


def test_unreachable_database_with_memory_fallback_serves_loudly():
    result = _python(SERVE_ONE_REQUEST, DATABASE_URL=UNREACHABLE, DEFARM_DB_FALLBACK="memory")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "200 sqlite-memory"
    assert "IN-MEMORY" in result.stderr


def test_production_refuses_to_start_without_secrets():
    result = _python(SERVE_ONE_REQUEST, DEBUG="false")
    assert result.returncode == 2
    assert "cannot start" in result.stderr
    assert "SECRET_KEY" in result.stderr and "JWT_SECRET" in result.stderr


def test_production_management_commands_run_without_secrets():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=_env(DEBUG="false"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_tokens_are_never_signed_without_a_secret(settings, user):
    from django.core.exceptions import ImproperlyConfigured

    from accounts.tokens import jwt_issue

    settings.JWT_SECRET = ""
    with pytest.raises(ImproperlyConfigured):
        jwt_issue(user=user)


def test_unknown_fallback_value_is_refused():
    result = _python("import django; django.setup()", DEFARM_DB_FALLBACK="sqlite")
    assert result.returncode != 0
    assert "DEFARM_DB_FALLBACK" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def test_runserver_on_memory_database_serves_admin_login():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=_env(DEFARM_ADMIN_USERNAME="boss", DEFARM_ADMIN_PASSWORD="Boss-pass-1!"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/healthz", time.monotonic() + 60)
        with urllib.request.urlopen(f"{base}/healthz") as response:
            assert b'"sqlite-memory"' in response.read()

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = opener.open(f"{base}/admin/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": "boss",
                "password": "Boss-pass-1!",
                "next": "/admin/",
            }
        ).encode()
        index = opener.open(
            urllib.request.Request(
                f"{base}/admin/login/?next=/admin/", data=form, headers={"Referer": base}
            )
        )
        page = index.read().decode()
        assert index.geturl().endswith("/admin/")
        assert "Log out" in page or "logout" in page
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert "IN-MEMORY" in output
