from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from circuits.configs import ACCESS_MODES, BRANDING_FIELDS, public_settings_for_display
from circuits.models import (
    Activity,
    Circuit,
    CircuitCustomRole,
    CircuitItem,
    CircuitJoinRequest,
    CircuitMember,
    CircuitOperation,
    CircuitPendingItem,
)
from circuits.permissions import ALL_PERMISSIONS
from items.item_view import item_view


def string_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), **kwargs)


class CircuitMemberSerializer(serializers.ModelSerializer):
    member_id = serializers.CharField(read_only=True)
    username = serializers.CharField(
        source="member.username",
        read_only=True,
        allow_null=True,
        help_text="Null for a member adopted from V1 who is no user.",
    )
    permissions = string_list(read_only=True)

    class Meta:
        model = CircuitMember
        fields = ["member_id", "username", "role", "permissions", "joined_at_ts"]
        read_only_fields = fields


class CircuitSerializer(serializers.ModelSerializer):
    owner_id = serializers.CharField(read_only=True)
    members = CircuitMemberSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text="Active, Inactive or Archived.")
    public_settings = serializers.SerializerMethodField()

    class Meta:
        model = Circuit
        fields = [
            "circuit_id",
            "name",
            "description",
            "owner_id",
            "status",
            "permissions",
            "alias_config",
            "adapter_config",
            "public_settings",
            "post_action_settings",
            "members",
            "created_at_ts",
            "last_modified_ts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
    def get_public_settings(self, circuit: Circuit):
        return public_settings_for_display(circuit.public_settings)


class CircuitCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    permissions = serializers.JSONField(required=False)
    alias_config = serializers.JSONField(required=False, allow_null=True)
    adapter_config = serializers.JSONField(required=False, allow_null=True)
    public_settings = serializers.JSONField(required=False, allow_null=True)
    post_action_settings = serializers.JSONField(required=False, allow_null=True)


class CircuitUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    permissions = serializers.JSONField(required=False)
    alias_config = serializers.JSONField(required=False, allow_null=True)
    post_action_settings = serializers.JSONField(required=False, allow_null=True)
    status = serializers.CharField(
        required=False, help_text="Active or Inactive (deleting a circuit archives it)."
    )

    def validate_status(self, value: str) -> str:
        if value not in ("Active", "Inactive"):
            raise serializers.ValidationError(
                "Must be Active or Inactive; delete the circuit to archive it."
            )
        return value


class MemberAddSerializer(serializers.Serializer):
    member_id = serializers.CharField(max_length=255)
    role = serializers.CharField(max_length=100, default="Member")


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.CharField(max_length=100, required=False)
    custom_role_name = serializers.CharField(max_length=100, required=False)

    def validate(self, attrs):
        if not attrs.get("role") and not attrs.get("custom_role_name"):
            raise serializers.ValidationError("Give a role or a custom_role_name.")
        return attrs


PERMISSIONS_HELP = f"Circuit permissions, each one of: {', '.join(ALL_PERMISSIONS)}."


class CustomRoleSerializer(serializers.ModelSerializer):
    permissions = string_list(help_text=PERMISSIONS_HELP)

    class Meta:
        model = CircuitCustomRole
        fields = ["role_name", "permissions", "created_at"]
        read_only_fields = ["created_at"]


class CustomRoleUpdateSerializer(serializers.Serializer):
    role_name = serializers.CharField(max_length=100, required=False)
    permissions = string_list(required=False, help_text=PERMISSIONS_HELP)


class JoinRequestCreateSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, default="")


class JoinRequestSerializer(serializers.ModelSerializer):
    circuit_id = serializers.UUIDField(read_only=True)
    requester_id = serializers.CharField(read_only=True)
    requester_username = serializers.CharField(source="requester.username", read_only=True)
    decided_by_id = serializers.CharField(read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True, help_text="Pending, Approved or Rejected.")

    class Meta:
        model = CircuitJoinRequest
        fields = [
            "id",
            "circuit_id",
            "requester_id",
            "requester_username",
            "message",
            "status",
            "granted_role",
            "decided_by_id",
            "created_at_ts",
            "decided_at_ts",
        ]
        read_only_fields = fields


class JoinRequestApproveSerializer(serializers.Serializer):
    role = serializers.CharField(max_length=100, default="Member")


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PushLocalSerializer(serializers.Serializer):
    local_id = serializers.UUIDField()
    identifiers = serializers.ListField(child=serializers.DictField(), required=False)
    enriched_data = serializers.DictField(required=False)


class PushLocalResultSerializer(serializers.Serializer):
    dfid = serializers.CharField(allow_null=True)
    status = serializers.CharField(
        help_text="NewItemCreated, ExistingItemEnriched or PendingApproval."
    )
    operation_id = serializers.UUIDField()
    local_id = serializers.UUIDField()


class OperationSerializer(serializers.ModelSerializer):
    circuit_id = serializers.UUIDField(read_only=True)
    operation_type = serializers.CharField(read_only=True, help_text="Push or Pull.")
    status = serializers.CharField(
        read_only=True, help_text="Pending, Approved, Rejected, Completed or Failed."
    )

    class Meta:
        model = CircuitOperation
        fields = [
            "operation_id",
            "circuit_id",
            "operation_type",
            "status",
            "dfid",
            "requester_id",
            "approver_id",
            "rejection_reason",
            "created_at_ts",
            "approved_at_ts",
            "completed_at_ts",
        ]
        read_only_fields = fields


class PendingItemSerializer(serializers.ModelSerializer):
    circuit_id = serializers.UUIDField(read_only=True)
    dfid = serializers.CharField(source="item_id", read_only=True)
    operation_id = serializers.UUIDField(read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True, help_text="Pending, Approved or Rejected.")

    class Meta:
        model = CircuitPendingItem
        fields = [
            "id",
            "circuit_id",
            "dfid",
            "identifiers",
            "enriched_data",
            "pushed_by",
            "pushed_at_ts",
            "status",
            "operation_id",
        ]
        read_only_fields = fields


class CircuitItemIdentifierSerializer(serializers.Serializer):
    namespace = serializers.CharField()
    key = serializers.CharField()
    value = serializers.CharField()
    id_type = serializers.CharField()


class CircuitItemSerializer(serializers.ModelSerializer):
    """A circuit's item as the viewer (``viewer`` in the context) sees it: the merge of the
    contribution layers it may see (``items.item_view``)."""

    dfid = serializers.CharField(source="item_id", read_only=True)
    status = serializers.CharField(source="item.status", read_only=True)
    item_hash = serializers.CharField(source="view.item_hash", read_only=True)
    enriched_data = serializers.JSONField(source="view.enriched_data", read_only=True)
    identifiers = CircuitItemIdentifierSerializer(
        source="view.identifiers", many=True, read_only=True
    )

    def to_representation(self, circuit_item):
        circuit_item.view = item_view(item=circuit_item.item, viewer=self.context["viewer"])
        return super().to_representation(circuit_item)

    class Meta:
        model = CircuitItem
        fields = [
            "dfid",
            "status",
            "item_hash",
            "identifiers",
            "enriched_data",
            "added_by",
            "added_at_ts",
        ]
        read_only_fields = fields


class ActivitySerializer(serializers.ModelSerializer):
    circuit_id = serializers.UUIDField(read_only=True, allow_null=True)
    dfids = string_list(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "activity_id",
            "activity_type",
            "circuit_id",
            "circuit_name",
            "dfids",
            "performed_by",
            "status",
            "details",
            "timestamp_ts",
        ]
        read_only_fields = fields


class CircuitAdapterInputSerializer(serializers.Serializer):
    adapter_type = serializers.CharField(max_length=100)
    sponsor_adapter_access = serializers.BooleanField(required=False, default=False)


class CircuitAdapterSerializer(serializers.Serializer):
    adapter_type = serializers.CharField(allow_null=True)
    sponsor_adapter_access = serializers.BooleanField()
    configured_by = serializers.CharField(allow_null=True)
    configured_at_ts = serializers.IntegerField(allow_null=True)


class PublicSettingsInputSerializer(serializers.Serializer):
    access_mode = serializers.ChoiceField(choices=ACCESS_MODES)
    enabled = serializers.BooleanField(required=False, default=True)
    password = serializers.CharField(
        required=False, write_only=True, style={"input_type": "password"}
    )
    public_from = serializers.CharField(
        required=False, help_text="Scheduled mode: ISO-8601 date or Unix seconds."
    )
    published_items = string_list(required=False)
    auto_publish_pushed_items = serializers.BooleanField(required=False, default=False)

    def get_fields(self):
        fields = super().get_fields()
        for name in BRANDING_FIELDS:
            fields[name] = serializers.CharField(required=False, allow_blank=True, allow_null=True)
        return fields

    def validate_public_from(self, value: str):
        return int(value) if value.isdigit() else value


class PublicEventSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    timestamp = serializers.IntegerField()
    metadata = serializers.JSONField()


class PublicItemSerializer(serializers.Serializer):
    dfid = serializers.CharField()
    status = serializers.CharField()
    enriched_data = serializers.JSONField()
    created_at_ts = serializers.IntegerField()
    last_updated_ts = serializers.IntegerField()
    events = PublicEventSerializer(source="public_events", many=True)


class PublicCircuitSerializer(serializers.Serializer):
    circuit_id = serializers.UUIDField(source="circuit.circuit_id")
    name = serializers.CharField(source="circuit.name")
    description = serializers.CharField(source="circuit.description", allow_null=True)
    access_mode = serializers.CharField(source="settings.access_mode")
    branding = serializers.SerializerMethodField()
    items = PublicItemSerializer(many=True)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_branding(self, public) -> dict:
        return {name: public.settings.get(name) for name in BRANDING_FIELDS}
