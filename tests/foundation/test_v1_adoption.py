"""A database created from the V1 SQL is adopted with ``migrate --fake-initial`` and then
read and written through the ORM."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.foundation.v1_ddl import v1_create_statements

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgresql

ORM_ROUND_TRIP = """
import django
django.setup()
from accounts.models import User
from items.models import Item, ItemIdentifier

legacy = User.objects.get(username="legacy")
assert legacy.check_password("Legacy-pass1"), "bcrypt hash from V1 must verify"
assert User.objects.get(username="legacy").password.startswith("pbkdf2_sha256$"), "upgraded"
item = Item.objects.get(dfid="DFID-20240926-000001-2488")
assert item.identifiers.count() == 1
ItemIdentifier.objects.create(item=item, key="lot", value="L-2")
assert item.identifiers.count() == 2
print("adopted-ok")
"""


def _server_url(database: str) -> str:
    params = connection.settings_dict
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    user = params.get("USER") or "postgres"
    password = params.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{credentials}{host}:{port}/{database}"


@pytest.fixture
def v1_database():
    name = f"defarm_v1_adopt_{uuid.uuid4().hex[:10]}"
    admin_url = _server_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = _server_url(name)
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _run(args: list[str], url: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "defarm.settings",
        **extra_env,
    }
    env.pop("DEFARM_TESTING", None)
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_v1_database_is_adopted_with_fake_initial(v1_database):
    bcrypt_hash = __import__("bcrypt").hashpw(b"Legacy-pass1", __import__("bcrypt").gensalt(4))
    with psycopg.connect(v1_database, autocommit=True) as conn:
        for statement in v1_create_statements():
            conn.execute(statement)
        conn.execute(
            "INSERT INTO user_accounts (user_id, username, email, password_hash, tier, status,"
            " is_admin, created_at_ts) VALUES ('user-legacy', 'legacy', 'legacy@example.com',"
            " %s, 'Basic', 'Active', false, 1700000000)",
            [bcrypt_hash.decode()],
        )
        conn.execute(
            "INSERT INTO items (dfid, item_hash, status, created_at_ts, last_updated_ts)"
            " VALUES ('DFID-20240926-000001-2488', repeat('a', 64), 'Active', 1, 1)"
        )
        conn.execute(
            "INSERT INTO item_identifiers (dfid, key, value)"
            " VALUES ('DFID-20240926-000001-2488', 'sisbov', 'BR123456789012')"
        )

    migrate = _run(
        [sys.executable, "manage.py", "migrate", "--fake-initial", "--noinput"], v1_database
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    round_trip = _run([sys.executable, "-c", ORM_ROUND_TRIP], v1_database)
    assert round_trip.returncode == 0, round_trip.stdout + round_trip.stderr
    assert "adopted-ok" in round_trip.stdout
