"""Audit events: clients record theirs, everyone reads what they may see, staff verify."""

import uuid
from datetime import UTC, datetime

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from accounts.services.user_activity import (
    ActivityType,
    Category,
    ResourceType,
    user_activity_record,
)
from audit.api import serializers
from audit.api.views.common import body_identity_check, paged_response
from audit.models import AuditEvent, AuditEventType, AuditSeverity
from audit.selectors.events import (
    AuditQuery,
    audit_chain_verify,
    audit_events_query,
    audit_events_visible_to,
)
from audit.services.incidents import incident_open_for_security_event
from audit.services.trail import audit_events_import, audit_record
from circuits.permissions import circuit_get_for_member
from defarm.api.envelopes import success_data
from defarm.api.permissions import IsStaff

EVENT_ID = inline_serializer("AuditEventId", {"event_id": drf_serializers.UUIDField()})


def _envelope(name: str, data) -> drf_serializers.Serializer:
    return inline_serializer(
        f"{name}Envelope", {"success": drf_serializers.BooleanField(), "data": data}
    )


def _at(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


def _circuit_of(request, circuit_id) -> uuid.UUID | None:
    if circuit_id is None:
        return None
    return circuit_get_for_member(user=request.user, circuit_id=circuit_id).circuit_id


_METADATA_EXAMPLE = {"user_agent": "defarm-web/2.1", "device_id": "tablet-7"}


class EventCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Record an audit event (as the caller)",
        description=(
            "Appended to the hash-chained trail, attributed to the authenticated caller; a "
            "body `user_id` naming someone else is refused. Enums are case-insensitive."
        ),
        request=serializers.LogEventSerializer,
        responses={200: _envelope("AuditEventCreated", EVENT_ID)},
        examples=[
            OpenApiExample(
                "Export of a lot",
                request_only=True,
                value={
                    "event_type": "data",
                    "action": "export",
                    "resource": "item",
                    "resource_id": "DFID-20240926-000001-2488",
                    "outcome": "success",
                    "severity": "low",
                    "details": {"format": "csv"},
                    "metadata": _METADATA_EXAMPLE,
                    "compliance": {"gdpr": True},
                },
            )
        ],
    )
    def post(self, request):
        body = serializers.LogEventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        caller = body_identity_check(request=request, user_id=data.get("user_id"))
        event = audit_record(
            user_id=caller.pk,
            event_type=data["event_type"],
            action=data["action"],
            resource=data["resource"],
            resource_id=data.get("resource_id"),
            outcome=data["outcome"],
            severity=data["severity"],
            details=data.get("details"),
            metadata=data.get("metadata"),
            compliance=data.get("compliance"),
            circuit_id=_circuit_of(request, data.get("circuit_id")),
        )
        return success_data({"event_id": str(event.event_id)})


class SecurityEventCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Record a security event; serious ones open an incident",
        description=(
            "A Security event attributed to the caller. It opens an incident (its id in "
            "`incident_id`) when its severity is `critical`, or `high` with outcome "
            "`failure` or `blocked`; otherwise `incident_id` is null. The incident's "
            "category comes from the action's words (breach/leak/exposure: data-breach, "
            "malware/compromise: system-compromise, policy/violation: policy-violation, "
            "dos/denial: denial-of-service, otherwise unauthorized-access)."
        ),
        request=serializers.LogSecurityEventSerializer,
        responses={
            200: _envelope(
                "SecurityEventCreated",
                inline_serializer(
                    "SecurityEventIds",
                    {
                        "event_id": drf_serializers.UUIDField(),
                        "incident_id": drf_serializers.UUIDField(allow_null=True),
                    },
                ),
            )
        },
        examples=[
            OpenApiExample(
                "Unauthorized export attempt",
                request_only=True,
                value={
                    "action": "unauthorized_export",
                    "resource": "circuit",
                    "outcome": "blocked",
                    "severity": "high",
                    "details": {"reason": "token reused from another device"},
                },
            )
        ],
    )
    def post(self, request):
        body = serializers.LogSecurityEventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        caller = body_identity_check(request=request, user_id=data.get("user_id"))
        with transaction.atomic():
            event = audit_record(
                user_id=caller.pk,
                event_type=AuditEventType.SECURITY,
                action=data["action"],
                resource=data["resource"],
                outcome=data["outcome"],
                severity=data["severity"],
                details=data["details"],
                metadata=data.get("metadata"),
                circuit_id=_circuit_of(request, data.get("circuit_id")),
            )
            incident = incident_open_for_security_event(event=event)
        return success_data(
            {
                "event_id": str(event.event_id),
                "incident_id": str(incident.incident_id) if incident else None,
            }
        )


DATA_CLASSIFICATION_SEVERITY = {
    "confidential": AuditSeverity.HIGH,
    "restricted": AuditSeverity.HIGH,
    "internal": AuditSeverity.MEDIUM,
}


class DataAccessEventCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Record an access to data (as the caller)",
        description=(
            "A Data event attributed to the caller. Severity follows the classification: "
            "`confidential` and `restricted` high, `internal` medium, otherwise low."
        ),
        request=serializers.LogDataAccessSerializer,
        responses={200: _envelope("DataAccessEventCreated", EVENT_ID)},
        examples=[
            OpenApiExample(
                "Read of a buyer's contract",
                request_only=True,
                value={
                    "action": "read",
                    "resource": "contract",
                    "resource_id": "C-2024-117",
                    "outcome": "success",
                    "data_classification": "confidential",
                    "compliance_flags": {"gdpr": True},
                },
            )
        ],
    )
    def post(self, request):
        body = serializers.LogDataAccessSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        caller = body_identity_check(request=request, user_id=data.get("user_id"))
        classification = data.get("data_classification")
        details = {}
        if classification:
            details["data_classification"] = classification
        if data.get("resource_id"):
            details["resource_id"] = data["resource_id"]
        event = audit_record(
            user_id=caller.pk,
            event_type=AuditEventType.DATA,
            action=data["action"],
            resource=data["resource"],
            resource_id=data.get("resource_id"),
            outcome=data["outcome"],
            severity=DATA_CLASSIFICATION_SEVERITY.get(classification or "", AuditSeverity.LOW),
            details=details,
            metadata=data.get("metadata"),
            compliance=data.get("compliance_flags"),
            circuit_id=_circuit_of(request, data.get("circuit_id")),
        )
        return success_data({"event_id": str(event.event_id)})


def _audit_query(request, data: dict) -> AuditQuery:
    user_id = data.get("user_id")
    others = user_id and user_id != request.user.pk and not request.user.is_admin
    if others and data.get("circuit_id") is None:
        raise exceptions.PermissionDenied(
            "Only staff may query another user's events outside a circuit's trail."
        )
    compliance = {
        flag: wanted
        for flag, wanted in (data.get("compliance") or {}).items()
        if wanted is not None
    }
    return AuditQuery(
        user_id=user_id,
        event_types=data.get("event_types"),
        actions=data.get("actions"),
        resources=data.get("resources"),
        outcomes=data.get("outcomes"),
        severities=data.get("severities"),
        start=_at(data.get("start_date")),
        end=_at(data.get("end_date")),
        compliance=compliance,
        circuit_id=_circuit_of(request, data.get("circuit_id")),
        sort_by=data.get("sort_by") or "timestamp",
        descending=(data.get("sort_order") or "desc") == "desc",
    )


_QUERY_EXAMPLE = OpenApiExample(
    "Failed security events, newest first",
    request_only=True,
    value={
        "event_types": ["security"],
        "outcomes": ["failure", "blocked"],
        "start_date": 1727308800,
        "sort_by": "timestamp",
        "sort_order": "desc",
        "limit": 50,
    },
)


class EventQueryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Query the audit events the caller may see",
        description=(
            "Staff see every row; others their own rows, rows about them, and the trails of "
            "circuits where they hold the Audit permission (`circuit_id` narrows to one). "
            "`limit` (default 100, at most 1000) and `offset` page; the total is in "
            "`X-Total-Count`. Default order: newest first."
        ),
        request=serializers.AuditQuerySerializer,
        responses={200: _envelope("AuditEventList", serializers.AuditEventSerializer(many=True))},
        examples=[_QUERY_EXAMPLE],
    )
    def post(self, request):
        body = serializers.AuditQuerySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rows = audit_events_query(
            events=audit_events_visible_to(user=request.user), query=_audit_query(request, data)
        )
        return paged_response(
            request=request,
            view=self,
            rows=rows,
            serializer_class=serializers.AuditEventSerializer,
            limit=data.get("limit"),
            offset=data.get("offset"),
        )


class EventExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Export the audit events the caller may see, as raw JSON objects",
        description=(
            "The query of `events/query`, answered as the engine's raw events (PascalCase "
            "enums, RFC 3339 times). Each export is itself recorded in the trail."
        ),
        request=serializers.AuditQuerySerializer,
        responses={
            200: _envelope("AuditEventExport", serializers.AuditEventRawSerializer(many=True))
        },
        examples=[_QUERY_EXAMPLE],
    )
    def post(self, request):
        body = serializers.AuditQuerySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rows = audit_events_query(
            events=audit_events_visible_to(user=request.user), query=_audit_query(request, data)
        )
        response = paged_response(
            request=request,
            view=self,
            rows=rows,
            serializer_class=serializers.AuditEventRawSerializer,
            limit=data.get("limit"),
            offset=data.get("offset"),
        )
        audit_record(
            user_id=request.user.pk,
            event_type=AuditEventType.DATA,
            action="audit.export",
            resource="audit_events",
            details={
                "format": "json",
                "rows": len(response.data["data"]),
                "total": int(response.headers["X-Total-Count"]),
            },
        )
        user_activity_record(
            user=request.user,
            activity_type=ActivityType.EXPORT,
            category=Category.ADMIN if request.user.is_admin else Category.EVENTS,
            resource_type=ResourceType.USER,
            resource_id=request.user.pk,
            action="audit_export",
            description="Exported audit events as JSON",
            metadata={"rows": len(response.data["data"])},
        )
        return response


class EventDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One audit event",
        responses={200: _envelope("AuditEventDetail", serializers.AuditEventSerializer())},
    )
    def get(self, request, audit_event_id: str):
        try:
            event_uuid = uuid.UUID(audit_event_id)
        except ValueError:
            raise exceptions.ValidationError({"event_id": ["Not a UUID."]}) from None
        event = audit_events_visible_to(user=request.user).filter(event_id=event_uuid).first()
        if event is None:
            raise exceptions.NotFound("Audit event not found.")
        return success_data(serializers.AuditEventSerializer(event).data)


class UserEventsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The audit events of one user (those the caller may see)",
        description=(
            "The caller's own events, or any user's for staff; for others, only the rows "
            "of that user in circuits where the caller holds the Audit permission. Newest "
            "first; `limit` (default 100) and `offset` page."
        ),
        parameters=[serializers.UserEventsQuerySerializer],
        responses={200: _envelope("UserAuditEvents", serializers.AuditEventSerializer(many=True))},
    )
    def get(self, request, user_id: str):
        params = serializers.UserEventsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        query = AuditQuery(
            user_id=user_id,
            event_types=[data["event_type"]] if "event_type" in data else None,
            severities=[data["severity"]] if "severity" in data else None,
            start=_at(data.get("start_date")),
            end=_at(data.get("end_date")),
        )
        rows = audit_events_query(events=audit_events_visible_to(user=request.user), query=query)
        return paged_response(
            request=request,
            view=self,
            rows=rows,
            serializer_class=serializers.AuditEventSerializer,
        )


class EventSyncView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Import audit events recorded elsewhere",
        description=(
            "Appends up to 1000 events with their own ids and timestamps; ids already in the "
            "trail are skipped. Staff may import any user's events; others only their own "
            "(another `user_id` is refused)."
        ),
        request=serializers.SyncEventsSerializer,
        responses={
            200: _envelope(
                "AuditEventSync",
                inline_serializer(
                    "AuditEventSyncCounts",
                    {
                        "imported": drf_serializers.IntegerField(),
                        "skipped": drf_serializers.IntegerField(),
                    },
                ),
            )
        },
        examples=[
            OpenApiExample(
                "One event from a field tablet",
                request_only=True,
                value={
                    "events": [
                        {
                            "event_id": "0b6f4c1e-8f0e-4c8e-9a57-2f8c1f0f4a11",
                            "timestamp": 1727308800,
                            "user_id": "user-6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
                            "event_type": "user",
                            "action": "offline_weighing",
                            "resource": "item",
                            "outcome": "success",
                            "severity": "low",
                            "details": {"kg": 412},
                        }
                    ]
                },
            )
        ],
    )
    def post(self, request):
        body = serializers.SyncEventsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        events = []
        for data in body.validated_data["events"]:
            if not request.user.is_admin:
                body_identity_check(request=request, user_id=data["user_id"])
            events.append(
                AuditEvent(
                    event_id=data["event_id"],
                    user_id=data["user_id"],
                    event_type=data["event_type"],
                    action=data["action"],
                    resource=data["resource"],
                    outcome=data["outcome"],
                    severity=data["severity"],
                    timestamp=_at(data["timestamp"]),
                    details=data["details"],
                    metadata=data.get("metadata") or {},
                    signature=data.get("signature"),
                    compliance=data.get("compliance") or {},
                )
            )
        imported, skipped = audit_events_import(events=events)
        return success_data({"imported": imported, "skipped": skipped})


class ChainVerifyView(APIView):
    """DeFarm's addition: the engine kept no chain to verify."""

    permission_classes = [IsStaff]

    @extend_schema(
        summary="Verify the audit chain (staff; DeFarm's addition)",
        description=(
            "Walks the hash chain from its checkpoint and names the first row that does not "
            "hold (missing, relinked, altered, or redacted without an erasure or retention "
            "row vouching for it). The engine had no tamper evidence; this route is DeFarm's."
        ),
        responses={
            200: _envelope("AuditChainVerification", serializers.ChainVerificationSerializer())
        },
    )
    def get(self, request):
        proof = audit_chain_verify()
        return success_data(serializers.ChainVerificationSerializer(proof).data)
