"""gunicorn's settings for DeFarm. gunicorn reads ``./gunicorn.conf.py`` by itself when started
from the repository root (Railway, the Procfile); command-line options override these."""

import importlib
import os
import sys

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# ASGI workers (uvicorn): HTTP and the WebSocket /api/notifications/ws from one process; the
# application is ``defarm.asgi``, which runs the (synchronous) views in one thread per process,
# one request at a time, as sync workers do (``defarm.asgi.OneThreadASGIHandler``).
worker_class = "uvicorn_worker.UvicornWorker"
accesslog = "-"
# Railway's proxy sets X-Forwarded-Proto / X-Forwarded-For; the app decides how far to trust them.
forwarded_allow_ips = "*"


def on_starting(server):
    """The master checks the required secrets before it forks a worker: without them it exits
    at once with the message, instead of restarting workers that can never start."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defarm.settings")
    settings = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    if settings.MISSING_SECRETS:
        from defarm.startup import missing_secrets_message

        sys.stderr.write(missing_secrets_message(settings.MISSING_SECRETS))
        sys.stderr.flush()
        os._exit(2)
