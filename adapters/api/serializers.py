import json
import uuid
from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from adapters import registry
from adapters.api.fields import AdapterTypeField
from adapters.models import AdapterConfig, StorageHistory
from adapters.selectors import connection_details_masked
from defarm.api.fields import CallerIdField


class AdapterTypeSerializer(serializers.Serializer):
    adapter_type = AdapterTypeField(read_only=True)
    name = serializers.CharField(help_text="The adapter type again, as the engine named it.")
    description = serializers.CharField()
    item_storage = serializers.ChoiceField(choices=registry.STORAGE_BACKEND_TYPES)
    event_storage = serializers.ChoiceField(choices=registry.STORAGE_BACKEND_TYPES)
    requires_blockchain = serializers.BooleanField()
    available = serializers.BooleanField(help_text="Always true: the caller may choose it.")
    stores_content = serializers.BooleanField(help_text="False for none: nothing is written.")
    configured = serializers.BooleanField(
        help_text="True when the adapter can store now (local, none, or configured by staff)."
    )


class AdapterListSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    adapters = AdapterTypeSerializer(many=True)
    user_id = serializers.CharField()
    tier = serializers.CharField(help_text="Basic, Professional, Enterprise or Admin.")
    using_custom_adapters = serializers.BooleanField(
        help_text="True when staff gave the user their own adapter list instead of the tier's."
    )
    count = serializers.IntegerField()
    selected_adapter = AdapterTypeField(
        allow_null=True, help_text="The adapter the user chose with POST /api/adapters/select."
    )


class AdapterSelectSerializer(serializers.Serializer):
    adapter_type = AdapterTypeField()


class AdapterSelectedSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    message = serializers.CharField()
    user_id = serializers.CharField()
    adapter_type = AdapterTypeField()
    description = serializers.CharField()
    updated_at = serializers.DateTimeField()


class AdapterTemplateSerializer(serializers.Serializer):
    description = serializers.CharField()
    cost = serializers.CharField()
    scalability = serializers.CharField()
    decentralization = serializers.CharField()
    use_case = serializers.CharField()


class AdapterTemplatesSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    templates = serializers.DictField(
        child=AdapterTemplateSerializer(), help_text="By adapter type."
    )


class AdapterSyncStatusSerializer(serializers.Serializer):
    adapter_type = AdapterTypeField()
    is_synced = serializers.BooleanField(help_text="True when the adapter can store now.")
    pending_operations = serializers.IntegerField(
        help_text="Always 0: DeFarm stores inside the request that asks for it."
    )
    last_sync = serializers.DateTimeField(
        allow_null=True, help_text="When the adapter last stored an item."
    )
    error_count = serializers.IntegerField(
        help_text="Always 0: a store that fails refuses its request, so none is left failed."
    )
    details = serializers.DictField(
        help_text="configured, stores_content, records (its storage records) and, when it "
        "cannot store, reason."
    )


class AdapterStatusSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    adapter_type = AdapterTypeField()
    status = AdapterSyncStatusSerializer()


class AdapterHealthSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    adapter_type = AdapterTypeField()
    healthy = serializers.BooleanField()
    checked_at = serializers.DateTimeField()
    error = serializers.CharField(required=False, help_text="adapter_unhealthy (503 only).")
    message = serializers.CharField(required=False, help_text="Why it is unhealthy (503 only).")


class AdapterConfigSerializer(serializers.ModelSerializer):
    """Staff view of an adapter configuration; secret-looking values are shown as ********
    and sending ******** back keeps the stored value."""

    adapter_type = AdapterTypeField()
    connection_details = serializers.DictField(required=False, default=dict)
    contract_configs = serializers.DictField(required=False, allow_null=True, default=None)
    last_tested_at = serializers.SerializerMethodField(
        help_text="Always null: DeFarm checks an adapter live at /api/adapters/{type}/health."
    )
    test_status = serializers.SerializerMethodField(help_text="Always null (see last_tested_at).")

    def get_last_tested_at(self, config: AdapterConfig) -> datetime | None:
        return None

    def get_test_status(self, config: AdapterConfig) -> str | None:
        return None

    class Meta:
        model = AdapterConfig
        fields = [
            "config_id",
            "name",
            "description",
            "adapter_type",
            "connection_details",
            "contract_configs",
            "is_active",
            "is_default",
            "created_by",
            "created_at_ts",
            "updated_at_ts",
            "created_at",
            "updated_at",
            "last_tested_at",
            "test_status",
        ]
        read_only_fields = [
            "config_id",
            "created_by",
            "created_at_ts",
            "updated_at_ts",
            "created_at",
            "updated_at",
        ]
        # A new default replaces the type's previous one (adapter_config_create/update).
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["connection_details"] = connection_details_masked(data["connection_details"])
        data["contract_configs"] = connection_details_masked(data["contract_configs"])
        return data


class AdapterConfigListSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    configs = AdapterConfigSerializer(many=True)
    count = serializers.IntegerField(help_text="Configurations on this page.")


class AdapterConfigAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    message = serializers.CharField(required=False)
    config = AdapterConfigSerializer()


class MessageAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    message = serializers.CharField()


STORAGE_LOCATION_SCHEMA = {
    "type": "object",
    "description": 'Where the data is, tagged by kind: {"Local": {"id": ...}}, '
    '{"IPFS": {"cid": ..., "pinned": true}}, {"Stellar": {"transaction_id", '
    '"contract_address", "asset_id"}}, {"Ethereum": {...}} or {"Arweave": '
    '{"transaction_id": ...}}.',
    "additionalProperties": True,
    "example": {"IPFS": {"cid": "bafkreigh2akiscaildc", "pinned": True}},
}


@extend_schema_field(STORAGE_LOCATION_SCHEMA)
class StorageLocationField(serializers.JSONField):
    """A storage location object tagged by its kind (``{"IPFS": {...}}``)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict) or len(value) != 1:
            raise serializers.ValidationError(
                'A storage location is an object with one kind, e.g. {"IPFS": {"cid": ...}}.'
            )
        return value


class UnixDateTimeField(serializers.DateTimeField):
    """A V1 ``*_ts`` column (Unix seconds) rendered as an RFC 3339 time."""

    def to_representation(self, value):
        if value is None:
            return None
        return super().to_representation(datetime.fromtimestamp(int(value), tz=UTC))


class StorageRecordSerializer(serializers.Serializer):
    """One storage record in the engine's shape."""

    id = serializers.UUIDField(read_only=True)
    storage_location = StorageLocationField(read_only=True)
    stored_at = UnixDateTimeField(source="stored_at_ts", read_only=True)
    circuit_id = serializers.SerializerMethodField()
    user_id = serializers.SerializerMethodField()
    operation_type = serializers.CharField(
        source="triggered_by",
        read_only=True,
        help_text="circuit_push, circuit_migration or manual.",
    )
    is_primary = serializers.SerializerMethodField(
        help_text="True for the item's current primary location (its newest active record)."
    )
    is_active = serializers.BooleanField(read_only=True)
    metadata = serializers.SerializerMethodField()
    adapter_type = AdapterTypeField(read_only=True)

    def get_circuit_id(self, record: StorageHistory) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(record.triggered_by_id))
        except ValueError:
            return None

    def get_user_id(self, record: StorageHistory) -> str:
        """Who stored it: the user named in the record's metadata, else its trigger id."""
        metadata = record.metadata or {}
        return str(
            metadata.get("user_id") or metadata.get("requested_by") or record.triggered_by_id or ""
        )

    def get_is_primary(self, record: StorageHistory) -> bool:
        return record.pk == self.context.get("primary_id")

    def get_metadata(self, record: StorageHistory) -> dict[str, Any]:
        return record.metadata or {}


class PublicStorageRecordSerializer(StorageRecordSerializer):
    """A storage record shown without login: who stored it is left out."""

    def get_user_id(self, record: StorageHistory) -> str:
        return ""

    def get_metadata(self, record: StorageHistory) -> dict[str, Any]:
        return {}


class StorageHistoryDataSerializer(serializers.Serializer):
    dfid = serializers.CharField()
    storage_records = StorageRecordSerializer(many=True, help_text="Newest first.")
    current_primary = StorageLocationField(allow_null=True)
    created_at = serializers.DateTimeField(help_text="When the item was first stored.")
    updated_at = serializers.DateTimeField(help_text="When the item was last stored.")


class StorageHistoryResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    data = StorageHistoryDataSerializer()


class StorageLocationsSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    dfid = serializers.CharField()
    locations = serializers.ListField(child=StorageLocationField(), help_text="Newest first.")
    count = serializers.IntegerField()


class StorageStatisticsDataSerializer(serializers.Serializer):
    total_items_tracked = serializers.IntegerField()
    total_storage_locations = serializers.IntegerField()
    adapter_distribution = serializers.DictField(child=serializers.IntegerField())
    migration_count = serializers.IntegerField(
        help_text="Records written by a circuit push or a migration."
    )
    generated_at = serializers.DateTimeField()


class StorageStatisticsSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    statistics = StorageStatisticsDataSerializer()


class StorageHistoryMigrateSerializer(serializers.Serializer):
    """The engine's body (``target_adapter_type``) or DeFarm's (``adapter_type``)."""

    target_adapter_type = AdapterTypeField(required=False)
    adapter_type = AdapterTypeField(required=False)
    circuit_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Record the migration for this circuit (needs ManagePermissions there).",
    )
    user_id = CallerIdField()

    def validate(self, attrs):
        target = attrs.get("target_adapter_type") or attrs.get("adapter_type")
        if not target:
            raise serializers.ValidationError(
                {"target_adapter_type": ["The adapter type to migrate to is required."]}
            )
        attrs["target_adapter_type"] = target
        return attrs


class StorageMigratedSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    dfid = serializers.CharField()
    target_adapter = AdapterTypeField()
    circuit_id = serializers.UUIDField(allow_null=True)
    data = StorageRecordSerializer(help_text="The new record, now the primary location.")


class StoragePrimarySetSerializer(serializers.Serializer):
    storage_location = StorageLocationField()
    circuit_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Act as a ManagePermissions holder of this circuit, which holds the item.",
    )


class StoragePrimarySerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    dfid = serializers.CharField()
    requested_primary = StorageLocationField()
    data = StorageRecordSerializer(help_text="The record that is now the primary location.")


def storage_location_debug_text(location: Any) -> str:
    """A storage location as the engine's Rust Debug text, e.g.
    ``IPFS { cid: "bafk...", pinned: true }``."""
    if not isinstance(location, dict) or len(location) != 1:
        return json.dumps(location)
    ((kind, fields),) = location.items()
    fields = fields if isinstance(fields, dict) else {}
    known = _LOCATION_FIELDS.get(kind)
    names = known if known is not None else list(fields)
    parts = []
    for name in names:
        value = fields.get(name)
        if name in _OPTIONAL_LOCATION_FIELDS:
            text = "None" if value is None else f"Some({_debug_value(value)})"
        else:
            text = _debug_value(value)
        parts.append(f"{name}: {text}")
    return f"{kind} {{ {', '.join(parts)} }}"


_LOCATION_FIELDS = {
    "Local": ["id"],
    "IPFS": ["cid", "pinned"],
    "Stellar": ["transaction_id", "contract_address", "asset_id"],
    "Ethereum": ["transaction_hash", "contract_address", "token_id"],
    "Arweave": ["transaction_id"],
}
_OPTIONAL_LOCATION_FIELDS = {"asset_id", "token_id"}


def _debug_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps("" if value is None else str(value))


class ItemStorageRecordSerializer(serializers.Serializer):
    """A storage record as ``GET /api/items/{dfid}/storage-history`` answers it: the metadata's
    blockchain and IPFS facts flattened into fields."""

    adapter_type = AdapterTypeField(read_only=True)
    network = serializers.SerializerMethodField()
    nft_mint_tx = serializers.SerializerMethodField()
    ipcm_update_tx = serializers.SerializerMethodField()
    ipfs_cid = serializers.SerializerMethodField()
    ipfs_pinned = serializers.SerializerMethodField()
    nft_contract = serializers.SerializerMethodField()
    storage_location = serializers.SerializerMethodField(
        help_text='The location as text, e.g. IPFS { cid: "bafk...", pinned: true }.'
    )
    location = StorageLocationField(source="storage_location", read_only=True)
    stored_at = UnixDateTimeField(source="stored_at_ts", read_only=True)
    triggered_by = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    def _metadata(self, record: StorageHistory, name: str, kind: type) -> Any:
        value = (record.metadata or {}).get(name)
        if kind is bool:
            return value if isinstance(value, bool) else None
        return value if isinstance(value, kind) else None

    def _stellar(self, record: StorageHistory) -> dict[str, Any]:
        location = record.storage_location if isinstance(record.storage_location, dict) else {}
        stellar = location.get("Stellar")
        return stellar if isinstance(stellar, dict) else {}

    def get_network(self, record: StorageHistory) -> str | None:
        network = self._metadata(record, "network", str)
        if network is None and self._stellar(record).get("network"):
            network = f"stellar-{self._stellar(record)['network']}"
        return network

    def get_nft_mint_tx(self, record: StorageHistory) -> str | None:
        return self._metadata(record, "nft_mint_tx", str)

    def get_ipcm_update_tx(self, record: StorageHistory) -> str | None:
        return self._metadata(record, "ipcm_update_tx", str)

    def get_ipfs_cid(self, record: StorageHistory) -> str | None:
        cid = self._metadata(record, "ipfs_cid", str)
        if cid is None and isinstance(record.storage_location, dict):
            cid = (record.storage_location.get("IPFS") or {}).get("cid")
        return cid or self._stellar(record).get("cid")

    def get_ipfs_pinned(self, record: StorageHistory) -> bool | None:
        pinned = self._metadata(record, "ipfs_pinned", bool)
        if pinned is None and isinstance(record.storage_location, dict):
            pinned = (record.storage_location.get("IPFS") or {}).get("pinned")
        if pinned is None:
            pinned = self._stellar(record).get("pinned")
        return pinned if isinstance(pinned, bool) or pinned is None else None

    def get_nft_contract(self, record: StorageHistory) -> str | None:
        return self._metadata(record, "nft_contract", str)

    def get_storage_location(self, record: StorageHistory) -> str:
        return storage_location_debug_text(record.storage_location)


class ItemStorageHistorySerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    dfid = serializers.CharField()
    records = ItemStorageRecordSerializer(many=True, help_text="Newest first.")


class TestPushSerializer(serializers.Serializer):
    adapter_type = serializers.ChoiceField(
        choices=["local", "ipfs", "stellar-testnet", "stellar-mainnet"],
        help_text="The earlier engine's names (plus local).",
    )
    test_data = serializers.CharField(max_length=10_000, allow_blank=True)


class TestPushedSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    adapter_type = serializers.CharField(help_text="IPFS-IPFS, Stellar-Testnet-IPFS, ...")
    storage_location = serializers.CharField(help_text="IPFS CID, Stellar Testnet + IPFS, ...")
    hash = serializers.CharField(help_text="The CID, or the Stellar transaction hash.")
    location = StorageLocationField(help_text="Where it was stored, as storage history keeps it.")
    message = serializers.CharField()
