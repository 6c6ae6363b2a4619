"""``/api/public/circuits/{circuit_id}``: a circuit's public page, without login."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services.attempts import attempt_release, attempt_take
from circuits.api.serializers import PublicCircuitSerializer
from circuits.selectors import circuit_public_get
from defarm.api.exceptions import ApiError
from defarm.api.throttling import client_ip

PASSWORD_HEADER = "X-Circuit-Password"
PASSWORD_FAILURES_ALLOWED = 10
PASSWORD_FAILURE_WINDOW_SECONDS = 15 * 60


def _failures_scope(circuit_id: str) -> str:
    """Wrong passwords are counted per circuit and client address, in PostgreSQL
    (``attempt_counters``): the limit holds across every worker and replica."""
    return f"circuit-password:{circuit_id}"[:100]


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
        failures = {
            "scope": _failures_scope(circuit_id),
            "ident": client_ip(request) or "unknown",
            "window_seconds": PASSWORD_FAILURE_WINDOW_SECONDS,
        }
        # A password attempt takes a slot first (atomically, so concurrent guesses on several
        # workers cannot pass the limit together) and gives it back when it was right.
        if password and not attempt_take(limit=PASSWORD_FAILURES_ALLOWED, **failures).allowed:
            raise ApiError(
                "Too many wrong passwords for this circuit; try again later.",
                code="rate_limit_exceeded",
                status_code=429,
            )
        try:
            public = circuit_public_get(circuit_id=circuit_id, password=password)
        except ApiError as error:
            if password and error.error_code != "invalid_circuit_password":
                attempt_release(**failures)
            raise
        if password:
            attempt_release(**failures)
        return Response(PublicCircuitSerializer(public).data)
