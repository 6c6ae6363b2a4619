"""The engine's audit shapes: request bodies it took and the objects it answered."""

from datetime import UTC, datetime

from rest_framework import serializers

from audit import models
from audit.api import fields

# chrono's DateTime::from_timestamp range, which the engine's handlers enforced.
MIN_TS, MAX_TS = -62135596800, 253402300799


def unix_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=MIN_TS, max_value=MAX_TS, **kwargs)


def rfc3339(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


# --- Requests ---------------------------------------------------------------------------------


class MetadataSerializer(serializers.Serializer):
    user_agent = serializers.CharField(required=False, allow_null=True, max_length=500)
    ip_address = serializers.CharField(required=False, allow_null=True, max_length=100)
    location = serializers.CharField(required=False, allow_null=True, max_length=255)
    device_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    session_duration = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class ComplianceSerializer(serializers.Serializer):
    gdpr = serializers.BooleanField(required=False, allow_null=True, default=None)
    ccpa = serializers.BooleanField(required=False, allow_null=True, default=None)
    hipaa = serializers.BooleanField(required=False, allow_null=True, default=None)
    sox = serializers.BooleanField(required=False, allow_null=True, default=None)


class _ClientEventSerializer(serializers.Serializer):
    user_id = serializers.CharField(
        required=False,
        max_length=255,
        help_text="Ignored when it names the caller; another user's id is refused (403).",
    )
    action = serializers.CharField(max_length=255)
    resource = serializers.CharField(max_length=255)
    outcome = fields.OutcomeField()
    metadata = MetadataSerializer(required=False, allow_null=True)
    circuit_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="DeFarm: puts the row in the circuit's trail (the caller must be a member).",
    )


class LogEventSerializer(_ClientEventSerializer):
    event_type = fields.EventTypeField()
    resource_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    severity = fields.SeverityField()
    details = serializers.DictField(required=False, allow_null=True)
    compliance = ComplianceSerializer(required=False, allow_null=True)


class LogSecurityEventSerializer(_ClientEventSerializer):
    severity = fields.SeverityField()
    details = serializers.DictField()


class LogDataAccessSerializer(_ClientEventSerializer):
    resource_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    data_classification = serializers.CharField(required=False, allow_null=True, max_length=100)
    compliance_flags = ComplianceSerializer(required=False, allow_null=True)


class AuditQuerySerializer(serializers.Serializer):
    user_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    event_types = serializers.ListField(
        child=fields.EventTypeField(), required=False, allow_null=True
    )
    actions = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, allow_null=True
    )
    resources = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, allow_null=True
    )
    outcomes = serializers.ListField(child=fields.OutcomeField(), required=False, allow_null=True)
    severities = serializers.ListField(
        child=fields.SeverityField(), required=False, allow_null=True
    )
    start_date = unix_field(required=False, allow_null=True)
    end_date = unix_field(required=False, allow_null=True)
    compliance = ComplianceSerializer(required=False, allow_null=True)
    limit = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    offset = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    sort_by = serializers.ChoiceField(
        choices=["timestamp", "severity", "event_type"], required=False, allow_null=True
    )
    sort_order = serializers.ChoiceField(choices=["asc", "desc"], required=False, allow_null=True)
    circuit_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="DeFarm: only this circuit's trail."
    )


class PagingSerializer(serializers.Serializer):
    """The API's paging parameters, for the schema (the pagination class reads them)."""

    limit = serializers.IntegerField(
        required=False, min_value=1, help_text="Rows per page (default 100, at most 1,000)."
    )
    offset = serializers.IntegerField(required=False, min_value=0, help_text="Rows to skip.")
    page = serializers.IntegerField(
        required=False, min_value=1, help_text="1-based page number (with per_page)."
    )
    per_page = serializers.IntegerField(
        required=False, min_value=1, help_text="Rows per page when paging with page."
    )


class UserEventsQuerySerializer(PagingSerializer):
    event_type = fields.EventTypeField(required=False)
    severity = fields.SeverityField(required=False)
    start_date = unix_field(required=False)
    end_date = unix_field(required=False)


class SyncEventSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    timestamp = unix_field()
    user_id = serializers.CharField(max_length=255)
    event_type = fields.EventTypeField()
    action = serializers.CharField(max_length=255)
    resource = serializers.CharField(max_length=255)
    outcome = fields.OutcomeField()
    severity = fields.SeverityField()
    details = serializers.DictField()
    metadata = MetadataSerializer(required=False, allow_null=True)
    signature = serializers.CharField(required=False, allow_null=True)
    compliance = ComplianceSerializer(required=False, allow_null=True)


class SyncEventsSerializer(serializers.Serializer):
    events = SyncEventSerializer(many=True, max_length=1000)


class IncidentCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField()
    severity = fields.SeverityField()
    category = fields.IncidentCategoryField()
    affected_users = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, default=list
    )
    affected_resources = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, default=list
    )
    related_event_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list
    )


class IncidentQuerySerializer(PagingSerializer):
    severity = fields.SeverityField(required=False)
    status = fields.IncidentStatusField(required=False)
    assignee = serializers.CharField(required=False, max_length=255)


class IncidentAssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(max_length=255, help_text="A staff user's id or username.")


class IncidentResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(required=False, allow_blank=True, default="")


class ScopeSerializer(serializers.Serializer):
    user_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    resource_types = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, default=list
    )
    event_types = serializers.ListField(child=fields.EventTypeField(), required=False, default=list)
    regulations = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list
    )


class ReportCreateSerializer(serializers.Serializer):
    report_type = fields.ReportTypeField()
    period_start = unix_field()
    period_end = unix_field()
    scope = ScopeSerializer(required=False, default=dict)
    export_format = fields.ExportFormatField(required=False, allow_null=True)
    include_evidence = serializers.BooleanField(required=False, allow_null=True, default=False)
    dfid = serializers.CharField(
        required=False, allow_null=True, max_length=255, help_text="DeFarm: a food-safety item."
    )


class ReportQuerySerializer(PagingSerializer):
    report_type = fields.ReportTypeField(required=False)


class PeriodSerializer(serializers.Serializer):
    start_date = unix_field()
    end_date = unix_field()


class GdprReportSerializer(PeriodSerializer):
    user_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=255,
        help_text="DeFarm, staff only: the data subject (default: the caller).",
    )


class FoodSafetyReportSerializer(PeriodSerializer):
    dfid = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=255,
        help_text="DeFarm: the item to trace for a recall (default: a summary of the period).",
    )


class ErasureSerializer(serializers.Serializer):
    user_id = serializers.CharField(max_length=255)


# --- Answers ----------------------------------------------------------------------------------


class _EventMetadataOut(serializers.Serializer):
    user_agent = serializers.CharField(allow_null=True)
    ip_address = serializers.CharField(allow_null=True)
    location = serializers.CharField(allow_null=True)
    device_id = serializers.CharField(allow_null=True)
    session_duration = serializers.IntegerField(allow_null=True)


class _ComplianceOut(serializers.Serializer):
    gdpr = serializers.BooleanField(allow_null=True)
    ccpa = serializers.BooleanField(allow_null=True)
    hipaa = serializers.BooleanField(allow_null=True)
    sox = serializers.BooleanField(allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    """The engine's ``AuditEventResponse`` (lowercase enums, Unix seconds) plus the row's
    place in the chain."""

    event_type = fields.EventTypeField()
    outcome = fields.OutcomeField()
    severity = fields.SeverityField()
    timestamp = serializers.SerializerMethodField()
    metadata = serializers.SerializerMethodField()
    compliance = serializers.SerializerMethodField()

    class Meta:
        model = models.AuditEvent
        fields = [
            "event_id",
            "user_id",
            "event_type",
            "action",
            "resource",
            "resource_id",
            "outcome",
            "severity",
            "timestamp",
            "details",
            "metadata",
            "signature",
            "compliance",
            "subject_user_id",
            "circuit_id",
            "sequence",
            "previous_hash",
            "entry_hash",
        ]
        read_only_fields = fields

    def get_timestamp(self, event) -> int:
        return int(event.timestamp.timestamp())

    def get_metadata(self, event) -> _EventMetadataOut:
        keys = _EventMetadataOut().fields
        return {key: (event.metadata or {}).get(key) for key in keys}

    def get_compliance(self, event) -> _ComplianceOut:
        keys = _ComplianceOut().fields
        return {key: (event.compliance or {}).get(key) for key in keys}


class AuditEventRawSerializer(AuditEventSerializer):
    """The engine's raw ``AuditEvent`` (``export/json``): PascalCase enums, RFC 3339 time."""

    event_type = fields.PascalEventTypeField()
    outcome = fields.PascalOutcomeField()
    severity = fields.PascalSeverityField()
    timestamp = serializers.DateTimeField()


class IncidentSerializer(serializers.ModelSerializer):
    """The engine's ``SecurityIncidentResponse`` plus who assigned, resolved and closed it."""

    severity = fields.SeverityField()
    category = fields.IncidentCategoryField()
    status = fields.IncidentStatusField()
    created_at = serializers.IntegerField(source="created_at_ts")
    updated_at = serializers.IntegerField(source="updated_at_ts")
    assigned_to = serializers.CharField(source="assigned_to_id", allow_null=True)
    reported_by = serializers.CharField(source="reported_by_id", allow_null=True)
    assigned_by = serializers.CharField(source="assigned_by_id", allow_null=True)
    assigned_at = serializers.IntegerField(source="assigned_at_ts", allow_null=True)
    resolved_by = serializers.CharField(source="resolved_by_id", allow_null=True)
    resolved_at = serializers.IntegerField(source="resolved_at_ts", allow_null=True)
    closed_by = serializers.CharField(source="closed_by_id", allow_null=True)
    closed_at = serializers.IntegerField(source="closed_at_ts", allow_null=True)

    class Meta:
        model = models.SecurityIncident
        fields = [
            "incident_id",
            "title",
            "description",
            "severity",
            "category",
            "status",
            "affected_users",
            "affected_resources",
            "related_event_ids",
            "confidential",
            "created_at",
            "updated_at",
            "assigned_to",
            "reported_by",
            "source_event_id",
            "assigned_by",
            "assigned_at",
            "resolved_by",
            "resolved_at",
            "resolution",
            "closed_by",
            "closed_at",
        ]
        read_only_fields = fields


class FindingSerializer(serializers.Serializer):
    finding_id = serializers.CharField()
    finding_type = serializers.CharField()
    description = serializers.CharField()
    severity = serializers.CharField()
    evidence = serializers.ListField(child=serializers.CharField())
    recommendation = serializers.CharField(allow_null=True)


class ReportScopeOut(serializers.Serializer):
    user_id = serializers.CharField(allow_null=True)
    resource_types = serializers.ListField(child=serializers.CharField())
    event_types = serializers.ListField(child=serializers.CharField())
    regulations = serializers.ListField(child=serializers.CharField())


class ComplianceReportSerializer(serializers.ModelSerializer):
    """The engine's raw ``ComplianceReport`` (PascalCase enums, RFC 3339 times) plus what
    DeFarm computed: summary, totals, status, item and subject."""

    period_start = serializers.SerializerMethodField()
    period_end = serializers.SerializerMethodField()
    generated_at = serializers.SerializerMethodField()
    file_path = serializers.SerializerMethodField()
    scope = serializers.SerializerMethodField()
    findings = FindingSerializer(many=True)
    requested_by = serializers.CharField(source="requested_by_id", allow_null=True)
    subject_user_id = serializers.CharField(allow_null=True)

    class Meta:
        model = models.ComplianceReport
        fields = [
            "report_id",
            "report_type",
            "period_start",
            "period_end",
            "scope",
            "export_format",
            "include_evidence",
            "status",
            "generated_at",
            "file_path",
            "findings",
            "summary",
            "total_events",
            "compliance_status",
            "dfid",
            "requested_by",
            "subject_user_id",
        ]
        read_only_fields = fields

    def get_period_start(self, report) -> str:
        return rfc3339(report.period_start_ts)

    def get_period_end(self, report) -> str:
        return rfc3339(report.period_end_ts)

    def get_generated_at(self, report) -> str:
        return rfc3339(report.generated_at_ts)

    def get_file_path(self, report) -> str | None:
        return None

    def get_scope(self, report) -> ReportScopeOut:
        scope = report.scope or {}
        return {
            "user_id": scope.get("user_id"),
            "resource_types": scope.get("resource_types") or [],
            "event_types": scope.get("event_types") or [],
            "regulations": scope.get("regulations") or [],
        }


class ComplianceReportDetailSerializer(ComplianceReportSerializer):
    """One report with its content (machine-readable JSON)."""

    class Meta(ComplianceReportSerializer.Meta):
        fields = [*ComplianceReportSerializer.Meta.fields, "content"]
        read_only_fields = fields


class PeriodReportSerializer(serializers.Serializer):
    """The engine's ``ComplianceReportResponse`` (bare), with real totals, plus the stored
    report's findings and content."""

    report_id = serializers.UUIDField()
    report_type = serializers.CharField()
    start_date = serializers.IntegerField()
    end_date = serializers.IntegerField()
    scope = serializers.CharField()
    format = serializers.CharField()
    created_at = serializers.IntegerField()
    summary = serializers.CharField()
    total_events = serializers.IntegerField()
    compliance_status = serializers.CharField()
    findings = FindingSerializer(many=True)
    report = serializers.DictField()

    @staticmethod
    def body(report: models.ComplianceReport, report_type: str) -> dict:
        scope = report.scope or {}
        scope_text = (
            f"ComplianceScope {{ user_id: {scope.get('user_id')!r}, resource_types: "
            f"{scope.get('resource_types') or []!r}, event_types: "
            f"{scope.get('event_types') or []!r}, regulations: "
            f"{scope.get('regulations') or []!r} }}"
        ).lower()
        return {
            "report_id": report.report_id,
            "report_type": report_type,
            "start_date": report.period_start_ts,
            "end_date": report.period_end_ts,
            "scope": scope_text,
            "format": report.export_format.lower(),
            "created_at": report.generated_at_ts,
            "summary": report.summary,
            "total_events": report.total_events,
            "compliance_status": report.compliance_status,
            "findings": report.findings,
            "report": report.content,
        }


class ChainBreakSerializer(serializers.Serializer):
    event_id = serializers.CharField(allow_null=True)
    sequence = serializers.IntegerField()
    reason = serializers.CharField()


class ChainVerificationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    checked = serializers.IntegerField()
    head_sequence = serializers.IntegerField()
    head_hash = serializers.CharField()
    checkpoint_sequence = serializers.IntegerField()
    first_broken = ChainBreakSerializer(allow_null=True)


class _IncidentSummary(serializers.Serializer):
    open = serializers.IntegerField()
    critical = serializers.IntegerField()
    resolved = serializers.IntegerField()


class _ComplianceCounts(serializers.Serializer):
    gdpr_events = serializers.IntegerField()
    ccpa_events = serializers.IntegerField()
    hipaa_events = serializers.IntegerField()
    sox_events = serializers.IntegerField()


class _TopUser(serializers.Serializer):
    user_id = serializers.CharField()
    event_count = serializers.IntegerField()
    risk_score = serializers.FloatField()


class _Anomaly(serializers.Serializer):
    anomaly_type = serializers.CharField()
    description = serializers.CharField()
    severity = fields.PascalSeverityField()
    detected_at = serializers.DateTimeField()


class DashboardMetricsSerializer(serializers.Serializer):
    total_events = serializers.IntegerField()
    events_last_24h = serializers.IntegerField()
    events_last_7d = serializers.IntegerField()
    security_incidents = _IncidentSummary()
    compliance_status = _ComplianceCounts()
    top_users = _TopUser(many=True)
    anomalies = _Anomaly(many=True)
