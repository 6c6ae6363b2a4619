from django.contrib import admin

from items.epcis.models import (
    CaptureJob,
    EpcisBizTransaction,
    EpcisEvent,
    EpcisEventEpc,
    NamedQuery,
)


class EpcisEventEpcInline(admin.TabularInline):
    model = EpcisEventEpc
    extra = 0
    fields = ["epc", "role", "quantity"]
    readonly_fields = fields
    can_delete = False


class EpcisBizTransactionInline(admin.TabularInline):
    model = EpcisBizTransaction
    extra = 0
    fields = ["transaction_type", "transaction"]
    readonly_fields = fields
    can_delete = False


@admin.register(CaptureJob)
class CaptureJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "error_behaviour",
        "running",
        "success",
        "event_count",
        "stored_count",
        "duplicate_count",
        "created_at",
    ]
    list_filter = ["success", "running", "error_behaviour"]
    list_select_related = ["owner"]
    search_fields = ["=id", "owner__username", "owner__email"]
    readonly_fields = [
        "owner",
        "error_behaviour",
        "running",
        "success",
        "errors",
        "event_count",
        "stored_count",
        "duplicate_count",
        "created_at",
        "finished_at",
    ]
    show_full_result_count = False
    ordering = ["-created_at"]


@admin.register(EpcisEvent)
class EpcisEventAdmin(admin.ModelAdmin):
    list_display = [
        "event_id",
        "event_type",
        "action",
        "biz_step",
        "event_time",
        "record_time",
        "owner",
    ]
    list_filter = ["event_type", "action"]
    list_select_related = ["owner"]
    search_fields = ["=event_id", "biz_step", "read_point", "biz_location", "=epcs__epc"]
    readonly_fields = [
        "owner",
        "capture_job",
        "event_id",
        "event_type",
        "event_time",
        "event_timezone_offset",
        "record_time",
        "action",
        "biz_step",
        "disposition",
        "read_point",
        "biz_location",
        "context",
        "event",
    ]
    inlines = [EpcisEventEpcInline, EpcisBizTransactionInline]
    show_full_result_count = False
    ordering = ["-record_time"]


@admin.register(NamedQuery)
class NamedQueryAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["owner", "name", "query", "created_at"]
