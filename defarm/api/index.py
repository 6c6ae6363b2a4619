"""``/api/``: the API's sections (read from the URL conf) and where its documentation is. The
landing page at ``/`` lists them too."""

from django.conf import settings
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

LINKS = {
    "api": "/api/",
    "docs": "/api/docs/",
    "redoc": "/api/redoc/",
    "schema": "/api/schema/",
    "health": "/health",
    "admin": "/admin/",
}

# What each part of the API is for; a section found in the URL conf but missing here is still
# listed, with an empty description.
SECTION_DESCRIPTIONS = {
    "auth": "Register, log in, refresh a token, reset a password.",
    "users": "The caller's own profile and credits (at /users/me/..., outside /api/).",
    "credit": "The caller's profile, as the earlier engine's front-end read it.",
    "api-keys": "API keys (dfm_...) with read, write and admin permissions and rate limits.",
    "items": "Items with global ids (DFIDs) and identifiers; local items, storage history.",
    "events": "What happened to an item: creation, enrichment, pushes, custom events.",
    "receipts": "Hashed receipts of raw data, queued for turning into items.",
    "circuits": "Circuits that share items: members, roles, join requests, push and pull, "
    "approvals, webhooks.",
    "public": "Read-only public views of circuits and storage history (no login).",
    "adapters": "Storage adapter types the caller may use.",
    "storage-history": "Where each item's data has been stored.",
    "notifications": "The caller's notifications.",
    "activities": "Circuit activity feed.",
    "user-activity": "The caller's recorded actions.",
    "workspaces": "Workspaces and their members.",
    "merkle": "Merkle trees and proofs over items and events.",
    "snapshots": "Hash-chained snapshots of items and circuits.",
    "proofs": "Signed attestations of claims over committed private inputs (not zero-knowledge).",
    "content": "A snapshot's stored bytes by CID, checked against the CID.",
    "timeline": "CID timelines of items.",
    "admin": "Staff only: users, credits, adapters, conflicts, admin actions.",
    "test": "Staff only: storage connectivity tests.",
}
DOCUMENTATION_SEGMENTS = {"schema", "docs", "redoc"}


def _first_segment(pattern: str) -> str:
    """``^circuits/(?P<id>...)/?$`` -> ``circuits``; ``items`` -> ``items``."""
    text = pattern.lstrip("^")
    segment = text.split("/", 1)[0]
    return segment.rstrip("$?").strip()


def _sections_of(resolver: URLResolver, found: dict[str, str], prefix: str) -> None:
    for child in resolver.url_patterns:
        if not isinstance(child, (URLPattern, URLResolver)):
            continue
        segment = _first_segment(str(child.pattern))
        if (
            segment
            and segment.replace("-", "").isalnum()
            and segment not in DOCUMENTATION_SEGMENTS
            and segment not in found
        ):
            found[segment] = f"{prefix}{segment}"


def _api_sections() -> dict[str, str]:
    """Section name -> path: the segments under ``/api/``, and those the earlier engine served
    at the root (``/users/me/...``, ``/credit/...``) from the URL conf's root includes."""
    found: dict[str, str] = {}
    root_includes = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and str(entry.pattern) == "api/":
            _sections_of(entry, found, "/api/")
        elif isinstance(entry, URLResolver) and str(entry.pattern) == "":
            root_includes.append(entry)
    for entry in root_includes:
        _sections_of(entry, found, "/")
    order = list(SECTION_DESCRIPTIONS)
    names = sorted(found, key=lambda name: (order.index(name) if name in order else 99, name))
    return {name: found[name] for name in names}


_sections_cache: list[dict[str, str]] | None = None


def api_sections() -> list[dict[str, str]]:
    """Each first path segment of the API that the URL conf serves, in reading order."""
    global _sections_cache
    if _sections_cache is None:
        _sections_cache = [
            {"name": name, "path": path, "description": SECTION_DESCRIPTIONS.get(name, "")}
            for name, path in _api_sections().items()
        ]
    return _sections_cache


class ApiSectionSerializer(serializers.Serializer):
    name = serializers.CharField()
    path = serializers.CharField()
    description = serializers.CharField()


class ApiIndexView(APIView):
    """``GET /api/``: the API's sections with a line on each, and where the docs are."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        auth=[],
        tags=["health"],
        summary="List the API's sections",
        description=(
            "Each section of the API (its first path segment under `/api/`) with what it "
            "holds, and links to the interactive documentation and the OpenAPI schema."
        ),
        responses={
            200: inline_serializer(
                "ApiIndex",
                {
                    "name": serializers.CharField(),
                    "version": serializers.CharField(),
                    "sections": ApiSectionSerializer(many=True),
                    "links": serializers.DictField(child=serializers.CharField()),
                },
            )
        },
    )
    def get(self, request):
        return Response(
            {
                "name": "DeFarm Traceability API",
                "version": settings.SPECTACULAR_SETTINGS["VERSION"],
                "sections": api_sections(),
                "links": LINKS,
            }
        )
