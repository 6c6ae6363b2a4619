"""How a DeFarm process starts: secrets, the database switch (PostgreSQL, the SQLite file, the
in-memory database), the staff account, the README's run command, gunicorn."""

import http.client
import http.cookiejar
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.serving import PYTHON, Server, child_env, free_port, gunicorn

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/defarm"

SERVE_ONE_REQUEST = """
from defarm.wsgi import application
from django.test import Client
response = Client(HTTP_HOST="localhost").get("/healthz")
print(response.status_code, response.json()["database"])
"""


def _env(**overrides: str) -> dict[str, str]:
    defaults = {
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "defarm.settings",
        "DEFARM_DATA_DIR": tempfile.mkdtemp(prefix="defarm-startup-"),
    }
    return child_env(**{**defaults, **overrides})


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
    assert "ATTESTATION_SIGNING_KEY" in result.stderr


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


def _admin_login(base: str, username: str, password: str) -> str:
    """Log in through the admin's form; returns the page it lands on."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{base}/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": password,
            "next": "/admin/",
        }
    ).encode()
    answer = opener.open(
        urllib.request.Request(
            f"{base}/admin/login/?next=/admin/", data=form, headers={"Referer": base}
        )
    )
    page = answer.read().decode()
    assert answer.geturl().endswith("/admin/"), page[:2000]
    assert "Log out" in page or "logout" in page
    return page


def _get_json(url: str, **headers: str) -> tuple[int, dict]:
    """GET without following redirects; the body parsed when it is JSON."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    is_json = response.getheader("Content-Type", "").startswith("application/json")
    return response.status, json.loads(body) if is_json else {}


def readme_run_command() -> list[str]:
    """The README's first command, from its last ``&&`` part (the venv steps are the user's):
    ``DEBUG=true .venv/bin/python manage.py runserver`` as argv and environment."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"^Run the server.*?\n\n    (.+?)\n", readme, re.S | re.M)
    assert block, "README: 'Run the server' is followed by an indented command"
    assert readme.lstrip("# DeFarm\n").startswith("Run the server")
    command = block.group(1).split(" && ")
    assert command[1] == ".venv/bin/pip install -e .", "running needs only the runtime packages"
    return shlex.split(command[-1])


def _start_readme_server(data_dir: Path) -> Server:
    words = readme_run_command()
    assignments = dict(word.split("=", 1) for word in words if "=" in word.split("/")[0])
    argv = [word for word in words if word.split("=", 1)[0] not in assignments]
    assert argv[:3] == [".venv/bin/python", "manage.py", "runserver"], argv
    port = free_port()
    env = child_env(DEFARM_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **assignments)
    return Server([PYTHON, *argv[1:], f"127.0.0.1:{port}"], env, port)


PRINTED_PASSWORD = re.compile(r"DeFarm admin login: username '([^']+)', password '([^']+)'")


def test_readme_run_command_keeps_its_data_and_first_password_across_restarts(tmp_path):
    with _start_readme_server(tmp_path) as first:
        first.wait_until_serving()
        assert _get_json(first.base + "/healthz")[1]["database"] == "sqlite"
    first_output = first.output
    printed = PRINTED_PASSWORD.findall(first_output)
    assert len(printed) == 1, first_output
    username, password = printed[0]
    assert (tmp_path / "defarm.sqlite3").exists()

    with _start_readme_server(tmp_path) as second:
        second.wait_until_serving()
        page = _admin_login(second.base, username, password)
        assert "Site administration" in page or "DeFarm" in page
    second_output = second.output
    assert not PRINTED_PASSWORD.search(second_output), second_output
    for output in (first_output, second_output):
        assert "unapplied migration" not in output, output
        assert "Traceback" not in output, output


def test_memory_database_is_one_switch_away_and_says_nothing_persists(tmp_path):
    port = free_port()
    env = _env(
        DEFARM_DB_MEMORY="true",
        DEFARM_DATA_DIR=str(tmp_path),
        DEFARM_ADMIN_USERNAME="boss",
        DEFARM_ADMIN_PASSWORD="Boss-pass-1!",
    )
    with Server(
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], env, port
    ) as server:
        server.wait_until_serving()
        assert _get_json(server.base + "/healthz")[1]["database"] == "sqlite-memory"
        _admin_login(server.base, "boss", "Boss-pass-1!")
    assert "NOTHING PERSISTS" in server.output
    assert "DeFarm admin login: username 'boss' (DEFARM_ADMIN_PASSWORD)" in server.output
    assert "unapplied migration" not in server.output
    assert not (tmp_path / "defarm.sqlite3").exists()


def test_gunicorn_without_secrets_exits_at_once_with_the_message(tmp_path):
    env = child_env(DEBUG="false", DEFARM_DATA_DIR=str(tmp_path))
    started = time.monotonic()
    server = gunicorn(env, workers=2)
    try:
        returncode = server.process.wait(timeout=10)
    finally:
        output = server.stop()
    assert returncode != 0
    assert time.monotonic() - started < 10
    assert "cannot start" in output and "SECRET_KEY" in output and "JWT_SECRET" in output
    assert "ATTESTATION_SIGNING_KEY" in output
    assert "Booting worker" not in output


def test_gunicorn_under_production_settings_answers_railway_health_checker(tmp_path):
    env = child_env(
        DEBUG="false",
        SECRET_KEY="s" * 50,
        JWT_SECRET="j" * 50,
        ATTESTATION_SIGNING_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        DEFARM_DATA_DIR=str(tmp_path),
        RAILWAY_ENVIRONMENT_NAME="production",
        RAILWAY_PUBLIC_DOMAIN="defarm-production.up.railway.app",
    )
    with gunicorn(env) as server:
        server.wait_until_serving()
        for path in ("/health", "/healthz"):
            status, body = _get_json(server.base + path, Host="healthcheck.railway.app")
            assert status == 200, (path, body)
        status, _ = _get_json(
            server.base + "/", Host="defarm-production.up.railway.app", Accept="application/json"
        )
        assert status in {200, 301}
    assert "Traceback" not in server.output


def test_railway_hosts_are_allowed_by_default():
    code = "from django.conf import settings; print(','.join(settings.ALLOWED_HOSTS))"
    result = _python(
        f"import django; django.setup(); {code}",
        DEBUG="false",
        RAILWAY_ENVIRONMENT_NAME="production",
        RAILWAY_PUBLIC_DOMAIN="defarm-production.up.railway.app",
    )
    assert result.returncode == 0, result.stderr
    hosts = result.stdout.strip().split(",")
    assert "healthcheck.railway.app" in hosts
    assert "defarm-production.up.railway.app" in hosts
    off_railway = _python(f"import django; django.setup(); {code}", DEBUG="false")
    assert "healthcheck.railway.app" not in off_railway.stdout


def test_refused_host_is_one_log_line_not_a_traceback(tmp_path):
    env = child_env(
        DEBUG="false",
        SECRET_KEY="s" * 50,
        JWT_SECRET="j" * 50,
        ATTESTATION_SIGNING_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        DEFARM_DATA_DIR=str(tmp_path),
        ALLOWED_HOSTS="defarm.example.com",
    )
    with gunicorn(env) as server:
        server.wait_until_serving()
        status, _ = _get_json(server.base + "/api/", Host="other.example")
        assert status == 400
        time.sleep(0.5)
    assert "Invalid HTTP_HOST header" in server.output
    assert "Traceback" not in server.output
