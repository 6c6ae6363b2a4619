"""How DeFarm's ASGI process runs Django's request handling."""

from django.core.handlers.asgi import ASGIHandler


class OneThreadASGIHandler(ASGIHandler):
    """Django's ASGI handler with the synchronous part of every request (middleware, views,
    the database) run in the process's one thread for synchronous code, as a sync worker runs
    them, instead of in a new thread per request.

    Django's connections belong to the thread that opened them: in a thread per request,
    every request opened (and left behind) a PostgreSQL connection of its own, so
    ``CONN_MAX_AGE`` kept nothing and each read paid a new connection. In one thread the
    process keeps its connection from request to request, with the health check and the
    fast 503 while PostgreSQL is down exactly as under WSGI. The event loop still reads
    requests and writes answers (and serves the WebSockets) concurrently; the synchronous
    work runs one request at a time per worker process, as with sync workers: scale with
    ``WEB_CONCURRENCY``."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP connections, not {scope['type']}.")
        # No ThreadSensitiveContext: asgiref then runs every thread-sensitive call (Django's
        # views and signals, Channels' database calls) in its single shared thread.
        await self.handle(scope, receive, send)
