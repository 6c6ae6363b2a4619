from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes answer with and without a trailing slash, as the API contract fixes."""

    def __init__(self):
        super().__init__(trailing_slash="/?")
