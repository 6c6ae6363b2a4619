"""What every audit view shares: the engine's envelope and its paging of enveloped lists."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from accounts.models import User

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def success_data(data: Any, **extra: Any) -> dict[str, Any]:
    return {"success": True, "data": data, **extra}


def body_identity_check(*, request: Request, user_id: str | None) -> User:
    """The caller; a ``user_id`` in the body naming someone else is refused (rows are always
    recorded as the authenticated caller)."""
    if user_id and user_id != request.user.pk:
        raise exceptions.PermissionDenied(
            "user_id names another user; audit events are recorded as the caller."
        )
    return request.user


def page_bounds(limit: int | None, offset: int | None) -> tuple[int, int]:
    limit = DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT)
    return limit, offset or 0


def paged_response(
    *,
    request: Request,
    rows: QuerySet,
    serializer_class,
    limit: int | None,
    offset: int | None,
    envelope: bool = True,
) -> Response:
    """One page of ``rows`` (ordered) in the engine's envelope (or bare), with the total in
    ``X-Total-Count`` and the neighbouring pages in ``Link``."""
    limit, offset = page_bounds(limit, offset)
    page = list(rows[offset : offset + limit])
    total = offset + len(page) if len(page) < limit and (page or offset == 0) else rows.count()
    data = serializer_class(page, many=True).data
    headers = {"X-Total-Count": str(total)}
    url = request.build_absolute_uri()
    links = []
    if offset + limit < total:
        following = replace_query_param(url, "offset", offset + limit)
        links.append(f'<{replace_query_param(following, "limit", limit)}>; rel="next"')
    if offset > 0:
        if offset - limit <= 0:
            previous = remove_query_param(url, "offset")
        else:
            previous = replace_query_param(url, "offset", offset - limit)
        links.append(f'<{replace_query_param(previous, "limit", limit)}>; rel="prev"')
    if links:
        headers["Link"] = ", ".join(links)
    return Response(success_data(data) if envelope else data, headers=headers)
