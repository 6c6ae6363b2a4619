"""Staff console for application logs, staff actions and the data lake.

Logs and staff actions are records: read-only. This module is loaded last; it also gives
every DeFarm model that has no admin of its own (tables added later) a plain read-only one,
so the console always covers the whole schema.
"""

from django.contrib import admin

from audit.models import AdminAction, DataLakeEntry, DataLakeStatus, Log
from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    ReadOnlyAdminMixin,
    choices_filter,
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


register_remaining_models(admin.site)
