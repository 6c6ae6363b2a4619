"""What a serving process does before it answers its first request.

PostgreSQL: check that it answers, and stop with a clear message when it does not.
SQLite file (no DATABASE_URL): create the data directory, migrate, create the staff account
once (under a file lock, so gunicorn's workers take turns).
In-memory SQLite: migrate it, create the staff account, and keep one connection open so the
shared in-memory database lives as long as the process.
"""

import fcntl
import logging
import secrets
import sqlite3
import sys
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger("defarm.startup")

_memory_keeper: sqlite3.Connection | None = None
_prepared = False


def prepare_serving() -> None:
    """Run once by every serving process (gunicorn's WSGI import, runserver)."""
    global _prepared
    if _prepared:
        return
    require_secrets()
    prepare_database()
    _prepared = True


def missing_secrets_message(missing: list[str]) -> str:
    return (
        f"\nDeFarm cannot start: missing required setting(s) {', '.join(missing)}. Set them in "
        "the environment (see .env.example), or set DEBUG=true for local development.\n\n"
    )


def require_secrets() -> None:
    if settings.MISSING_SECRETS:
        sys.stderr.write(missing_secrets_message(settings.MISSING_SECRETS))
        raise SystemExit(2)
    if not settings.DEBUG and not settings.TESTING and not settings.ALLOWED_HOSTS:
        logger.warning(
            "ALLOWED_HOSTS is empty: every request except the health checks will be refused "
            "(400). Set ALLOWED_HOSTS to the service's domain names (on Railway, "
            "RAILWAY_PUBLIC_DOMAIN is added by itself)."
        )


def prepare_database() -> None:
    if settings.DATABASE_IS_MEMORY:
        _prepare_memory_database()
    elif settings.DATABASE_IS_SQLITE:
        _prepare_sqlite_file()
    else:
        _require_database()


def _require_database() -> None:
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        sys.stderr.write(
            "\nDeFarm cannot start: the database at DATABASE_URL does not answer "
            f"({error}).\nStart PostgreSQL or fix DATABASE_URL; to serve a throw-away "
            "in-memory database instead, set DEFARM_DB_FALLBACK=memory.\n\n"
        )
        raise SystemExit(3) from error


def _prepare_sqlite_file() -> None:
    path = Path(settings.DATABASES["default"]["NAME"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _migrate()
            ensure_staff_account()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    logger.info("Database: SQLite file %s (set DATABASE_URL to serve PostgreSQL).", path)


def _prepare_memory_database() -> None:
    global _memory_keeper
    if _memory_keeper is not None:
        return
    name = settings.DATABASES["default"]["NAME"]
    _memory_keeper = sqlite3.connect(name, uri=True, check_same_thread=False)
    logger.warning(
        "DEFARM_DB_MEMORY: serving an IN-MEMORY SQLite database. NOTHING PERSISTS: every "
        "account and item is lost when this process exits or reloads."
    )
    _migrate()
    ensure_staff_account()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def ensure_staff_account() -> None:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    username = settings.DEFARM_ADMIN_USERNAME
    if User.objects.filter(username=username).exists():
        return
    password = settings.DEFARM_ADMIN_PASSWORD
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12) + "-A1"
    from accounts.models import Tier
    from accounts.services.users import user_create

    user_create(
        username=username,
        email=settings.DEFARM_ADMIN_EMAIL,
        password=password,
        is_admin=True,
        tier=Tier.ADMIN,
    )
    if generated:
        sys.stdout.write(
            f"\nDeFarm admin login: username {username!r}, password {password!r}\n"
            "(shown this once; only its hash is stored. Change it in the admin, or set "
            "DEFARM_ADMIN_PASSWORD before the first start.)\n\n"
        )
    else:
        sys.stdout.write(f"\nDeFarm admin login: username {username!r} (DEFARM_ADMIN_PASSWORD)\n\n")
    sys.stdout.flush()
