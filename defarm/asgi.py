"""The ASGI application gunicorn's uvicorn workers serve: every HTTP request goes to Django as
under WSGI (the same URL conf, middleware and views); WebSockets go to ``defarm.routing``
(the live notifications at ``/api/notifications/ws``)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defarm.settings")
django.setup(set_prefix=False)

from defarm.handlers import OneThreadASGIHandler  # noqa: E402

django_application = OneThreadASGIHandler()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from defarm.log_filters import redact_server_logs  # noqa: E402
from defarm.routing import websocket_application  # noqa: E402
from defarm.startup import prepare_serving  # noqa: E402

redact_server_logs()  # the socket's ?token=<JWT> stays out of the access lines
prepare_serving()

application = ProtocolTypeRouter({"http": django_application, "websocket": websocket_application})
