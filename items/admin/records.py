"""Staff console for what hangs off items: source entries, local id and identifier mappings,
conflicts (resolved through ``items.services.conflict_resolve``), events and receipts.
"""

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join

from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    LimitedReadOnlyInline,
    ReadOnlyAdminMixin,
    admin_action_recorded,
    choices_filter,
    form_action,
    format_ts,
    json_summary,
)
from items.models import (
    ConflictResolution,
    ConflictStatus,
    Event,
    EventType,
    EventVisibility,
    IdentifierMapping,
    ItemSourceEntry,
    LidDfidMapping,
    Receipt,
    ReceiptIdentifier,
)


@admin.register(ItemSourceEntry)
class ItemSourceEntryAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["item_id", "entry_id", "created_at"]
    search_fields = ["=item__dfid", "=entry_id"]
    ordering = ["-created_at", "id"]
    raw_id_fields = ["item"]


class MappingStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("LocalOnly", "Local only"), ("Tokenized", "Tokenized (has a DFID)")]

    def queryset(self, request, queryset):
        if self.value() == "LocalOnly":
            return queryset.filter(item_id__startswith="LID-")
        if self.value() == "Tokenized":
            return queryset.exclude(item_id__startswith="LID-")
        return queryset


@admin.register(LidDfidMapping)
class LidDfidMappingAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["local_id", "item_id", "state", "created_at"]
    list_filter = [MappingStateFilter]
    search_fields = ["=local_id", "=item__dfid"]
    ordering = ["-created_at", "local_id"]
    raw_id_fields = ["item"]
    date_hierarchy = "created_at"

    @admin.display(description="state")
    def state(self, obj):
        return "LocalOnly" if obj.item_id.startswith("LID-") else "Tokenized"


class ExactMatchFilter(admin.SimpleListFilter):
    title = "match"
    parameter_name = "match"

    def lookups(self, request, model_admin):
        return [("exact", "Exact (confidence 1.0)"), ("partial", "Partial (below 1.0)")]

    def queryset(self, request, queryset):
        if self.value() == "exact":
            return queryset.filter(confidence_score__gte=1.0)
        if self.value() == "partial":
            return queryset.filter(confidence_score__lt=1.0)
        return queryset


@admin.register(IdentifierMapping)
class IdentifierMappingAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["identifier_key", "identifier_value", "item_id", "confidence_score"]
    list_filter = [ExactMatchFilter]
    search_fields = ["=identifier_value", "=item__dfid"]
    ordering = ["-created_at", "mapping_id"]
    raw_id_fields = ["item"]


# --- Conflicts --------------------------------------------------------------------------------


class ConflictResolveForm(forms.Form):
    strategy = forms.ChoiceField(
        choices=[("merge", "Merge into one DFID"), ("keep_separate", "Keep the items separate")]
    )
    target_dfid = forms.CharField(
        required=False, help_text="For a merge: the DFID that survives (one of the conflicting)."
    )


@admin.register(ConflictResolution)
class ConflictResolutionAdmin(DefarmModelAdmin):
    list_display = [
        "identifier",
        "dfid_list",
        "status",
        "resolution_strategy",
        "resolved_dfid",
        "created",
    ]
    list_filter = [choices_filter("status", ConflictStatus.choices)]
    search_fields = ["=identifier_value", "=resolved_dfid", "=conflict_id"]
    ordering = ["-created_at_ts", "conflict_id"]
    readonly_fields = [
        "conflict_id",
        "identifier_key",
        "identifier_value",
        "dfid_links",
        "status",
        "resolution_strategy",
        "resolved_dfid",
    ]
    exclude = ["conflicting_dfids"]
    actions = ["resolve"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="identifier")
    def identifier(self, obj):
        return f"{obj.identifier_key}={obj.identifier_value}"

    @admin.display(description="conflicting items")
    def dfid_list(self, obj):
        return ", ".join(obj.conflicting_dfids or [])

    @admin.display(description="conflicting items")
    def dfid_links(self, obj):
        return format_html_join(
            " · ",
            '<a href="../../../item/{}/change/">{}</a>',
            ((dfid, dfid) for dfid in obj.conflicting_dfids or []),
        )

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.action(description="Resolve selected conflicts")
    def resolve(self, request, queryset):
        def apply(conflict, data):
            from items.services import conflict_resolve

            with admin_action_recorded(
                admin=request.user,
                action_type="conflict_resolve",
                target_id=str(conflict.pk),
                data={"strategy": data["strategy"], "target_dfid": data.get("target_dfid")},
            ):
                conflict_resolve(
                    admin=request.user,
                    conflict=conflict,
                    strategy=data["strategy"],
                    target_dfid=data.get("target_dfid") or None,
                )
            return f"Resolved: {data['strategy']} {data.get('target_dfid') or ''}".strip()

        return form_action(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=ConflictResolveForm,
            title="Resolve conflicts",
            apply=apply,
            action_name="resolve",
        )


# --- Events and receipts ------------------------------------------------------------------------


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["when", "event_type", "item_id", "visibility", "created_by", "meta"]
    list_select_related = ["created_by"]
    list_filter = [
        choices_filter("event_type", EventType.choices, "type"),
        choices_filter("visibility", EventVisibility.choices),
    ]
    search_fields = ["=item__dfid", "=event_id"]
    search_help_text = "A DFID or an event id (exact)."
    ordering = ["-timestamp", "event_id"]
    raw_id_fields = ["item", "created_by"]
    exclude = ["encrypted_data"]

    @admin.display(description="when", ordering="timestamp")
    def when(self, obj):
        return format_ts(obj.timestamp)

    @admin.display(description="metadata")
    def meta(self, obj):
        return json_summary(obj.metadata)


class ReceiptIdentifierInline(LimitedReadOnlyInline):
    model = ReceiptIdentifier
    fields = ["key", "value"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["id", "hash_prefix", "size_bytes", "when", "created_by"]
    list_select_related = ["created_by"]
    search_fields = ["=data_hash", "=id"]
    ordering = ["-timestamp", "id"]
    raw_id_fields = ["created_by"]
    inlines = [ReceiptIdentifierInline]

    @admin.display(description="SHA-256", ordering="data_hash")
    def hash_prefix(self, obj):
        return f"{obj.data_hash[:16]}…"

    @admin.display(description="received", ordering="timestamp")
    def when(self, obj):
        return format_ts(obj.timestamp)


@admin.register(ReceiptIdentifier)
class ReceiptIdentifierAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["key", "value", "receipt_id", "created_at"]
    search_fields = ["=value", "=receipt__id"]
    ordering = ["-created_at", "id"]
    raw_id_fields = ["receipt"]
