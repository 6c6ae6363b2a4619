"""Who is asking, as far as the audit trail needs it: the client address and user agent of
the request being served, kept for the rows the request writes."""

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

from defarm.api.throttling import client_ip

_request_metadata: ContextVar[dict[str, Any] | None] = ContextVar(
    "audit_request_metadata", default=None
)


def request_metadata() -> dict[str, Any]:
    """The current request's ``ip_address`` and ``user_agent`` (empty outside a request)."""
    return dict(_request_metadata.get() or {})


class AuditContextMiddleware:
    """Keeps the client address and user agent of each request for ``audit_record``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_metadata.set(
            {
                "ip_address": client_ip(request),
                "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500] or None,
            }
        )
        try:
            return self.get_response(request)
        finally:
            _request_metadata.reset(token)
