"""``/api/public/circuits/{circuit_id}``: a circuit's public page, without login."""

from django.core.cache import cache
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circuits.api.serializers import PublicCircuitSerializer
from circuits.selectors import circuit_public_get
from defarm.api.exceptions import ApiError
from defarm.api.throttling import client_ip

PASSWORD_HEADER = "X-Circuit-Password"
PASSWORD_FAILURES_ALLOWED = 10
PASSWORD_FAILURE_WINDOW_SECONDS = 15 * 60


def _failures_key(request: Request, circuit_id: str) -> str:
    return f"circuit-password-failures:{circuit_id}:{client_ip(request) or 'unknown'}"


class PublicCircuitView(APIView):
    """Branding and published items (with their Public events) of a public circuit. 404 when
    the circuit is not public (or not yet, when scheduled); a protected circuit takes its
    password in the ``X-Circuit-Password`` header or the ``password`` query parameter (401
    without, 403 when wrong; after 10 wrong passwords from one address in 15 minutes, 429)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(PASSWORD_HEADER, str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("password", str, required=False),
        ],
        responses=PublicCircuitSerializer,
    )
    def get(self, request: Request, circuit_id: str) -> Response:
        password = request.headers.get(PASSWORD_HEADER) or request.query_params.get("password")
        failures_key = _failures_key(request, circuit_id)
        if password and cache.get(failures_key, 0) >= PASSWORD_FAILURES_ALLOWED:
            raise ApiError(
                "Too many wrong passwords for this circuit; try again later.",
                code="rate_limit_exceeded",
                status_code=429,
            )
        try:
            public = circuit_public_get(circuit_id=circuit_id, password=password)
        except ApiError as error:
            if error.error_code == "invalid_circuit_password":
                cache.add(failures_key, 0, PASSWORD_FAILURE_WINDOW_SECONDS)
                cache.incr(failures_key)
            raise
        return Response(PublicCircuitSerializer(public).data)
