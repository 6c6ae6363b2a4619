"""A circuit as the earlier engine answered it (``CircuitResponse``), and the bodies that
create and change one."""

from typing import Any

from rest_framework import serializers

from adapters.api.fields import AdapterTypeField
from circuits import selectors
from circuits.api.serializers.fields import (
    AccessModeField,
    ExportPermissionsField,
    RFC3339Field,
    rfc3339,
)
from circuits.configs import CIRCUIT_PERMISSION_FLAGS, PUBLIC_SETTINGS_FLAGS
from circuits.models import Circuit, CircuitCustomRole, CircuitMember
from circuits.permissions import ROLE_PERMISSIONS
from defarm.api.identity import CallerIdentitySerializer


def _string_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), **kwargs)


# --- answers ------------------------------------------------------------------------------------


class CircuitMemberSerializer(serializers.Serializer):
    member_id = serializers.CharField()
    role = serializers.CharField(help_text="Owner, Admin, Member or Viewer.")
    custom_role_name = serializers.CharField(
        allow_null=True, help_text="The custom role the member holds, if any."
    )
    permissions = _string_list()
    joined_timestamp = serializers.IntegerField(help_text="Unix seconds.")
    username = serializers.CharField(allow_null=True)

    def to_representation(self, membership: CircuitMember) -> dict[str, Any]:
        built_in = membership.role in ROLE_PERMISSIONS
        # Prefetched, not joined: a V1 member row whose user does not exist still shows.
        member = CircuitMember.member.field.get_cached_value(membership, default=None)
        return {
            "member_id": membership.member_id,
            "role": membership.role if built_in else "Member",
            "custom_role_name": None if built_in else membership.role,
            "permissions": list(membership.permissions or []),
            "joined_timestamp": membership.joined_at_ts,
            "username": member.username if member is not None else None,
        }


class CustomRoleSerializer(serializers.Serializer):
    """``CustomRoleResponse``."""

    role_id = serializers.UUIDField()
    role_name = serializers.CharField()
    permissions = _string_list()
    description = serializers.CharField()
    color = serializers.CharField(allow_null=True)
    member_count = serializers.IntegerField()
    created_timestamp = serializers.IntegerField(help_text="Unix seconds.")
    created_by = serializers.CharField(allow_null=True)
    is_default = serializers.BooleanField()

    def to_representation(self, role: CircuitCustomRole) -> dict[str, Any]:
        member_count = getattr(role, "member_count", None)
        if member_count is None:
            member_count = CircuitMember.objects.filter(
                circuit_id=role.circuit_id, role=role.role_name
            ).count()
        return {
            "role_id": str(role.pk),
            "role_name": role.role_name,
            "permissions": list(role.permissions or []),
            "description": role.description or "",
            "color": role.color,
            "member_count": member_count,
            "created_timestamp": int(role.created_at.timestamp()) if role.created_at else None,
            "created_by": role.created_by,
            "is_default": False,
        }


class PendingJoinRequestSerializer(serializers.Serializer):
    requester_id = serializers.CharField()
    requested_at = serializers.IntegerField(help_text="Unix seconds.")
    message = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="Pending, Approved or Rejected.")

    def to_representation(self, join_request) -> dict[str, Any]:
        return {
            "requester_id": join_request.requester_id,
            "requested_at": join_request.created_at_ts,
            "message": join_request.message or None,
            "status": join_request.status,
        }


class CircuitPermissionsSerializer(serializers.Serializer):
    require_approval_for_push = serializers.BooleanField()
    require_approval_for_pull = serializers.BooleanField()
    allow_public_visibility = serializers.BooleanField()


class PublicSettingsSerializer(serializers.Serializer):
    """The engine's ``PublicSettings``. The password is never shown (``access_password`` is
    always null; ``has_password`` tells whether one is set)."""

    access_mode = serializers.CharField(help_text="Public, Protected or Scheduled.")
    scheduled_date = serializers.CharField(allow_null=True, help_text="RFC 3339.")
    access_password = serializers.CharField(allow_null=True, help_text="Always null.")
    has_password = serializers.BooleanField()
    public_name = serializers.CharField(allow_null=True)
    public_description = serializers.CharField(allow_null=True)
    primary_color = serializers.CharField(allow_null=True)
    secondary_color = serializers.CharField(allow_null=True)
    logo_url = serializers.CharField(allow_null=True)
    tagline = serializers.CharField(allow_null=True)
    footer_text = serializers.CharField(allow_null=True)
    banner_url = serializers.CharField(allow_null=True)
    website_url = serializers.CharField(allow_null=True)
    contact_email = serializers.CharField(allow_null=True)
    published_items = _string_list()
    auto_approve_members = serializers.BooleanField()
    auto_publish_pushed_items = serializers.BooleanField()
    show_encrypted_events = serializers.BooleanField()
    required_event_types = serializers.CharField(allow_null=True)
    data_quality_rules = serializers.CharField(allow_null=True)
    export_permissions = serializers.CharField(
        allow_null=True, help_text="Admin, Members or Public."
    )
    enabled = serializers.BooleanField()
    public_since = serializers.CharField(allow_null=True, help_text="RFC 3339.")

    def to_representation(self, settings: dict) -> dict[str, Any]:
        """``settings`` is the stored JSON with ``published_items`` set from the circuit's
        published item rows (``CircuitSerializer`` adds them)."""
        export = settings.get("export_permissions")
        return {
            "access_mode": str(settings.get("access_mode") or "public").capitalize(),
            "scheduled_date": rfc3339(settings.get("public_from_ts")),
            "access_password": None,
            "has_password": bool(settings.get("password_hash")),
            **{
                name: settings.get(name)
                for name in (
                    "public_name",
                    "public_description",
                    "primary_color",
                    "secondary_color",
                    "logo_url",
                    "tagline",
                    "footer_text",
                    "banner_url",
                    "website_url",
                    "contact_email",
                    "required_event_types",
                    "data_quality_rules",
                )
            },
            "published_items": list(settings.get("published_items") or []),
            **{flag: bool(settings.get(flag)) for flag in PUBLIC_SETTINGS_FLAGS},
            "export_permissions": export.capitalize() if export else None,
            "enabled": bool(settings.get("enabled", True)),
            "public_since": rfc3339(settings.get("public_since_ts")),
        }


class CircuitSerializer(serializers.Serializer):
    """``CircuitResponse``: members, pending join requests and custom roles come from the
    prefetches of ``selectors.circuits_with_details``."""

    circuit_id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner_id = serializers.CharField()
    created_timestamp = serializers.IntegerField(help_text="Unix seconds.")
    last_modified = serializers.IntegerField(help_text="Unix seconds.")
    members = CircuitMemberSerializer(many=True)
    permissions = CircuitPermissionsSerializer()
    status = serializers.CharField(help_text="Active, Inactive or Archived.")
    pending_requests = PendingJoinRequestSerializer(many=True)
    custom_roles = CustomRoleSerializer(many=True)
    public_settings = PublicSettingsSerializer(allow_null=True)
    alias_config = serializers.JSONField(allow_null=True)
    adapter_config = serializers.JSONField(allow_null=True)

    def to_representation(self, circuit: Circuit) -> dict[str, Any]:
        members = list(circuit.members.all())
        role_counts: dict[str, int] = {}
        for membership in members:
            role_counts[membership.role] = role_counts.get(membership.role, 0) + 1
        roles = list(circuit.custom_roles.all())
        for role in roles:
            role.member_count = role_counts.get(role.role_name, 0)
        flags = circuit.permissions or {}
        pending = getattr(circuit, "pending_join_requests", None)
        if pending is None:
            pending = circuit.join_requests.filter(status="Pending").order_by("created_at_ts")
        return {
            "circuit_id": str(circuit.circuit_id),
            "name": circuit.name,
            "description": circuit.description or "",
            "owner_id": circuit.owner_id,
            "created_timestamp": circuit.created_at_ts,
            "last_modified": circuit.last_modified_ts,
            "members": [CircuitMemberSerializer().to_representation(m) for m in members],
            "permissions": {flag: bool(flags.get(flag)) for flag in CIRCUIT_PERMISSION_FLAGS},
            "status": circuit.status,
            "pending_requests": [
                PendingJoinRequestSerializer().to_representation(r) for r in pending
            ],
            "custom_roles": [CustomRoleSerializer().to_representation(role) for role in roles],
            "public_settings": (
                PublicSettingsSerializer().to_representation(
                    {
                        **circuit.public_settings,
                        "published_items": selectors.circuit_published_dfids(circuit=circuit),
                    }
                )
                if circuit.public_settings
                else None
            ),
            "alias_config": circuit.alias_config,
            "adapter_config": circuit.adapter_config,
        }


# --- bodies -------------------------------------------------------------------------------------


class AdapterConfigInputSerializer(serializers.Serializer):
    adapter_type = AdapterTypeField(required=False, allow_null=True)
    requires_approval = serializers.BooleanField(required=False, default=False)
    auto_migrate_existing = serializers.BooleanField(required=False, default=False)
    sponsor_adapter_access = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("adapter_type") is None:
            attrs["adapter_type"] = "none"
        return attrs


class PublicSettingsInputSerializer(serializers.Serializer):
    """The engine's ``PublicSettingsRequest``; read into the names the service stores."""

    access_mode = AccessModeField()
    scheduled_date = RFC3339Field(
        required=False, allow_null=True, help_text="RFC 3339; required when scheduled."
    )
    access_password = serializers.CharField(
        required=False,
        allow_null=True,
        write_only=True,
        style={"input_type": "password"},
        help_text="Required when protected (stored hashed, never shown).",
    )
    published_items = _string_list(required=False, allow_null=True)
    export_permissions = ExportPermissionsField(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, default=True)

    def get_fields(self):
        fields = super().get_fields()
        for name in (
            "public_name",
            "public_description",
            "primary_color",
            "secondary_color",
            "logo_url",
            "tagline",
            "footer_text",
            "banner_url",
            "website_url",
            "contact_email",
            "required_event_types",
            "data_quality_rules",
        ):
            fields[name] = serializers.CharField(required=False, allow_blank=True, allow_null=True)
        for flag in PUBLIC_SETTINGS_FLAGS:
            fields[flag] = serializers.BooleanField(required=False, default=False)
        return fields

    def validate(self, attrs):
        attrs = dict(attrs)
        password = attrs.pop("access_password", None)
        if password is not None:
            attrs["password"] = password
        scheduled = attrs.pop("scheduled_date", None)
        if scheduled is not None:
            attrs["public_from"] = scheduled
        return attrs


class CircuitCreateSerializer(CallerIdentitySerializer):
    """The engine's ``CreateCircuitRequest``; ``permissions`` (an object of the three flags)
    is DeFarm's other way to give them."""

    identity_fields = ("owner_id",)

    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    adapter_config = AdapterConfigInputSerializer(required=False, allow_null=True)
    alias_config = serializers.JSONField(required=False, allow_null=True)
    allow_public_visibility = serializers.BooleanField(required=False, allow_null=True)
    public_settings = PublicSettingsInputSerializer(required=False, allow_null=True)
    require_approval_for_push = serializers.BooleanField(required=False, allow_null=True)
    require_approval_for_pull = serializers.BooleanField(required=False, allow_null=True)
    auto_approve_members = serializers.BooleanField(
        required=False, allow_null=True, help_text="Ignored (set it in public_settings)."
    )
    default_namespace = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Ignored."
    )
    permissions = serializers.JSONField(required=False)
    post_action_settings = serializers.JSONField(required=False, allow_null=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.pop("auto_approve_members", None)
        attrs.pop("default_namespace", None)
        permissions = attrs.get("permissions")
        permissions = dict(permissions) if isinstance(permissions, dict) else permissions
        if permissions is None or isinstance(permissions, dict):
            permissions = permissions or {}
            for flag in ("require_approval_for_push", "require_approval_for_pull"):
                if attrs.get(flag) is not None:
                    permissions[flag] = attrs[flag]
            if attrs.get("allow_public_visibility") or attrs.get("public_settings"):
                permissions["allow_public_visibility"] = True
            elif attrs.get("allow_public_visibility") is False:
                permissions["allow_public_visibility"] = False
        for flag in ("require_approval_for_push", "require_approval_for_pull"):
            attrs.pop(flag, None)
        attrs.pop("allow_public_visibility", None)
        attrs["permissions"] = permissions
        return attrs


class CircuitPermissionsInputSerializer(serializers.Serializer):
    require_approval_for_push = serializers.BooleanField(required=False)
    require_approval_for_pull = serializers.BooleanField(required=False)
    allow_public_visibility = serializers.BooleanField(required=False)


class CircuitUpdateSerializer(CallerIdentitySerializer):
    """The engine's ``UpdateCircuitRequest`` (every field optional; permission flags not sent
    keep their value), plus DeFarm's ``alias_config``, ``post_action_settings`` and
    ``status``."""

    identity_fields = ("requester_id",)

    name = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    permissions = CircuitPermissionsInputSerializer(required=False)
    alias_config = serializers.JSONField(required=False, allow_null=True)
    post_action_settings = serializers.JSONField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=["Active", "Inactive"],
        required=False,
        help_text="Active or Inactive (deleting a circuit archives it).",
    )


class PublicSettingsUpdateSerializer(CallerIdentitySerializer):
    """``{"public_settings": {...}}``, the engine's ``UpdatePublicSettingsRequest``."""

    identity_fields = ("requester_id",)

    public_settings = PublicSettingsInputSerializer()


class CircuitAdapterSerializer(serializers.Serializer):
    """The engine's ``GetAdapterConfigResponse``."""

    adapter_type = serializers.CharField(
        allow_null=True, help_text="none when no adapter is set; ipfs-ipfs, local ..."
    )
    sponsor_adapter_access = serializers.BooleanField()
    requires_approval = serializers.BooleanField()
    auto_migrate_existing = serializers.BooleanField()
    configured_by = serializers.CharField()
    configured_at = serializers.CharField(help_text="RFC 3339.")

    def to_representation(self, circuit: Circuit) -> dict[str, Any]:
        config = circuit.adapter_config or {}
        return {
            "adapter_type": config.get("adapter_type") or "none",
            "sponsor_adapter_access": bool(config.get("sponsor_adapter_access")),
            "requires_approval": bool(config.get("requires_approval")),
            "auto_migrate_existing": bool(config.get("auto_migrate_existing")),
            "configured_by": config.get("configured_by") or "system",
            "configured_at": rfc3339(config.get("configured_at_ts") or circuit.created_at_ts),
        }


class CircuitEnvelopeSerializer(serializers.Serializer):
    """``{"success": true, "data": CircuitResponse}``."""

    success = serializers.BooleanField()
    data = CircuitSerializer()


class MessageEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()


class VisibilityToggleSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    circuit_id = serializers.UUIDField()
    name = serializers.CharField()
    visibility = serializers.CharField(help_text="public or private.")
    allow_public_visibility = serializers.BooleanField()
