"""Staff console for snapshots: read-only (a snapshot is never rewritten; its CID would no
longer match)."""

from django.contrib import admin

from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    ReadOnlyAdminMixin,
    format_ts,
    json_pretty,
)
from items.snapshots.models import (
    BlockchainIndexingProgress,
    EventCidMapping,
    ItemCidTimeline,
    Snapshot,
)


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = [
        "taken",
        "entity_type",
        "entity_id",
        "scope",
        "version",
        "operation",
        "adapter_type",
        "cid",
    ]
    list_filter = ["entity_type", "operation", "adapter_type"]
    search_fields = ["=entity_id", "=cid", "=snapshot_id", "=scope"]
    ordering = ["-taken_at_ts", "-created_at"]
    raw_id_fields = ["parent"]
    readonly_fields = ["state_display", "location_display", "details_display"]
    exclude = ["state", "storage_location", "operation_details"]

    @admin.display(description="taken", ordering="taken_at_ts")
    def taken(self, obj):
        return format_ts(obj.taken_at_ts)

    @admin.display(description="state")
    def state_display(self, obj):
        return json_pretty(obj.state)

    @admin.display(description="storage location")
    def location_display(self, obj):
        return json_pretty(obj.storage_location)

    @admin.display(description="operation details")
    def details_display(self, obj):
        return json_pretty(obj.operation_details)


@admin.register(ItemCidTimeline)
class ItemCidTimelineAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["dfid", "event_sequence", "cid", "network", "ipcm_transaction_hash"]
    list_filter = ["network"]
    search_fields = ["=dfid", "=cid", "=ipcm_transaction_hash"]
    ordering = ["dfid", "event_sequence"]


@admin.register(EventCidMapping)
class EventCidMappingAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["event_id", "dfid", "first_cid", "appeared_in_sequence"]
    search_fields = ["=event_id", "=dfid", "=first_cid"]
    ordering = ["dfid", "appeared_in_sequence"]


@admin.register(BlockchainIndexingProgress)
class BlockchainIndexingProgressAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = [
        "network",
        "status",
        "last_indexed_ledger",
        "last_confirmed_ledger",
        "total_events_indexed",
        "last_indexed_at",
    ]
    ordering = ["network"]
