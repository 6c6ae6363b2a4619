"""``/api/public/circuits/{circuit_id}``: a circuit's public page, without login."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circuits.api.serializers import PublicCircuitSerializer
from circuits.selectors import circuit_public_get

PASSWORD_HEADER = "X-Circuit-Password"


class PublicCircuitView(APIView):
    """Branding and published items (with their Public events) of a public circuit. 404 when
    the circuit is not public (or not yet, when scheduled); a protected circuit takes its
    password in the ``X-Circuit-Password`` header or the ``password`` query parameter."""

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
        public = circuit_public_get(circuit_id=circuit_id, password=password)
        return Response(PublicCircuitSerializer(public).data)
