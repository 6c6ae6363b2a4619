"""Login and circuit-password limits are counted in PostgreSQL, so they hold across gunicorn
workers; client addresses come from X-Forwarded-For only when a trusted proxy sent it."""

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from circuits.services import circuit_set_public_settings
from tests.circuits.factories import CircuitFactory
from tests.serving import child_env, gunicorn

LOGIN_LIMIT = 5
ATTEMPTS = 30


def _database_url() -> str:
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    return f"postgresql://{user}@{host}:{port}/{settings['NAME']}"


def _status(url: str, *, body: dict | None = None, headers: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", "Connection": "close", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=240) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _fresh_window(seconds: int, needed: float = 25) -> None:
    left = seconds - time.time() % seconds
    if left < needed:
        time.sleep(left + 0.5)


@pytest.fixture
def two_workers(transactional_db, tmp_path):
    env = child_env(
        DATABASE_URL=_database_url(),
        DEBUG="false",
        SECRET_KEY="s" * 50,
        JWT_SECRET="j" * 50,
        ATTESTATION_SIGNING_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        DEFARM_AUTH_THROTTLE_RATE=f"{LOGIN_LIMIT}/min",
        DEFARM_NUM_PROXIES="0",
        DEFARM_DATA_DIR=str(tmp_path),
    )
    with gunicorn(env, workers=2) as server:
        server.wait_until_serving()
        yield server


def _concurrently(send, count: int) -> list[int]:
    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(lambda _: send(), range(count)))


@pytest.mark.postgresql
def test_the_login_limit_holds_across_two_gunicorn_workers(two_workers):
    _fresh_window(60)
    url = two_workers.base + "/api/auth/login"
    statuses = _concurrently(
        lambda: _status(url, body={"username": "ghost", "password": "Wrong-pass1!"}), ATTEMPTS
    )
    assert statuses.count(401) == LOGIN_LIMIT, statuses
    assert statuses.count(429) == ATTEMPTS - LOGIN_LIMIT, statuses
    output = two_workers.output
    assert output.count("Booting worker") == 2, output


@pytest.mark.postgresql
def test_the_circuit_password_limit_holds_across_two_gunicorn_workers(two_workers):
    from circuits.api.views.public import (
        PASSWORD_FAILURE_WINDOW_SECONDS,
        PASSWORD_FAILURES_ALLOWED,
    )

    circuit = CircuitFactory()
    circuit_set_public_settings(
        circuit=circuit,
        actor=circuit.owner,
        public_settings={"access_mode": "protected", "password": "open sesame"},
    )
    _fresh_window(PASSWORD_FAILURE_WINDOW_SECONDS, needed=40)
    url = f"{two_workers.base}/api/circuits/{circuit.circuit_id}/public"
    attempts = PASSWORD_FAILURES_ALLOWED + 8  # each wrong one costs a password hash
    statuses = _concurrently(
        lambda: _status(url, headers={"X-Circuit-Password": "guess"}), attempts
    )
    assert statuses.count(403) == PASSWORD_FAILURES_ALLOWED, statuses
    assert statuses.count(429) == attempts - PASSWORD_FAILURES_ALLOWED, statuses


@pytest.mark.django_db
def test_x_forwarded_for_from_an_untrusted_sender_is_ignored(api_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    from defarm.api.throttling import AuthRateThrottle

    original = AuthRateThrottle.THROTTLE_RATES
    AuthRateThrottle.THROTTLE_RATES = {"auth": "3/min"}
    try:
        _fresh_window(60, needed=5)
        body = {"username": "ghost", "password": "Wrong-pass1!"}
        statuses = [
            api_client.post(
                "/api/auth/login",
                body,
                REMOTE_ADDR="203.0.113.9",  # a client reaching DeFarm directly
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",  # forging a new address each time
            ).status_code
            for n in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]
        # Behind a trusted proxy, the proxy's entry names the client.
        behind_proxy = api_client.post(
            "/api/auth/login", body, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.77"
        )
        assert behind_proxy.status_code == 401
    finally:
        AuthRateThrottle.THROTTLE_RATES = original
