from django.contrib import admin

from circuits.admin.webhooks import WebhookDeliveryAdmin
from defarm.admin_site import LimitedReadOnlyInline
from items.epcis.models import (
    CaptureJob,
    EpcisBizTransaction,
    EpcisEvent,
    EpcisEventEpc,
    NamedQuery,
    QuerySubscription,
    SubscriptionDelivery,
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


class SubscriptionDeliveryInline(LimitedReadOnlyInline):
    model = SubscriptionDelivery
    fields = ["trigger_event", "status", "http_status_code", "attempt_count", "error_message"]
    verbose_name_plural = "deliveries (newest first)"


@admin.register(QuerySubscription)
class QuerySubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions are made and changed by their owners through the API; staff look, and
    may unsubscribe (the same service as ``DELETE``). The signature token is never shown."""

    list_display = [
        "id",
        "query",
        "owner",
        "dest",
        "stream",
        "next_run_at",
        "last_notified_at",
        "created_at",
    ]
    list_filter = ["stream", "report_if_empty"]
    list_select_related = ["owner", "query"]
    search_fields = ["=id", "dest", "query__name", "owner__username"]
    fields = [
        "id",
        "owner",
        "query",
        "dest",
        "signed",
        "stream",
        "schedule",
        "report_if_empty",
        "epc_format",
        "initial_record_time",
        "min_record_time",
        "next_run_at",
        "last_notified_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [SubscriptionDeliveryInline]
    ordering = ["-created_at", "id"]

    @admin.display(description="signed (signatureToken set)", boolean=True)
    def signed(self, obj):
        return bool(obj.signature_token)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        from items.epcis.subscriptions import subscription_delete

        subscription_delete(subscription=obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            self.delete_model(request, subscription)


@admin.register(SubscriptionDelivery)
class SubscriptionDeliveryAdmin(WebhookDeliveryAdmin):
    """A subscription's deliveries: the same console (and staff retry) as webhooks'."""

    list_display = [
        "created",
        "subscription",
        "trigger_event",
        "status",
        "http_status_code",
        "attempt_count",
        "next_retry",
    ]
    list_select_related = ["subscription"]
    search_fields = ["=delivery_id", "=subscription__id"]
    raw_id_fields = ["subscription"]

    def delivery_target(self, delivery) -> dict:
        return {"subscription_id": str(delivery.subscription_id)}
