"""``GET /api/circuits/{id}/public`` (a circuit's public page, without login) and
``POST /api/circuits/{id}/public/join``."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services.attempts import attempt_release, attempt_take
from circuits import selectors, services
from circuits.api.serializers.members import PublicJoinResultSerializer, PublicJoinSerializer
from circuits.api.serializers.public import (
    PublicCircuitEnvelopeSerializer,
    PublicCircuitSerializer,
)
from circuits.api.views.base import CircuitScopedViewSet
from circuits.models import CircuitMember
from defarm.api.envelopes import success_data, success_with
from defarm.api.exceptions import ApiError
from defarm.api.throttling import client_ip

PASSWORD_HEADER = "X-Circuit-Password"
PASSWORD_FAILURES_ALLOWED = 10
PASSWORD_FAILURE_WINDOW_SECONDS = 15 * 60


def _failures_scope(circuit_id: str) -> str:
    """Wrong passwords are counted per circuit and client address, in PostgreSQL
    (``attempt_counters``): the limit holds across every worker and replica."""
    return f"circuit-password:{circuit_id}"[:100]


def _password_guard(request: Request, circuit_id: str, password: str | None, check) -> object:
    """Run ``check``; after 10 wrong passwords from one address in 15 minutes, 429."""
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
        result = check()
    except ApiError as error:
        if password and error.error_code != "invalid_circuit_password":
            attempt_release(**failures)
        raise
    if password:
        attempt_release(**failures)
    return result


class PublicCircuitView(APIView):
    """Branding, counts and published items (with their Public events) of a circuit with
    public settings; 404 ``circuit_not_public`` otherwise. A protected circuit shows its
    items only with its password in the ``X-Circuit-Password`` header or the ``password``
    query parameter (403 when wrong; after 10 wrong passwords from one address in 15 minutes,
    429); a scheduled one from its date on."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A circuit's public page",
        parameters=[
            OpenApiParameter(PASSWORD_HEADER, str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("password", str, required=False),
        ],
        responses=PublicCircuitEnvelopeSerializer,
    )
    def get(self, request: Request, circuit_id: str) -> Response:
        password = request.headers.get(PASSWORD_HEADER) or request.query_params.get("password")
        public = _password_guard(
            request,
            circuit_id,
            password,
            lambda: selectors.circuit_public_get(circuit_id=circuit_id, password=password),
        )
        return success_data(PublicCircuitSerializer(public).data)


class PublicJoinViewSet(CircuitScopedViewSet):
    @extend_schema(
        summary="Join a circuit from its public page",
        description="With `auto_approve_members` the caller becomes a Member at once; "
        "otherwise a join request waits for a manager. A protected circuit needs "
        "`access_password`.",
        request=PublicJoinSerializer,
        responses=PublicJoinResultSerializer,
        examples=[OpenApiExample("Join", request_only=True, value={"message": "We sell calves"})],
    )
    def create(self, request: Request, circuit_id: str) -> Response:
        circuit = selectors.circuit_for_join_request(circuit_id=circuit_id)
        body = self.body(PublicJoinSerializer)
        joined = services.circuit_join_public(
            circuit=circuit,
            user=request.user,
            password=body.get("access_password"),
            message=body.get("message") or "",
        )
        if isinstance(joined, CircuitMember):
            return success_with(message="Automatically approved", requires_approval=False)
        return success_with(message="Join request submitted", requires_approval=True)
