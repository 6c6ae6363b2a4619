from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.urls import Resolver404, resolve

from defarm.api.exceptions import (
    database_error_is_outage,
    database_unavailable_response,
    error_body,
)


class DatabaseUnavailableMiddleware:
    """Answer a JSON 503 instead of an HTML 500 when the database does not answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)) and database_error_is_outage(
            exception
        ):
            return database_unavailable_response()
        return None


class RequestBodyLimitMiddleware:
    """Refuse a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``DEFARM_MAX_BODY_BYTES``)
    with a JSON 413 before anything reads it. DRF's parsers read the request stream directly,
    so Django's own check on ``request.body`` never runs for JSON bodies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            return JsonResponse(
                error_body("bad_request", "Content-Length is not a number."), status=400
            )
        if limit is not None and length > limit:
            if request.path.startswith("/epcis/"):
                # The EPCIS routes answer in the standard's problem details.
                return JsonResponse(
                    {
                        "type": "epcisException:CaptureLimitExceededException",
                        "title": "Capture file size limit exceeded",
                        "status": 413,
                        "detail": f"The request body is larger than {limit} bytes "
                        "(GS1-EPCIS-Capture-File-Size-Limit).",
                    },
                    status=413,
                    content_type="application/problem+json",
                )
            return JsonResponse(
                error_body(
                    "payload_too_large",
                    f"The request body is larger than {limit} bytes.",
                    {"max_bytes": limit},
                ),
                status=413,
            )
        return self.get_response(request)


HEALTH_PATHS = frozenset({"/health", "/health/db", "/healthz"})


class HealthCheckMiddleware:
    """Serve the health checks before anything looks at the Host header, the scheme or the
    session. Railway's checker calls the container over plain HTTP with
    ``Host: healthcheck.railway.app``; a custom domain missing from ALLOWED_HOSTS or the HTTPS
    redirect must not make a healthy service look dead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") in HEALTH_PATHS:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)
            request.resolver_match = match
            response = match.func(request, *match.args, **match.kwargs)
            if callable(getattr(response, "render", None)):
                response = response.render()
            return response
        return self.get_response(request)
