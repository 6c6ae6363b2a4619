from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes answer with and without a trailing slash, as the API contract fixes."""

    def __init__(self):
        super().__init__()
        # SimpleRouter only takes a boolean for trailing_slash; set the optional slash here.
        self.trailing_slash = "/?"
