"""The one pagination of the API: a bare JSON array, its total in ``X-Total-Count`` and its
neighbours in an RFC 8288 ``Link`` header.

Pages are chosen with ``limit``/``offset`` or, as some of the earlier engine's clients send,
``page`` (1-based) and ``per_page``. Default 100 rows, at most 1,000.
"""

from django.db.models import QuerySet
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from defarm.api.query_params import refuse_unknown_query_parameters


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """Bare-array pages of at most 1,000 rows; refuses unordered querysets and a limit, offset,
    page or per_page that is not a whole number in range (400 instead of silently the default)."""

    default_limit = 100
    max_limit = 1000
    page_query_param = "page"
    per_page_query_param = "per_page"
    minimums = {"limit": 1, "offset": 0, "page": 1, "per_page": 1}
    query_params = ("limit", "offset", "page", "per_page")

    def paginate_queryset(self, queryset, request, view=None):
        if isinstance(queryset, QuerySet) and not queryset.ordered:
            raise ValueError(
                f"{queryset.model.__name__} list is unordered; order it for stable pages."
            )
        refuse_unknown_query_parameters(
            request, view, queryset if isinstance(queryset, QuerySet) else None
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
        return page

    def _query_integer(self, request, name: str) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        minimum = self.minimums[name]
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise exceptions.ValidationError({name: [f"A whole number >= {minimum}."]})
        return value

    def _uses_pages(self, request) -> bool:
        return (
            request.query_params.get(self.page_query_param) is not None
            or request.query_params.get(self.per_page_query_param) is not None
        ) and request.query_params.get(self.offset_query_param) is None

    def get_limit(self, request):
        limit = self._query_integer(request, self.limit_query_param)
        if limit is None:
            limit = self._query_integer(request, self.per_page_query_param)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        if self._uses_pages(request):
            page = self._query_integer(request, self.page_query_param) or 1
            return (page - 1) * self.get_limit(request)
        return self._query_integer(request, self.offset_query_param) or 0

    def _page_url(self, offset: int) -> str:
        url = self.request.build_absolute_uri()
        if self._uses_pages(self.request):
            url = remove_query_param(url, self.limit_query_param)
            url = replace_query_param(url, self.per_page_query_param, self.limit)
            return replace_query_param(url, self.page_query_param, offset // self.limit + 1)
        url = replace_query_param(url, self.limit_query_param, self.limit)
        if offset <= 0:
            return remove_query_param(url, self.offset_query_param)
        return replace_query_param(url, self.offset_query_param, offset)

    def get_links(self) -> dict[str, str]:
        links = {"first": self._page_url(0)}
        if self.offset > 0:
            links["prev"] = self._page_url(max(self.offset - self.limit, 0))
        if self.offset + self.limit < self.count:
            links["next"] = self._page_url(self.offset + self.limit)
        last_offset = max((self.count - 1) // self.limit * self.limit, 0) if self.count else 0
        links["last"] = self._page_url(last_offset)
        return links

    def get_headers(self) -> dict[str, str]:
        link = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in self.get_links().items())
        return {"X-Total-Count": str(self.count), "Link": link}

    def get_paginated_response(self, data):
        return Response(data, headers=self.get_headers())

    def get_paginated_response_schema(self, schema):
        return schema

    def get_schema_operation_parameters(self, view):
        parameters = []
        for name, description in (
            ("limit", "Rows per page (default 100, at most 1,000)."),
            ("offset", "Rows to skip."),
            ("page", "1-based page number (with per_page), instead of offset."),
            ("per_page", "Rows per page when paging with page (default 100, at most 1,000)."),
        ):
            parameters.append(
                {
                    "name": name,
                    "required": False,
                    "in": "query",
                    "description": description,
                    "schema": {"type": "integer", "minimum": self.minimums[name]},
                }
            )
        return parameters
