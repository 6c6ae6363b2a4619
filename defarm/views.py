from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET

from defarm.api.exceptions import error_body


@require_GET
def healthz(request):
    """200 when the database answers a query, 503 otherwise."""
    database = "sqlite-memory" if settings.DATABASE_IS_MEMORY else connection.vendor
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": database}, status=503)
    return JsonResponse({"status": "ok", "database": database})


# Paths answered in JSON, errors included: the API and the earlier engine's root-level routes.
API_PATH_PREFIXES = (
    "/api/",
    "/users/",
    "/credit/",
    "/items/",
    "/circuits/",
    "/audit/",
    "/epcis/",
    "/health",
)


def _is_api(request) -> bool:
    return request.path.startswith(API_PATH_PREFIXES)


EPCIS_PATH_PREFIX = "/epcis/"


def _error(request, status: int, code: str, message: str) -> JsonResponse:
    """An error answered by Django itself (no view matched, or one failed): DeFarm's error
    shape, or the EPCIS standard's problem details under /epcis/."""
    if request.path.startswith(EPCIS_PATH_PREFIX):
        from items.epcis.api.problems import problem_body

        return JsonResponse(
            problem_body(status_code=status, detail=message),
            status=status,
            content_type="application/problem+json",
        )
    return JsonResponse(error_body(code, message), status=status)


def bad_request(request, exception=None):
    if _is_api(request):
        return _error(request, 400, "bad_request", "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return _error(request, 403, "permission_denied", "Permission denied.")
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    if _is_api(request):
        return _error(request, 404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return _error(request, 500, "server_error", "An unexpected error occurred.")
    return defaults.server_error(request)
