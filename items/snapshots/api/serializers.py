"""The earlier engine's snapshot shapes (``SnapshotResponse``, list and detail answers)."""

from datetime import UTC, datetime

from django.urls import reverse
from rest_framework import serializers

from items.snapshots.models import (
    BlockchainIndexingProgress,
    ItemCidTimeline,
    Snapshot,
    SnapshotOperation,
)

STELLAR_EXPLORER = {
    "stellar-testnet": "https://stellar.expert/explorer/testnet/tx/",
    "stellar-mainnet": "https://stellar.expert/explorer/public/tx/",
}


def operation_description(snapshot: Snapshot) -> str:
    details = snapshot.operation_details or {}
    match snapshot.operation:
        case SnapshotOperation.ITEM_ENRICHED:
            return "Item enriched"
        case SnapshotOperation.ITEM_STATUS_CHANGED:
            return f"Status changed to {details.get('to')}"
        case SnapshotOperation.ITEM_DEPRECATED:
            return "Item deprecated"
        case SnapshotOperation.ITEM_MERGED:
            return "Item merged"
        case SnapshotOperation.ITEM_SPLIT:
            return "Item split"
        case SnapshotOperation.ITEM_PUSHED_TO_CIRCUIT:
            return f"Pushed to circuit {details.get('circuit_id')}"
        case SnapshotOperation.CIRCUIT_ITEM_PUSHED:
            if "dfids" in details:
                return f"{len(details['dfids'])} items pushed"
            return f"Item {details.get('dfid')} pushed"
        case SnapshotOperation.EPCIS_EVENTS_CAPTURED:
            return "EPCIS events captured"
        case SnapshotOperation.REQUESTED:
            return "Snapshot requested"
    return str(snapshot.operation)


class SnapshotUrlsSerializer(serializers.Serializer):
    ipfs_url = serializers.CharField(allow_null=True)
    stellar_url = serializers.CharField(allow_null=True)


class SnapshotSerializer(serializers.ModelSerializer):
    """One snapshot as the engine answered it, plus DeFarm's ``cid``, ``previous_cid``,
    ``circuit_id`` (the chain: null for an item's own data) and ``adapter_type``."""

    parent_hash = serializers.CharField(source="parent_id", allow_null=True)
    operation_description = serializers.SerializerMethodField()
    ipfs_cid = serializers.SerializerMethodField()
    timestamp = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    previous_cid = serializers.SerializerMethodField()
    circuit_id = serializers.CharField(allow_null=True)
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = [
            "snapshot_id",
            "entity_type",
            "entity_id",
            "version",
            "parent_hash",
            "operation",
            "operation_description",
            "ipfs_cid",
            "blockchain_tx",
            "timestamp",
            "created_by",
            "message",
            "urls",
            "cid",
            "previous_cid",
            "circuit_id",
            "adapter_type",
            "network",
            "size_bytes",
        ]
        read_only_fields = fields

    def get_operation_description(self, snapshot: Snapshot) -> str:
        return operation_description(snapshot)

    def get_ipfs_cid(self, snapshot: Snapshot) -> str:
        """The node's CID when stored on IPFS; otherwise the CID of the bytes (the one an IPFS
        node gives them added as a raw block)."""
        location = snapshot.storage_location
        stored = location.get("IPFS") or location.get("Stellar") or {}
        return str(stored.get("cid") or snapshot.cid)

    def get_timestamp(self, snapshot: Snapshot) -> str:
        moment = datetime.fromtimestamp(snapshot.taken_at_ts, tz=UTC)
        return serializers.DateTimeField().to_representation(moment)

    def get_created_by(self, snapshot: Snapshot) -> str:
        return "" if self.context.get("public") else snapshot.created_by

    def get_previous_cid(self, snapshot: Snapshot) -> str | None:
        return (snapshot.state or {}).get("previous_cid")

    def content_url(self, snapshot: Snapshot) -> str | None:
        """Where the stored bytes are read back (checked against the CID): DeFarm's content
        route, the public one in public answers."""
        request = self.context.get("request")
        if request is None:
            return None
        name = "public-content" if self.context.get("public") else "content"
        return request.build_absolute_uri(reverse(name, kwargs={"cid": snapshot.cid}))

    def get_urls(self, snapshot: Snapshot) -> dict[str, str | None]:
        explorer = STELLAR_EXPLORER.get(snapshot.network or "")
        return SnapshotUrlsSerializer(
            {
                "ipfs_url": self.content_url(snapshot),
                "stellar_url": explorer + snapshot.blockchain_tx
                if explorer and snapshot.blockchain_tx
                else None,
            }
        ).data


class SnapshotListSerializer(serializers.Serializer):
    entity_id = serializers.CharField()
    entity_type = serializers.CharField()
    total_snapshots = serializers.IntegerField()
    latest_version = serializers.IntegerField()
    snapshots = SnapshotSerializer(many=True)


STATE_DESCRIPTION = (
    "The canonical document whose bytes the CID addresses: `format`, `entity_type`, "
    "`entity_id`, `circuit_id`, `version`, `previous_cid`, `operation`, `taken_at` and the "
    "body under `item` or `circuit`. An item's body: `dfid`, `status`, `item_hash`, "
    "identifiers, enriched data, `events` (each Public DeFarm event: `event_id`, `event_type`, "
    "`timestamp`, `hash` = SHA-256 of its canonical JSON) and, from format "
    "`defarm-snapshot/2` on, `epcis_events` (each captured EPCIS event naming the item that "
    "everyone sees through it, in eventTime order: `event_id`, `event_type`, `event_time` in "
    "UTC, `epcis_event_hash` = the standard's `ni:///sha-256;...?ver=CBV2.0`). Snapshots in "
    "format `defarm-snapshot/1` have no `epcis_events` and are kept as they were stored."
)


class SnapshotDetailSerializer(serializers.Serializer):
    snapshot = SnapshotSerializer()
    state = serializers.JSONField(allow_null=True, help_text=STATE_DESCRIPTION)


class SnapshotQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=0, max_value=1000, default=50)
    offset = serializers.IntegerField(min_value=0, default=0)
    circuit_id = serializers.UUIDField(
        required=False, help_text="Only the chain of the item as this circuit holds it."
    )


class SnapshotRequestSerializer(serializers.Serializer):
    circuit_id = serializers.UUIDField(
        required=False,
        help_text="Snapshot the item as this circuit holds it (a member of a circuit holding "
        "the item); without it, the item's own data (its creator or staff).",
    )
    message = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class SnapshotScheduledSerializer(serializers.Serializer):
    entity_type = serializers.CharField()
    entity_id = serializers.CharField()
    circuit_id = serializers.CharField(allow_null=True)
    status = serializers.CharField()


class TimelineEntrySerializer(serializers.ModelSerializer):
    """One entry of an item's timeline, as the earlier engine answered it."""

    sequence = serializers.IntegerField(source="event_sequence")
    transaction_hash = serializers.CharField(source="ipcm_transaction_hash")

    class Meta:
        model = ItemCidTimeline
        fields = [
            "sequence",
            "cid",
            "transaction_hash",
            "blockchain_timestamp",
            "network",
            "created_at",
        ]
        read_only_fields = fields


class ItemTimelineSerializer(serializers.Serializer):
    dfid = serializers.CharField()
    total_entries = serializers.IntegerField()
    timeline = TimelineEntrySerializer(many=True)


class IndexingProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = BlockchainIndexingProgress
        fields = [
            "network",
            "last_indexed_ledger",
            "last_confirmed_ledger",
            "last_indexed_at",
            "status",
            "total_events_indexed",
            "error_message",
        ]
        read_only_fields = fields
