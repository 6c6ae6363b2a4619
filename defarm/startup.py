"""What a serving process does before it answers its first request.

PostgreSQL: check that it answers, and stop with a clear message when it does not.
In-memory SQLite: migrate it, create the staff account, and keep one connection open so the
shared in-memory database lives as long as the process.
"""

import logging
import secrets
import sqlite3
import sys

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger("defarm.startup")

_memory_keeper: sqlite3.Connection | None = None


def prepare_serving() -> None:
    """Run once by every serving process (gunicorn's WSGI import, runserver)."""
    require_secrets()
    prepare_database()


def require_secrets() -> None:
    if settings.MISSING_SECRETS:
        sys.stderr.write(
            f"\nDeFarm cannot start: missing required setting(s) "
            f"{', '.join(settings.MISSING_SECRETS)}. Set them in the environment (see "
            ".env.example), or set DEBUG=true for local development.\n\n"
        )
        raise SystemExit(2)


def prepare_database() -> None:
    if settings.DATABASE_IS_MEMORY:
        _prepare_memory_database()
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


def _prepare_memory_database() -> None:
    global _memory_keeper
    if _memory_keeper is not None:
        return
    name = settings.DATABASES["default"]["NAME"]
    _memory_keeper = sqlite3.connect(name, uri=True, check_same_thread=False)
    logger.warning(
        "No DATABASE_URL: serving an IN-MEMORY SQLite database. Nothing will persist "
        "when this process exits."
    )
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    ensure_staff_account()


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
            f"\nDeFarm admin login (in-memory database): username {username!r}, "
            f"password {password!r}\n\n"
        )
    else:
        sys.stdout.write(f"\nDeFarm admin login: username {username!r} (DEFARM_ADMIN_PASSWORD)\n\n")
    sys.stdout.flush()
