"""Per-key request limits per minute, hour and day, exact across every server process.

Each limited window of a key has one row in ``api_key_rate_counters``. A request adds one to
each of its key's windows with a single atomic statement per window,

    INSERT ... ON CONFLICT (key_id, window_seconds, window_start)
    DO UPDATE SET count = count + 1 WHERE count < limit RETURNING count

inside one transaction: PostgreSQL serialises the upserts of one row, so no two requests can
both take the last unit of a window, and a request refused by one window rolls back the units
it took from the others. The same SQL runs on SQLite.
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F

from accounts.models import ApiKey, ApiKeyRateCounter
from accounts.tiers import tier_limits
from defarm.timeutils import unix_now

MINUTE, HOUR, DAY = 60, 3_600, 86_400

# Tier defaults for keys whose own limit is NULL. The tier table sets requests per hour; no
# per-minute or per-day default is imposed (the hourly budget already bounds both).
DEFAULT_PER_MINUTE: int | None = None
DEFAULT_PER_DAY: int | None = None


@dataclass(frozen=True)
class RateWindow:
    seconds: int
    limit: int
    used: int
    reset_after: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    window: RateWindow | None  # the tightest window; None = the key is unlimited

    @property
    def retry_after(self) -> int:
        return max(self.window.reset_after, 1) if self.window else 0


def _own_or_default(own: int | None, default: int | None) -> int | None:
    return own if own is not None else default


def api_key_rate_limits(*, api_key: ApiKey) -> dict[int, int]:
    """The key's limits by window length in seconds (NULL = the owner's tier default)."""
    tier_per_hour = tier_limits(api_key.user.tier).api_requests_per_hour
    limits = {
        DAY: _own_or_default(api_key.rate_limit_per_day, DEFAULT_PER_DAY),
        HOUR: _own_or_default(api_key.rate_limit_per_hour, tier_per_hour),
        MINUTE: _own_or_default(api_key.rate_limit_per_minute, DEFAULT_PER_MINUTE),
    }
    return {seconds: limit for seconds, limit in limits.items() if limit is not None}


_UPSERT = (
    "INSERT INTO api_key_rate_counters (key_id, window_seconds, window_start, count) "
    "VALUES (%s, %s, %s, 1) "
    "ON CONFLICT (key_id, window_seconds, window_start) "
    "DO UPDATE SET count = api_key_rate_counters.count + 1 "
    "WHERE api_key_rate_counters.count < %s "
    "RETURNING count"
)


class _WindowFull(Exception):
    def __init__(self, window: RateWindow):
        self.window = window


def api_key_rate_limit_hit(*, api_key: ApiKey, now: int | None = None) -> RateLimitDecision:
    """Count one request of ``api_key``; refused when any of its windows is full.

    Windows are fixed and aligned to UTC (minute, hour, day). A refused request takes
    nothing from any window.
    """
    limits = api_key_rate_limits(api_key=api_key)
    if not limits:
        return RateLimitDecision(allowed=True, window=None)
    now = unix_now() if now is None else now
    key_id = ApiKeyRateCounter._meta.get_field("key").get_db_prep_value(api_key.pk, connection)
    windows: list[RateWindow] = []
    started_new_window = False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Longest window first: when several are full, the answer names the longest wait.
            for seconds in sorted(limits, reverse=True):
                limit = limits[seconds]
                window_start = now - now % seconds
                reset_after = window_start + seconds - now
                if limit <= 0:
                    raise _WindowFull(RateWindow(seconds, limit, 0, reset_after))
                cursor.execute(_UPSERT, [key_id, seconds, window_start, limit])
                row = cursor.fetchone()
                if row is None:
                    raise _WindowFull(RateWindow(seconds, limit, limit, reset_after))
                started_new_window |= row[0] == 1
                windows.append(RateWindow(seconds, limit, row[0], reset_after))
    except _WindowFull as full:
        return RateLimitDecision(allowed=False, window=full.window)
    if started_new_window:
        api_key_rate_counters_prune(api_key=api_key, now=now)
    tightest = min(windows, key=lambda window: (window.remaining, window.seconds))
    return RateLimitDecision(allowed=True, window=tightest)


def api_key_rate_counters_prune(*, api_key: ApiKey | None = None, now: int | None = None) -> int:
    """Delete counters of windows that have ended (of one key, or of every key)."""
    now = unix_now() if now is None else now
    expired = ApiKeyRateCounter.objects.filter(window_start__lte=now - F("window_seconds"))
    if api_key is not None:
        expired = expired.filter(key=api_key)
    deleted, _ = expired.delete()
    return deleted


def api_key_rate_limit_peek(*, api_key: ApiKey, now: int | None = None) -> RateLimitDecision:
    """The key's tightest window without counting a request (for answers refused before the
    limits were consulted, which still carry the RateLimit headers)."""
    limits = api_key_rate_limits(api_key=api_key)
    if not limits:
        return RateLimitDecision(allowed=True, window=None)
    now = unix_now() if now is None else now
    starts = {seconds: now - now % seconds for seconds in limits}
    used = {
        seconds: count
        for seconds, start, count in ApiKeyRateCounter.objects.filter(
            key=api_key, window_seconds__in=list(limits), window_start__in=set(starts.values())
        ).values_list("window_seconds", "window_start", "count")
        if starts.get(seconds) == start
    }
    windows = [
        RateWindow(seconds, limit, used.get(seconds, 0), starts[seconds] + seconds - now)
        for seconds, limit in limits.items()
    ]
    tightest = min(windows, key=lambda window: (window.remaining, window.seconds))
    return RateLimitDecision(allowed=tightest.remaining > 0, window=tightest)
