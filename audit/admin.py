"""Staff console for application logs, staff actions and the data lake.

Logs and staff actions are records: read-only. This module is loaded last; it also gives
every DeFarm model that has no admin of its own (tables added later) a plain read-only one,
so the console always covers the whole schema.
"""

from django import forms
from django.contrib import admin

from accounts.models import User
from audit.models import (
    AdminAction,
    AuditChainHead,
    AuditEvent,
    AuditEventType,
    AuditOutcome,
    AuditSeverity,
    ComplianceReport,
    DataLakeEntry,
    DataLakeStatus,
    IncidentStatus,
    Log,
    ReportType,
    SecurityIncident,
)
from audit.services import incidents as incident_services
from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    ReadOnlyAdminMixin,
    apply_each,
    choices_filter,
    form_action,
    format_ts,
    json_pretty,
    json_summary,
    register_remaining_models,
)

LOG_LEVELS = [(level, level) for level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")]


@admin.register(Log)
class LogAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["when", "level", "engine", "event_type", "message_short", "context"]
    list_filter = [choices_filter("level", LOG_LEVELS)]
    search_fields = ["=engine", "=event_type", "=id"]
    search_help_text = "An engine or event type (exact)."
    ordering = ["-timestamp", "id"]
    readonly_fields = ["context_display"]
    exclude = ["context_data"]

    @admin.display(description="when", ordering="timestamp")
    def when(self, obj):
        return format_ts(obj.timestamp)

    @admin.display(description="message")
    def message_short(self, obj):
        return obj.message if len(obj.message) <= 100 else obj.message[:99] + "…"

    @admin.display(description="context")
    def context(self, obj):
        return json_summary(obj.context_data)

    @admin.display(description="context")
    def context_display(self, obj):
        return json_pretty(obj.context_data)


@admin.register(AdminAction)
class AdminActionAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["when", "admin", "action_type", "target_id", "data"]
    list_select_related = ["admin"]
    list_filter = ["action_type"]
    search_fields = ["=target_id", "=admin__username", "=action_type"]
    ordering = ["-performed_at_ts", "action_id"]
    raw_id_fields = ["admin"]
    readonly_fields = ["data_display"]
    exclude = ["action_data"]

    @admin.display(description="when", ordering="performed_at_ts")
    def when(self, obj):
        return format_ts(obj.performed_at_ts)

    @admin.display(description="data")
    def data(self, obj):
        return json_summary(obj.action_data)

    @admin.display(description="data")
    def data_display(self, obj):
        return json_pretty(obj.action_data)


@admin.register(DataLakeEntry)
class DataLakeEntryAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    """Entries are resolved into items by the data-lake services, never edited by hand."""

    list_display = ["entry_id", "status", "receipt", "hash_prefix", "when", "notes"]
    list_select_related = ["receipt"]
    list_filter = [choices_filter("status", DataLakeStatus.choices)]
    search_fields = ["=entry_id", "=data_hash", "=receipt__id"]
    ordering = ["-timestamp", "entry_id"]
    raw_id_fields = ["receipt"]

    @admin.display(description="SHA-256", ordering="data_hash")
    def hash_prefix(self, obj):
        return f"{obj.data_hash[:16]}…"

    @admin.display(description="received", ordering="timestamp")
    def when(self, obj):
        return format_ts(obj.timestamp)

    @admin.display(description="notes")
    def notes(self, obj):
        return json_summary(obj.processing_notes)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    """The hash-chained trail: read-only here; ``/audit/audit/events/verify`` proves it."""

    list_display = [
        "sequence",
        "timestamp",
        "event_type",
        "action",
        "user_id",
        "subject_user_id",
        "resource",
        "outcome",
        "severity",
        "redacted",
    ]
    list_filter = [
        choices_filter("event_type", AuditEventType.choices),
        choices_filter("outcome", AuditOutcome.choices),
        choices_filter("severity", AuditSeverity.choices),
    ]
    search_fields = ["=user_id", "=subject_user_id", "=action", "=resource_id", "=event_id"]
    search_help_text = "A user id, action, resource id or event id (exact)."
    ordering = ["-sequence"]
    readonly_fields = ["details_display", "metadata_display"]
    exclude = ["details", "metadata"]

    @admin.display(description="redacted", boolean=True)
    def redacted(self, obj):
        return obj.redacted_by is not None

    @admin.display(description="details")
    def details_display(self, obj):
        return json_pretty(obj.details)

    @admin.display(description="metadata")
    def metadata_display(self, obj):
        return json_pretty(obj.metadata)


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["sequence", "entry_hash", "checkpoint_sequence", "updated_at"]


class IncidentAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(is_admin=True).order_by("username"),
        help_text="The staff user who handles the incidents.",
    )


class IncidentResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea, required=False)


@admin.register(SecurityIncident)
class SecurityIncidentAdmin(DefarmModelAdmin):
    """Incidents are opened by users and by security events; staff assign, resolve and close
    them through the same services as the API (who and when are kept)."""

    list_display = [
        "title",
        "severity",
        "category",
        "status",
        "assigned_to",
        "reported_by",
        "opened",
    ]
    list_select_related = ["assigned_to", "reported_by"]
    list_filter = [
        choices_filter("status", IncidentStatus.choices),
        choices_filter("severity", AuditSeverity.choices),
        "category",
    ]
    search_fields = ["title", "=incident_id"]
    ordering = ["-created_at_ts", "incident_id"]
    raw_id_fields = ["reported_by", "assigned_to", "assigned_by", "resolved_by", "closed_by"]
    actions = ["assign", "resolve", "close"]
    readonly_fields = [
        "status",
        "reported_by",
        "source_event_id",
        "assigned_to",
        "assigned_by",
        "assigned_at_ts",
        "resolved_by",
        "resolved_at_ts",
        "resolution",
        "closed_by",
        "closed_at_ts",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="opened", ordering="created_at_ts")
    def opened(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.action(description="Assign to a staff user")
    def assign(self, request, queryset):
        def apply(incident, data):
            incident_services.incident_assign(
                incident=incident, actor=request.user, assignee=data["assignee"].pk
            )
            return f"Assigned to {data['assignee']}."

        return form_action(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=IncidentAssignForm,
            title="Assign incidents",
            action_name="assign",
            apply=apply,
        )

    @admin.action(description="Resolve")
    def resolve(self, request, queryset):
        def apply(incident, data):
            incident_services.incident_resolve(
                incident=incident, actor=request.user, resolution=data["resolution"]
            )
            return "Resolved."

        return form_action(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=IncidentResolveForm,
            title="Resolve incidents",
            action_name="resolve",
            apply=apply,
        )

    @admin.action(description="Close")
    def close(self, request, queryset):
        def apply(incident):
            incident_services.incident_close(incident=incident, actor=request.user)
            return "Closed."

        apply_each(modeladmin=self, request=request, objects=queryset, apply=apply)


@admin.register(ComplianceReport)
class ComplianceReportAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    """Reports are computed by the compliance services; staff read them here."""

    list_display = [
        "report_id",
        "report_type",
        "compliance_status",
        "requested_by",
        "subject_user",
        "dfid",
        "total_events",
        "generated",
    ]
    list_select_related = ["requested_by", "subject_user"]
    list_filter = [choices_filter("report_type", ReportType.choices), "compliance_status"]
    search_fields = ["=report_id", "=dfid", "=requested_by__username"]
    ordering = ["-generated_at_ts", "report_id"]
    readonly_fields = ["content_display", "findings_display"]
    exclude = ["content", "findings"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("content")
        return queryset

    @admin.display(description="generated", ordering="generated_at_ts")
    def generated(self, obj):
        return format_ts(obj.generated_at_ts)

    @admin.display(description="content")
    def content_display(self, obj):
        return json_pretty(obj.content)

    @admin.display(description="findings")
    def findings_display(self, obj):
        return json_pretty(obj.findings)


register_remaining_models(admin.site)
