"""What the audit views share: who a body's ``user_id`` may name, and the one pagination
applied to the engine's enveloped lists (``{"success": true, "data": [...]}``) and its
bare ones."""

from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from defarm.api.envelopes import success_data
from defarm.api.pagination import LimitOffsetPagination


def body_identity_check(*, request: Request, user_id: str | None) -> User:
    """The caller; a ``user_id`` in the body naming someone else is refused (rows are always
    recorded as the authenticated caller)."""
    if user_id and user_id != request.user.pk:
        raise exceptions.PermissionDenied(
            "user_id names another user; audit events are recorded as the caller."
        )
    return request.user


class BodyPagination(LimitOffsetPagination):
    """The API's pagination, taking ``limit``/``offset`` from the JSON body where the engine
    read them there (``events/query``, ``export/json``); the query string otherwise."""

    def __init__(self, *, limit: int | None = None, offset: int | None = None):
        self.body_limit, self.body_offset = limit, offset

    def get_limit(self, request):
        if self.body_limit is not None:
            return min(self.body_limit, self.max_limit)
        return super().get_limit(request)

    def get_offset(self, request):
        if self.body_offset is not None:
            return self.body_offset
        return super().get_offset(request)


def paged_response(
    *,
    request: Request,
    view: APIView,
    rows: QuerySet,
    serializer_class,
    limit: int | None = None,
    offset: int | None = None,
    envelope: bool = True,
) -> Response:
    """One page of ``rows`` (ordered), in the engine's envelope or bare, with the total in
    ``X-Total-Count`` and the neighbouring pages in ``Link``; an unknown query parameter of
    ``view`` is a 400."""
    paginator = BodyPagination(limit=limit, offset=offset)
    page = paginator.paginate_queryset(rows, request, view)
    data = serializer_class(page, many=True).data
    response = success_data(data) if envelope else Response(data)
    for name, value in paginator.get_headers().items():
        response[name] = value
    return response
