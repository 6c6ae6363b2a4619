from rest_framework import exceptions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from circuits.models import Circuit
from circuits.permissions import circuit_get_for_member


class CircuitScopedViewSet(viewsets.GenericViewSet):
    """Base of the viewsets under ``/api/circuits/{circuit_id}/``: ``circuit()`` resolves the
    circuit from the authenticated caller with the permission an action needs (404 for
    non-members, 403 for members without it)."""

    queryset = Circuit.objects.none()
    request: Request

    def circuit(self, permission: str | None = None, *, allow_public: bool = False) -> Circuit:
        return circuit_get_for_member(
            user=self.request.user,
            circuit_id=self.kwargs["circuit_id"],
            permission=permission,
            allow_public=allow_public,
        )

    def bare_list(self, rows, serializer_class, **context) -> Response:
        """A bare JSON array, paged by the API's one pagination class."""
        page = self.paginate_queryset(rows)
        data = serializer_class(
            page, many=True, context={**self.get_serializer_context(), **context}
        ).data
        return self.get_paginated_response(data)

    def body(self, serializer_class, **kwargs) -> dict:
        """The request body validated by ``serializer_class`` (400 / 403 otherwise)."""
        serializer = serializer_class(
            data=request_data(self.request), context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def request_data(request: Request) -> dict:
    """The JSON body, ``{}`` when none was sent (the engine's empty bodies are optional)."""
    data = request.data
    return data if data else {}


def status_param(request: Request, allowed: list[str]) -> str | None:
    """The ``?status=`` filter, one of ``allowed`` (any case); 400 naming the choices."""
    value = request.query_params.get("status")
    if not value:
        return None
    by_lower = {choice.lower(): choice for choice in allowed}
    if value.lower() not in by_lower:
        raise exceptions.ValidationError({"status": [f"Choose one of: {', '.join(allowed)}."]})
    return by_lower[value.lower()]
