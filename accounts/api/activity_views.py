"""The earlier engine's user-activity routes (CONTRACT.md §8.22), persisted and scoped: a
caller records and reads their own activities (staff: everyone's, by ``user_id``); cleanup
by retention is for staff."""

import math

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from accounts import selectors
from accounts.api import activity_serializers as serializers
from accounts.api.fields import rfc3339_from_unix
from accounts.api.views import EnvelopedListSchema, _with_paging_headers
from accounts.models import User, WorkspaceMember
from accounts.services import user_activity as services
from defarm.api.envelopes import success_data
from defarm.api.identity import caller_named_check
from defarm.api.pagination import LimitOffsetPagination
from defarm.api.permissions import IsStaff
from defarm.timeutils import unix_now

UUID_PATTERN = r"[0-9a-fA-F-]{32,36}"
SECONDS_PER_DAY = 86_400

RECORD_EXAMPLE = OpenApiExample(
    "An export done by the client",
    value={
        "activity_type": "Export",
        "category": "Items",
        "resource_type": "Item",
        "resource_id": "DFID-20250101-000001-1234",
        "action": "export_csv",
        "description": "Exported the herd register as CSV",
        "metadata": {"rows": 120},
    },
    request_only=True,
)


class UserActivityPagination(LimitOffsetPagination):
    default_limit = 50


def _user_filter(request, user_id: str | None) -> str | None:
    """Staff may name any user; others only themselves (403 otherwise)."""
    if user_id and not request.user.is_admin:
        caller_named_check(request=request, field="user_id", value=user_id)
    return user_id or None


class UserActivityViewSet(viewsets.GenericViewSet):
    serializer_class = serializers.UserActivitySerializer
    schema = EnvelopedListSchema()
    permission_classes = [IsAuthenticated]
    lookup_field = "activity_id"
    lookup_value_regex = UUID_PATTERN
    filter_backends = []
    pagination_class = UserActivityPagination

    def get_queryset(self):
        return selectors.user_activities_visible_to(user=self.request.user)

    def _workspace_check(self, workspace_id: str | None) -> None:
        user: User = self.request.user
        if not workspace_id or workspace_id == user.workspace_id or user.is_admin:
            return
        if not WorkspaceMember.objects.filter(workspace_id=workspace_id, user=user).exists():
            raise exceptions.PermissionDenied("The caller is not a member of that workspace.")

    @extend_schema(
        request=serializers.UserActivityRecordSerializer,
        responses=serializers.UserActivityRecordedEnvelopeSerializer,
        examples=[RECORD_EXAMPLE],
        summary="Record an activity of the caller",
        description="`user_id` may be sent but must be the caller (403 otherwise). Enum "
        "values are read in any case.",
    )
    def create(self, request):
        body = serializers.UserActivityRecordSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self._workspace_check(data.get("workspace_id"))
        activity = services.user_activity_record(user=request.user, **data)
        return success_data(
            {
                "activity_id": str(activity.activity_id),
                "timestamp": rfc3339_from_unix(activity.timestamp_ts),
            }
        )

    @extend_schema(
        parameters=[serializers.UserActivityQuerySerializer],
        responses=serializers.UserActivityPageEnvelopeSerializer,
        summary="The caller's activities, newest first (staff: everyone's)",
        description="Pages with `page` (from 1) and `per_page` (default 50, at most 1,000), "
        "or `limit`/`offset`; the page's `total` and `total_pages` are in the answer, the "
        "total also in `X-Total-Count` and the neighbouring pages in `Link`.",
    )
    def list(self, request):
        params = serializers.UserActivityQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        activities = selectors.user_activities_visible_to(
            user=request.user,
            user_id=_user_filter(request, query.get("user_id")),
            category=query.get("category"),
            activity_type=query.get("activity_type"),
            resource_type=query.get("resource_type"),
            start_ts=serializers.unix_seconds(query["start_date"])
            if "start_date" in query
            else None,
            end_ts=serializers.unix_seconds(query["end_date"]) if "end_date" in query else None,
            search=query.get("search_query"),
        )
        paginator = self.paginator
        rows = paginator.paginate_queryset(activities, request, view=self)
        data = {
            "activities": serializers.UserActivitySerializer(rows, many=True).data,
            "total": paginator.count,
            "page": paginator.offset // paginator.limit + 1,
            "per_page": paginator.limit,
            "total_pages": math.ceil(paginator.count / paginator.limit),
        }
        return _with_paging_headers(success_data(data), paginator)

    @extend_schema(
        responses=serializers.UserActivityEnvelopeSerializer,
        operation_id="api_user_activity_detail",
        summary="One of the caller's activities (staff: anyone's)",
        description="404 for another user's activity or an unknown id.",
    )
    def retrieve(self, request, activity_id=None):
        activity = self.get_object()
        return success_data(serializers.UserActivitySerializer(activity).data)

    @extend_schema(
        parameters=[serializers.UserActivityStatsQuerySerializer],
        responses=serializers.UserActivityStatsEnvelopeSerializer,
        summary="Counts of the caller's activities over the last days (staff: everyone's)",
        description="Totals per category and type, the five busiest UTC hours and the "
        "success rate in percent over `period_days` (default 30).",
    )
    @action(detail=False, methods=["get"])
    def stats(self, request):
        params = serializers.UserActivityStatsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        activities = selectors.user_activities_visible_to(
            user=request.user, user_id=_user_filter(request, query.get("user_id"))
        )
        end = unix_now()
        stats = selectors.user_activity_stats(
            activities=activities,
            start_ts=end - query["period_days"] * SECONDS_PER_DAY,
            end_ts=end,
        )
        return success_data(serializers.UserActivityStatsSerializer(stats).data)

    @extend_schema(
        request=serializers.UserActivityCleanupSerializer,
        responses=serializers.UserActivityCleanupEnvelopeSerializer,
        examples=[
            OpenApiExample(
                "Before a date",
                value={"before_date": "2025-01-01T00:00:00Z"},
                request_only=True,
            )
        ],
        summary="Delete activities past their user's retention (staff)",
        description="Deletes the activities older than their user's tier keeps them "
        "(`max_audit_retention_days`), only those before `before_date` when it is given. "
        "Recorded as an admin action.",
    )
    @action(detail=False, methods=["delete"], permission_classes=[IsStaff])
    def cleanup(self, request):
        body = serializers.UserActivityCleanupSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        before = body.validated_data.get("before_date")
        deleted = services.user_activities_cleanup(
            admin=request.user,
            before_ts=serializers.unix_seconds(before) if before is not None else None,
        )
        return success_data({"deleted_count": deleted})
