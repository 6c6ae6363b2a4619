"""Logging helpers named in ``settings.LOGGING``."""

import logging
import re


class WithoutTraceback(logging.Filter):
    """Log the record's message only, dropping its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


_QUERY_SECRET = re.compile(r"(?i)([?&](?:token|access_token|api_key)=)[^&\s\"]*")


def redact_query_secrets(text: str) -> str:
    """``text`` with the values of ``token=``, ``access_token=`` and ``api_key=`` query
    parameters replaced (a WebSocket's ``?token=<JWT>`` must not reach the logs)."""
    return _QUERY_SECRET.sub(r"\1[redacted]", text)


class RedactQuerySecrets(logging.Filter):
    """Applied to the ASGI server's loggers, whose lines hold the request path with its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query_secrets(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def redact_server_logs() -> None:
    """Attach ``RedactQuerySecrets`` to uvicorn's and gunicorn's loggers."""
    for name in ("uvicorn.error", "uvicorn.access", "gunicorn.error", "gunicorn.access"):
        logging.getLogger(name).addFilter(RedactQuerySecrets())
