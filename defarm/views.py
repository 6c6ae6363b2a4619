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


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("bad_request", "Bad request."), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(error_body("server_error", "An unexpected error occurred."), status=500)
    return defaults.server_error(request)
