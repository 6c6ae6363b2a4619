"""Compliance reports, compliance events, the dashboard and erasure."""

import uuid

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from audit.api import serializers
from audit.api.views.common import paged_response
from audit.api.views.events import _at, _envelope
from audit.models import AuditEventType, ReportType
from audit.selectors.events import (
    audit_dashboard_metrics,
    audit_events_visible_to,
    circuits_audited_by,
    compliance_events_in_period,
)
from audit.selectors.incidents import incidents_visible_to, reports_visible_to
from audit.services.erasure import user_personal_data_erase
from audit.services.reports import compliance_report_create
from circuits.models import CircuitItem
from defarm.api.envelopes import success_data
from defarm.api.permissions import IsStaff
from items.models import Item
from items.selectors import item_get_visible

_PERIOD_EXAMPLE = OpenApiExample(
    "September 2024", request_only=True, value={"start_date": 1725148800, "end_date": 1727740799}
)


def recall_item_for(*, user: User, dfid: str) -> Item:
    """The item a recall report may trace for ``user``: staff any; others an item they
    created, or one held by a circuit whose trail they audit (404 if they cannot see it,
    403 if they see it without either right)."""
    item = item_get_visible(user=user, dfid=dfid)
    if user.is_admin or item.created_by_id == user.pk:
        return item
    held_in = set(CircuitItem.objects.filter(item=item).values_list("circuit_id", flat=True))
    if held_in & circuits_audited_by(user=user):
        return item
    raise exceptions.PermissionDenied(
        "A recall report needs the item's creator, staff, or the Audit permission in a "
        "circuit holding it."
    )


class ComplianceReportsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Generate a compliance report from DeFarm's data",
        description=(
            "`gdpr-data-subject` / `ccpa-consumer`: everything DeFarm holds about "
            "`scope.user_id` (yourself; staff: anyone). `audit-trail`: the audit rows you may "
            "see in the period and scope (staff: with the chain's proof). `security-incident` "
            "and `sox-financial`: staff only. `food-safety` (DeFarm): the recall trace of "
            "`dfid`. The report is kept; read it with GET `compliance/reports/{report_id}`."
        ),
        request=serializers.ReportCreateSerializer,
        responses={
            200: _envelope(
                "ComplianceReportCreated",
                inline_serializer("ComplianceReportId", {"report_id": drf_serializers.UUIDField()}),
            )
        },
        examples=[
            OpenApiExample(
                "My GDPR data-subject report",
                request_only=True,
                value={
                    "report_type": "gdpr-data-subject",
                    "period_start": 1704067200,
                    "period_end": 1735689599,
                    "scope": {
                        "resource_types": [],
                        "event_types": [],
                        "regulations": ["GDPR"],
                    },
                    "export_format": "json",
                    "include_evidence": True,
                },
            )
        ],
    )
    def post(self, request):
        body = serializers.ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item = None
        if data["report_type"] == ReportType.FOOD_SAFETY and data.get("dfid"):
            item = recall_item_for(user=request.user, dfid=data["dfid"])
        report = compliance_report_create(
            requester=request.user,
            report_type=data["report_type"],
            period_start_ts=data["period_start"],
            period_end_ts=data["period_end"],
            scope=data.get("scope") or {},
            export_format=data.get("export_format") or "Json",
            include_evidence=bool(data.get("include_evidence")),
            item=item,
        )
        return success_data({"report_id": str(report.report_id)})

    @extend_schema(
        summary="List compliance reports (staff: all; others: theirs and those about them)",
        operation_id="audit_compliance_reports_list",
        parameters=[serializers.ReportQuerySerializer],
        responses={
            200: _envelope(
                "ComplianceReportList", serializers.ComplianceReportSerializer(many=True)
            )
        },
    )
    def get(self, request):
        params = serializers.ReportQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        reports = reports_visible_to(user=request.user).defer("content")
        if "report_type" in data:
            reports = reports.filter(report_type=data["report_type"])
        return paged_response(
            request=request,
            view=self,
            rows=reports.order_by("-generated_at_ts", "report_id"),
            serializer_class=serializers.ComplianceReportSerializer,
        )


class ComplianceReportDetailView(APIView):
    """DeFarm's addition: the engine kept no reports to read back."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One compliance report with its content (DeFarm's addition)",
        description="The engine never kept its reports; DeFarm keeps them, and serves them here.",
        responses={
            200: _envelope("ComplianceReportDetail", serializers.ComplianceReportDetailSerializer())
        },
    )
    def get(self, request, report_id: str):
        try:
            report_uuid = uuid.UUID(report_id)
        except ValueError:
            raise exceptions.ValidationError({"report_id": ["Not a UUID."]}) from None
        report = reports_visible_to(user=request.user).filter(pk=report_uuid).first()
        if report is None:
            raise exceptions.NotFound("Report not found.")
        return success_data(serializers.ComplianceReportDetailSerializer(report).data)


class GdprReportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="GDPR data-subject report of the caller (bare)",
        description=(
            "Everything DeFarm holds about the caller (staff: about `user_id`), in `report`; "
            "`total_events` counts the audit rows about them in the period."
        ),
        request=serializers.GdprReportSerializer,
        responses={200: serializers.PeriodReportSerializer},
        examples=[_PERIOD_EXAMPLE],
    )
    def post(self, request):
        body = serializers.GdprReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        report = compliance_report_create(
            requester=request.user,
            report_type=ReportType.GDPR,
            period_start_ts=data["start_date"],
            period_end_ts=data["end_date"],
            scope={
                "user_id": data.get("user_id"),
                "resource_types": ["all"],
                "event_types": [AuditEventType.DATA, AuditEventType.ACCESS],
                "regulations": ["GDPR"],
            },
            include_evidence=True,
        )
        return Response(
            serializers.PeriodReportSerializer(
                serializers.PeriodReportSerializer.body(report, "gdpr")
            ).data
        )


class FoodSafetyReportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Food-safety report: an item's recall trace, or the period's activity (bare)",
        description=(
            "With `dfid` (DeFarm): every related item up- and downstream (merges, splits, "
            "tokenized local items) and, for all of them, every circuit, holder, event and "
            "storage location, in `report.recall`. Allowed to staff, the item's creator, and "
            "members holding the Audit permission in a circuit that holds it. Without "
            "`dfid`: counts of the caller's visible items and events in the period."
        ),
        request=serializers.FoodSafetyReportSerializer,
        responses={200: serializers.PeriodReportSerializer},
        examples=[
            OpenApiExample(
                "Recall of one lot",
                request_only=True,
                value={
                    "start_date": 1725148800,
                    "end_date": 1727740799,
                    "dfid": "DFID-20240926-000001-2488",
                },
            )
        ],
    )
    def post(self, request):
        body = serializers.FoodSafetyReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item = recall_item_for(user=request.user, dfid=data["dfid"]) if data.get("dfid") else None
        report = compliance_report_create(
            requester=request.user,
            report_type=ReportType.FOOD_SAFETY,
            period_start_ts=data["start_date"],
            period_end_ts=data["end_date"],
            scope={
                "resource_types": ["supply_chain", "food_items"],
                "event_types": [AuditEventType.SYSTEM, AuditEventType.COMPLIANCE],
                "regulations": ["FDA_FSMA", "EU_Food_Law"],
            },
            export_format="Pdf",
            include_evidence=True,
            item=item,
        )
        return Response(
            serializers.PeriodReportSerializer(
                serializers.PeriodReportSerializer.body(report, "food_safety")
            ).data
        )


class ComplianceEventsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Compliance-related audit events in a period (bare list)",
        description=(
            "Compliance events and events carrying a compliance flag, among those the caller "
            "may see; oldest first, `?limit=&offset=` page (default 100)."
        ),
        request=serializers.PeriodSerializer,
        parameters=[serializers.PagingSerializer],
        responses={200: serializers.AuditEventSerializer(many=True)},
        examples=[_PERIOD_EXAMPLE],
    )
    def post(self, request):
        body = serializers.PeriodSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = compliance_events_in_period(
            events=audit_events_visible_to(user=request.user),
            start=_at(body.validated_data["start_date"]),
            end=_at(body.validated_data["end_date"]),
        )
        return paged_response(
            request=request,
            view=self,
            rows=rows,
            serializer_class=serializers.AuditEventSerializer,
            envelope=False,
        )


class DashboardMetricsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Audit dashboard: counts over the events and incidents the caller may see",
        description=(
            "Real counts. `risk_score`: severity weights (low 1, medium 2, high 5, critical "
            "10) of a user's failed or blocked rows over ten times its row count. Anomalies: "
            "five or more failed or blocked security rows by one user in 24 hours, and every "
            "critical row of the last 24 hours."
        ),
        responses={200: _envelope("AuditDashboard", serializers.DashboardMetricsSerializer())},
    )
    def get(self, request):
        metrics = audit_dashboard_metrics(
            events=audit_events_visible_to(user=request.user),
            incidents=incidents_visible_to(user=request.user),
        )
        return success_data(serializers.DashboardMetricsSerializer(metrics).data)


class ErasureView(APIView):
    """DeFarm's addition: the engine could not erase anyone's data."""

    permission_classes = [IsStaff]

    @extend_schema(
        summary="Erase a person's personal data (staff; DeFarm's addition)",
        description=(
            "Anonymises the account (username, e-mail, password; Suspended), revokes its API "
            "keys, deletes its notifications and anonymises its audit rows; items and history "
            "stay for traceability. The audit chain still verifies."
        ),
        request=serializers.ErasureSerializer,
        responses={
            200: _envelope(
                "ErasureDone",
                inline_serializer(
                    "ErasureCounts",
                    {
                        "user_id": drf_serializers.CharField(),
                        "audit_rows": drf_serializers.IntegerField(),
                        "api_keys_revoked": drf_serializers.IntegerField(),
                        "notifications_deleted": drf_serializers.IntegerField(),
                        "erasure_event_id": drf_serializers.UUIDField(),
                    },
                ),
            )
        },
        examples=[
            OpenApiExample(
                "Erase a former supplier",
                request_only=True,
                value={"user_id": "user-6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"},
            )
        ],
    )
    def post(self, request):
        body = serializers.ErasureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = User.objects.filter(pk=body.validated_data["user_id"]).first()
        if user is None:
            raise exceptions.NotFound("User not found.")
        if user.pk == request.user.pk:
            raise exceptions.ValidationError({"user_id": ["Staff cannot erase themselves."]})
        result = user_personal_data_erase(user=user, actor=request.user)
        return success_data(
            {
                "user_id": result.user.pk,
                "audit_rows": result.audit_rows,
                "api_keys_revoked": result.api_keys_revoked,
                "notifications_deleted": result.notifications_deleted,
                "erasure_event_id": str(result.erasure_event.event_id),
            }
        )
