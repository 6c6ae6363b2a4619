"""DeFarm's ASGI handler runs the synchronous part of every HTTP request in one thread per
process, so the process keeps its database connection from request to request."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_started
from django.db import connection, connections

from defarm.handlers import OneThreadASGIHandler

# The requests' thread opens connections of its own (the test database's, in transaction mode).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def close_the_request_threads_connections():
    yield
    # run where the requests ran: asgiref's one thread for thread-sensitive code
    asyncio.run(sync_to_async(connections.close_all)())


async def _get(application, path: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    await communicator.receive_output(5)  # the body
    await communicator.wait(5)
    return start["status"]


def _request_threads(application, requests: int) -> tuple[list[threading.Thread], list[int]]:
    """The distinct threads that handled ``requests`` requests, and the statuses answered."""
    threads: list[threading.Thread] = []  # the objects: a finished thread's ident is reused

    def record(**kwargs):
        thread = threading.current_thread()
        if not any(seen is thread for seen in threads):
            threads.append(thread)

    request_started.connect(record)
    try:
        statuses = [asyncio.run(_get(application, "/no-such-page")) for _ in range(requests)]
    finally:
        request_started.disconnect(record)
    return threads, statuses


def test_every_request_runs_in_the_same_thread():
    threads, statuses = _request_threads(OneThreadASGIHandler(), 4)
    assert statuses == [404] * 4
    assert len(threads) == 1
    assert threads[0] is not threading.current_thread()  # not the event loop's


def test_djangos_own_handler_would_use_a_thread_per_request():
    """What the handler changes: Django's own opens a new thread (and so a new database
    connection) for every request. (As a server runs it: an event loop of its own, no
    synchronous caller to return to.)"""
    threads, _ = _request_threads(ASGIHandler(), 3)
    assert len(threads) == 3


def test_the_database_connection_is_kept_between_requests(settings):
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 60
    connections_seen: set[int] = set()

    def record(**kwargs):
        connection.ensure_connection()
        connections_seen.add(id(connection.connection))

    request_started.connect(record, weak=False)
    try:
        application = OneThreadASGIHandler()
        for _ in range(3):
            asyncio.run(_get(application, "/no-such-page"))
    finally:
        request_started.disconnect(record)
    assert len(connections_seen) == 1
