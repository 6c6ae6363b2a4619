from django.db.models import QuerySet
from rest_framework import exceptions, pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``?limit=&offset=`` pages of at most 1000 rows; refuses unordered querysets and a limit
    or offset that is not a whole number in range (400 instead of silently the default)."""

    default_limit = 50
    max_limit = 1000
    minimums = {"limit": 1, "offset": 0}

    def paginate_queryset(self, queryset, request, view=None):
        if isinstance(queryset, QuerySet) and not queryset.ordered:
            raise ValueError(
                f"{queryset.model.__name__} list is unordered; order it for stable pages."
            )
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        page = list(queryset[self.offset : self.offset + self.limit])
        if len(page) < self.limit and (page or self.offset == 0):
            # The last page: the count is known without a COUNT query.
            self.count = self.offset + len(page)
        else:
            self.count = self.get_count(queryset)
        self.display_page_controls = self.count > self.limit and self.template is not None
        return page

    def _query_integer(self, request, name: str, minimum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise exceptions.ValidationError({name: [f"A whole number >= {minimum}."]})
        return value

    def get_limit(self, request):
        limit = self._query_integer(request, self.limit_query_param, self.minimums["limit"])
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        offset = self._query_integer(request, self.offset_query_param, self.minimums["offset"])
        return offset or 0

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = self.minimums[parameter["name"]]
        return parameters
