from rest_framework import serializers

from adapters.api.fields import AdapterTypeField
from adapters.models import AdapterConfig, StorageHistory
from adapters.selectors import connection_details_masked


class AdapterTypeSerializer(serializers.Serializer):
    adapter_type = serializers.CharField()
    description = serializers.CharField()
    stores_content = serializers.BooleanField()
    configured = serializers.BooleanField(
        help_text="True when the adapter can store now (local, none, or configured by staff)."
    )


class AdapterConfigSerializer(serializers.ModelSerializer):
    """Staff view of an adapter configuration; secret-looking values are shown as ********
    and sending ******** back keeps the stored value."""

    connection_details = serializers.DictField(required=False, default=dict)
    contract_configs = serializers.DictField(required=False, allow_null=True, default=None)

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
        ]
        read_only_fields = ["config_id", "created_by", "created_at_ts", "updated_at_ts"]
        # A new default replaces the type's previous one (adapter_config_create/update).
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["connection_details"] = connection_details_masked(data["connection_details"])
        data["contract_configs"] = connection_details_masked(data["contract_configs"])
        return data


class StorageHistorySerializer(serializers.ModelSerializer):
    dfid = serializers.CharField(source="item_id", read_only=True)
    is_primary = serializers.SerializerMethodField(
        help_text="True for the item's current primary location (its newest active record)."
    )

    class Meta:
        model = StorageHistory
        fields = [
            "id",
            "dfid",
            "adapter_type",
            "storage_location",
            "stored_at_ts",
            "triggered_by",
            "triggered_by_id",
            "events_range_start",
            "events_range_end",
            "is_active",
            "is_primary",
            "metadata",
            "created_at",
        ]
        read_only_fields = fields

    def get_is_primary(self, record: StorageHistory) -> bool:
        return record.pk == self.context.get("primary_id")


class PublicStorageHistorySerializer(StorageHistorySerializer):
    class Meta(StorageHistorySerializer.Meta):
        fields = [
            field
            for field in StorageHistorySerializer.Meta.fields
            if field not in {"metadata", "triggered_by_id"}
        ]
        read_only_fields = fields


class StorageMigrateSerializer(serializers.Serializer):
    adapter_type = AdapterTypeField()
    circuit_id = serializers.UUIDField(
        required=False,
        help_text="Record the migration for this circuit (needs owner or ManagePermissions).",
    )
