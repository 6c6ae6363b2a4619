"""Security incidents: reported by anyone signed in, handled by staff."""

import uuid

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from audit.api import serializers
from audit.api.views.common import paged_response
from audit.api.views.events import _envelope
from audit.models import SecurityIncident
from audit.selectors.incidents import incidents_visible_to
from audit.services import incidents as incident_services
from defarm.api.envelopes import success_data
from defarm.api.permissions import IsStaff

EMPTY = inline_serializer("Empty", {})


def incident_visible(request, incident_id: str) -> SecurityIncident:
    try:
        incident_uuid = uuid.UUID(incident_id)
    except ValueError:
        raise exceptions.ValidationError({"incident_id": ["Not a UUID."]}) from None
    incident = incidents_visible_to(user=request.user).filter(pk=incident_uuid).first()
    if incident is None:
        raise exceptions.NotFound("Incident not found.")
    return incident


class IncidentsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Report a security incident",
        description="Anyone signed in may report one; it is recorded as reported by the caller.",
        request=serializers.IncidentCreateSerializer,
        responses={
            200: _envelope(
                "IncidentCreated",
                inline_serializer("IncidentId", {"incident_id": drf_serializers.UUIDField()}),
            )
        },
        examples=[
            OpenApiExample(
                "Leaked API key",
                request_only=True,
                value={
                    "title": "API key posted in a public chat",
                    "description": "The key dfm_Ab... was pasted in the co-op's group.",
                    "severity": "high",
                    "category": "data-breach",
                    "affected_users": [],
                    "affected_resources": ["api_key"],
                    "related_event_ids": [],
                },
            )
        ],
    )
    def post(self, request):
        body = serializers.IncidentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = incident_services.incident_create(reporter=request.user, **body.validated_data)
        return success_data({"incident_id": str(incident.incident_id)})

    @extend_schema(
        summary="List incidents (staff: all; others: those they reported)",
        operation_id="audit_incidents_list",
        parameters=[serializers.IncidentQuerySerializer],
        responses={200: _envelope("IncidentList", serializers.IncidentSerializer(many=True))},
    )
    def get(self, request):
        params = serializers.IncidentQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        incidents = incidents_visible_to(user=request.user)
        if "severity" in data:
            incidents = incidents.filter(severity=data["severity"])
        if "status" in data:
            incidents = incidents.filter(status=data["status"])
        if "assignee" in data:
            incidents = incidents.filter(assigned_to_id=data["assignee"])
        return paged_response(
            request=request,
            view=self,
            rows=incidents.order_by("-created_at_ts", "incident_id"),
            serializer_class=serializers.IncidentSerializer,
        )


class IncidentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One incident",
        responses={200: _envelope("IncidentDetail", serializers.IncidentSerializer())},
    )
    def get(self, request, incident_id: str):
        incident = incident_visible(request, incident_id)
        return success_data(serializers.IncidentSerializer(incident).data)


class IncidentAssignView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        summary="Assign an incident to a staff user (staff)",
        description="An open incident becomes in progress; who assigned it and when is kept.",
        request=serializers.IncidentAssignSerializer,
        responses={200: _envelope("IncidentAssigned", EMPTY)},
        examples=[
            OpenApiExample("To a staff user", request_only=True, value={"assignee": "admin"})
        ],
    )
    def put(self, request, incident_id: str):
        incident = incident_visible(request, incident_id)
        body = serializers.IncidentAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident_services.incident_assign(
            incident=incident, actor=request.user, assignee=body.validated_data["assignee"]
        )
        return success_data({})


class IncidentResolveView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        summary="Resolve an incident (staff)",
        description="Keeps who resolved it and when; an optional `resolution` text.",
        request=serializers.IncidentResolveSerializer,
        responses={200: _envelope("IncidentResolved", EMPTY)},
        examples=[
            OpenApiExample(
                "Key revoked", request_only=True, value={"resolution": "Key revoked, owner told."}
            )
        ],
    )
    def put(self, request, incident_id: str):
        incident = incident_visible(request, incident_id)
        body = serializers.IncidentResolveSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        incident_services.incident_resolve(
            incident=incident, actor=request.user, resolution=body.validated_data["resolution"]
        )
        return success_data({})


class IncidentCloseView(APIView):
    """DeFarm's addition: the engine's incidents could be resolved but never closed."""

    permission_classes = [IsStaff]

    @extend_schema(
        summary="Close an incident (staff; DeFarm's addition)",
        description="Closed is final; keeps who closed it and when. The engine had no close.",
        request=None,
        responses={200: _envelope("IncidentClosed", EMPTY)},
    )
    def put(self, request, incident_id: str):
        incident = incident_visible(request, incident_id)
        incident_services.incident_close(incident=incident, actor=request.user)
        return success_data({})


class ComplianceIncidentsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Incidents opened in a period (bare list)",
        request=serializers.PeriodSerializer,
        parameters=[serializers.PagingSerializer],
        responses={200: serializers.IncidentSerializer(many=True)},
        examples=[
            OpenApiExample(
                "September 2024",
                request_only=True,
                value={"start_date": 1725148800, "end_date": 1727740799},
            )
        ],
    )
    def post(self, request):
        body = serializers.PeriodSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        start, end = body.validated_data["start_date"], body.validated_data["end_date"]
        incidents = incidents_visible_to(user=request.user).filter(
            created_at_ts__gte=start, created_at_ts__lte=end
        )
        return paged_response(
            request=request,
            view=self,
            rows=incidents.order_by("created_at_ts", "incident_id"),
            serializer_class=serializers.IncidentSerializer,
            envelope=False,
        )


__all__ = [
    "ComplianceIncidentsView",
    "IncidentAssignView",
    "IncidentCloseView",
    "IncidentDetailView",
    "IncidentResolveView",
    "IncidentsView",
]
