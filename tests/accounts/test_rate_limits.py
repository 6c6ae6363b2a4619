import threading

import pytest
from django.db import connection
from django.test import RequestFactory, override_settings

from accounts.models import ApiKeyRateCounter
from accounts.services.api_keys import api_key_create
from accounts.services.rate_limits import (
    DAY,
    HOUR,
    MINUTE,
    api_key_rate_counters_prune,
    api_key_rate_limit_hit,
    api_key_rate_limits,
)
from defarm.api.throttling import client_ip
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

NOON = 1_764_072_000  # 2025-11-25 12:00:00 UTC, the start of a minute, an hour


def counts(api_key):
    return dict(
        ApiKeyRateCounter.objects.filter(key=api_key).values_list("window_seconds", "count")
    )


def test_limits_default_to_the_tier_per_hour(user):
    api_key, _ = api_key_create(user=user, name="k")
    assert api_key_rate_limits(api_key=api_key) == {HOUR: 100}
    api_key, _ = api_key_create(
        user=user, name="k", rate_limit_per_minute=5, rate_limit_per_day=500
    )
    assert api_key_rate_limits(api_key=api_key) == {DAY: 500, HOUR: 100, MINUTE: 5}
    admin_key, _ = api_key_create(user=UserFactory(tier="Admin"), name="k")
    assert api_key_rate_limits(api_key=admin_key) == {}
    decision = api_key_rate_limit_hit(api_key=admin_key, now=NOON)
    assert decision.allowed and decision.window is None


def test_a_refused_request_takes_nothing_from_other_windows(user):
    api_key, _ = api_key_create(user=user, name="k", rate_limit_per_minute=2, rate_limit_per_hour=5)
    allowed = [api_key_rate_limit_hit(api_key=api_key, now=NOON + 1).allowed for _ in range(3)]
    assert allowed == [True, True, False]
    assert counts(api_key) == {MINUTE: 2, HOUR: 2}
    refused = api_key_rate_limit_hit(api_key=api_key, now=NOON + 10)
    assert (refused.window.seconds, refused.retry_after) == (MINUTE, 50)
    next_minute = [api_key_rate_limit_hit(api_key=api_key, now=NOON + 61) for _ in range(2)]
    assert [d.allowed for d in next_minute] == [True, True]
    third_minute = api_key_rate_limit_hit(api_key=api_key, now=NOON + 121)
    # The hour is now the tightest window: 5 - 5 = 0 left, the minute has 1 left.
    assert third_minute.allowed
    assert (third_minute.window.seconds, third_minute.window.remaining) == (HOUR, 0)
    refused = api_key_rate_limit_hit(api_key=api_key, now=NOON + 125)
    assert not refused.allowed
    assert (refused.window.seconds, refused.retry_after) == (HOUR, 3600 - 125)


def test_tightest_window_is_reported(user):
    api_key, _ = api_key_create(
        user=user, name="k", rate_limit_per_minute=10, rate_limit_per_hour=3
    )
    decision = api_key_rate_limit_hit(api_key=api_key, now=NOON + 30)
    assert (decision.window.limit, decision.window.remaining) == (3, 2)
    assert decision.window.reset_after == 3600 - 30


def test_ended_windows_are_pruned(user):
    api_key, _ = api_key_create(user=user, name="k", rate_limit_per_minute=5)
    for minute in range(4):
        api_key_rate_limit_hit(api_key=api_key, now=NOON + minute * 60)
    # Each new minute prunes the key's ended windows: only the current minute remains.
    assert ApiKeyRateCounter.objects.filter(key=api_key, window_seconds=MINUTE).count() == 1
    assert api_key_rate_counters_prune(now=NOON + 2 * DAY) == 2
    assert not ApiKeyRateCounter.objects.filter(key=api_key).exists()


def test_prune_command(user):
    from django.core.management import call_command

    api_key, _ = api_key_create(user=user, name="k", rate_limit_per_minute=5)
    api_key_rate_limit_hit(api_key=api_key, now=NOON)
    call_command("prune_api_key_rate_counters")
    assert not ApiKeyRateCounter.objects.filter(key=api_key).exists()


@pytest.mark.parametrize(
    ("num_proxies", "remote", "forwarded", "expected"),
    [
        (1, "10.0.0.1", "203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.1", "6.6.6.6,7.7.7.7,  203.0.113.5 ", "203.0.113.5"),
        (1, "10.0.0.1", None, "10.0.0.1"),
        (1, "10.0.0.1", "garbage", "10.0.0.1"),
        (2, "10.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (0, "10.0.0.1", "203.0.113.5", "10.0.0.1"),
        (1, "10.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(num_proxies, remote, forwarded, expected):
    from django.conf import settings

    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **extra)
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}):
        assert client_ip(request) == expected


def _run_threads(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            barrier.wait()
            target(index)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_pass_the_limit():
    user = UserFactory()
    api_key, _ = api_key_create(
        user=user, name="k", rate_limit_per_minute=25, rate_limit_per_hour=1000
    )
    results = []
    lock = threading.Lock()

    def hammer(index):
        for _ in range(10):
            decision = api_key_rate_limit_hit(api_key=api_key, now=NOON + 5)
            with lock:
                results.append(decision.allowed)

    _run_threads(8, hammer)
    assert len(results) == 80
    assert results.count(True) == 25
    assert counts(api_key) == {MINUTE: 25, HOUR: 25}


def test_peek_reads_without_counting(user):
    from accounts.services.rate_limits import api_key_rate_limit_peek

    api_key, _ = api_key_create(user=user, name="k", rate_limit_per_minute=3)
    assert api_key_rate_limit_peek(api_key=api_key, now=NOON).window.remaining == 3
    api_key_rate_limit_hit(api_key=api_key, now=NOON)
    peeked = api_key_rate_limit_peek(api_key=api_key, now=NOON + 1)
    assert (peeked.window.seconds, peeked.window.remaining, peeked.window.reset_after) == (
        MINUTE,
        2,
        59,
    )
    assert api_key_rate_limit_peek(api_key=api_key, now=NOON + 60).window.remaining == 3
    assert counts(api_key) == {MINUTE: 1, HOUR: 1}
