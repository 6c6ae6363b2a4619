"""The public service routes: the banner at ``/``, liveness at ``/health`` and the database
check at ``/health/db`` (the earlier engine's shapes), plus ``/healthz``."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from defarm.api.index import LINKS, ApiSectionSerializer, api_sections

SERVICE_NAME = "DeFarm Traceability API"
SERVICE_DESCRIPTION = "Privacy-first agricultural traceability system"
SERVICE_FEATURES = [
    "Items - global identifiers (DFIDs), identifiers, local items, merges and splits",
    "Events - item lifecycle tracking",
    "Circuits - permission-controlled sharing with approvals",
    "Receipts - cryptographic receipts of received data",
    "Storage adapters - IPFS, Stellar and local storage with history",
    "Credits and tiers - per-operation costs and limits",
    "API keys - hashed keys with permissions, IP and endpoint lists and rate limits",
    "Notifications - per-user notices of circuit and account changes",
    "Audit - admin actions, logs and data-lake entries",
    "EPCIS 2.0 - capture and query of supply-chain events",
]


def _service_version() -> str:
    return settings.SPECTACULAR_SETTINGS.get("VERSION", "1.0.0")


def _database_backend() -> str:
    return settings.DATABASE_KIND


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True


class RootSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    description = serializers.CharField()
    features = serializers.ListField(child=serializers.CharField())
    links = serializers.DictField(
        child=serializers.CharField(), help_text="Where the API index, docs and health are."
    )
    sections = ApiSectionSerializer(many=True)


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="Always `healthy` when the process answers.")
    timestamp = serializers.DateTimeField()
    uptime = serializers.CharField()


class DatabaseStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["connected", "unavailable"])
    message = serializers.CharField()
    timestamp = serializers.DateTimeField()
    backend = serializers.CharField(
        help_text="`postgresql`; `sqlite` (the file in the data directory, without "
        "DATABASE_URL); or `sqlite-memory` when the process serves the in-memory database "
        "(nothing persists)."
    )


class DatabaseHealthSerializer(serializers.Serializer):
    database = DatabaseStatusSerializer()


class HealthzSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = serializers.CharField()


class PublicView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


class LandingPageRenderer(TemplateHTMLRenderer):
    template_name = "defarm/landing.html"


class RootView(PublicView):
    """API clients get the banner as JSON; a browser (``Accept: text/html`` first) gets a short
    page saying what DeFarm is, with links to the docs, the admin and the health check."""

    renderer_classes = [JSONRenderer, LandingPageRenderer]

    @extend_schema(
        responses=RootSerializer,
        auth=[],
        tags=["health"],
        summary="What this service is",
        description=(
            "A fixed description of the service and what it offers, with `links` to the API "
            "index, the documentation and the health check. A browser (`Accept: text/html`) "
            "gets an HTML landing page instead."
        ),
    )
    def get(self, request):
        return Response(
            {
                "name": SERVICE_NAME,
                "version": _service_version(),
                "description": SERVICE_DESCRIPTION,
                "features": SERVICE_FEATURES,
                "links": LINKS,
                "sections": api_sections(),
            }
        )


class HealthView(PublicView):
    @extend_schema(
        responses=HealthSerializer,
        auth=[],
        tags=["health"],
        summary="Liveness: the process answers",
        description="Touches nothing; `/health/db` checks the database.",
    )
    def get(self, request):
        return Response(
            {"status": "healthy", "timestamp": timezone.now(), "uptime": "System operational"}
        )


class DatabaseHealthView(PublicView):
    @extend_schema(
        responses={
            200: DatabaseHealthSerializer,
            503: OpenApiResponse(DatabaseHealthSerializer, description="The database is down."),
        },
        auth=[],
        tags=["health"],
        summary="Whether the database answers a query",
    )
    def get(self, request):
        connected = _database_answers()
        body = {
            "database": {
                "status": "connected" if connected else "unavailable",
                "message": (
                    "The database answers queries."
                    if connected
                    else "The database is not answering."
                ),
                "timestamp": timezone.now(),
                "backend": _database_backend(),
            }
        }
        return Response(DatabaseHealthSerializer(body).data, status=200 if connected else 503)


class HealthzView(PublicView):
    @extend_schema(
        responses={
            200: HealthzSerializer,
            503: OpenApiResponse(HealthzSerializer, description="The database is down."),
        },
        auth=[],
        tags=["health"],
        summary="Database check in one line (deployment probe)",
        description=(
            "Kept beside `/health/db` for deployments and load balancers already probing "
            "`/healthz`: a flat body naming the database backend, 503 when it does not answer."
        ),
    )
    def get(self, request):
        database = _database_backend()
        if not _database_answers():
            return Response({"status": "unavailable", "database": database}, status=503)
        return Response({"status": "ok", "database": database})
