"""Counting attempts (logins, registrations, circuit passwords) per client in PostgreSQL, so a
limit holds across every gunicorn worker and replica (the table ``attempt_counters``)."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F

from accounts.models import AttemptCounter
from defarm.timeutils import unix_now

_TAKE = (
    "INSERT INTO attempt_counters (scope, ident, window_start, window_seconds, count) "
    "VALUES (%s, %s, %s, %s, 1) "
    "ON CONFLICT (scope, ident, window_start) "
    "DO UPDATE SET count = attempt_counters.count + 1 "
    "WHERE attempt_counters.count < %s "
    "RETURNING count"
)
_ADD = (
    "INSERT INTO attempt_counters (scope, ident, window_start, window_seconds, count) "
    "VALUES (%s, %s, %s, %s, 1) "
    "ON CONFLICT (scope, ident, window_start) "
    "DO UPDATE SET count = attempt_counters.count + 1 "
    "RETURNING count"
)


@dataclass(frozen=True)
class AttemptDecision:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def _window(window_seconds: int, now: int | None) -> tuple[int, int]:
    now = unix_now() if now is None else now
    start = now - now % window_seconds
    return start, start + window_seconds - now


def attempt_take(
    *, scope: str, ident: str, limit: int, window_seconds: int, now: int | None = None
) -> AttemptDecision:
    """Count one attempt unless ``limit`` attempts were already counted in this window.
    PostgreSQL serialises the upserts of one row, so two workers cannot both take the last
    attempt; a refused attempt is not counted."""
    start, retry_after = _window(window_seconds, now)
    if limit <= 0:
        return AttemptDecision(allowed=False, count=0, retry_after=retry_after)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_TAKE, [scope, ident[:100], start, window_seconds, limit])
        row = cursor.fetchone()
    if row is None:
        return AttemptDecision(allowed=False, count=limit, retry_after=retry_after)
    if row[0] == 1:
        attempt_counters_prune(now=now)
    return AttemptDecision(allowed=True, count=row[0], retry_after=retry_after)


def attempt_add(*, scope: str, ident: str, window_seconds: int, now: int | None = None) -> int:
    """Count one attempt (e.g. a wrong password) and return the window's count."""
    start, _ = _window(window_seconds, now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_ADD, [scope, ident[:100], start, window_seconds])
        count = cursor.fetchone()[0]
    if count == 1:
        attempt_counters_prune(now=now)
    return count


def attempt_release(*, scope: str, ident: str, window_seconds: int, now: int | None = None) -> None:
    """Give back one attempt taken in this window (one that turned out not to count, such as
    a right password)."""
    start, _ = _window(window_seconds, now)
    AttemptCounter.objects.filter(
        scope=scope, ident=ident[:100], window_start=start, count__gt=0
    ).update(count=F("count") - 1)


def attempt_count(*, scope: str, ident: str, window_seconds: int, now: int | None = None) -> int:
    start, _ = _window(window_seconds, now)
    row = (
        AttemptCounter.objects.filter(scope=scope, ident=ident[:100], window_start=start)
        .values_list("count", flat=True)
        .first()
    )
    return row or 0


def attempt_counters_prune(*, now: int | None = None) -> int:
    """Delete the counters of ended windows."""
    now = unix_now() if now is None else now
    deleted, _ = AttemptCounter.objects.filter(window_start__lte=now - F("window_seconds")).delete()
    return deleted
