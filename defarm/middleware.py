from django.db import InterfaceError, OperationalError

from defarm.api.exceptions import database_unavailable_response


class DatabaseUnavailableMiddleware:
    """Answer a JSON 503 instead of an HTML 500 when the database does not answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            return database_unavailable_response()
        return None
