"""The earlier engine's workspace shapes (``WorkspaceResponse``, members, stats) and bodies."""

from typing import Any

from rest_framework import serializers

from accounts.models import (
    Workspace,
    WorkspaceMember,
    WorkspaceRole,
    WorkspaceVisibility,
    workspace_default_settings,
)
from defarm.api.fields import CallerIdField


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    """One of ``choices``, in any case; answered in its canonical spelling."""

    def to_internal_value(self, data):
        by_lower = {str(choice).lower(): choice for choice in self.choices}
        if isinstance(data, str) and data.lower() in by_lower:
            return by_lower[data.lower()]
        self.fail("invalid_choice", input=data)


DEFAULT_VISIBILITY_HELP = (
    "Who sees the items and circuits of the users whose own workspace this is (their "
    "`workspace_id`) while they are its members: `Private` (default) no one through the "
    "workspace, `Workspace` every member, read-only."
)


class WorkspaceSettingsSerializer(serializers.Serializer):
    default_circuit_permissions = serializers.DictField(
        child=serializers.BooleanField(), required=False
    )
    default_event_visibility = serializers.CharField(
        max_length=50, required=False, help_text="Default 'Private'."
    )
    encryption_enabled = serializers.BooleanField(required=False)
    retention_policy_days = serializers.IntegerField(min_value=0, required=False)
    max_members = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    allow_public_circuits = serializers.BooleanField(required=False)
    default_visibility = CaseInsensitiveChoiceField(
        choices=WorkspaceVisibility.choices, required=False, help_text=DEFAULT_VISIBILITY_HELP
    )


class WorkspaceCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    owner_id = CallerIdField()
    settings = WorkspaceSettingsSerializer(required=False)


class WorkspaceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    settings = WorkspaceSettingsSerializer(required=False)


class WorkspaceRoleField(CaseInsensitiveChoiceField):
    """``Owner``, ``Admin``, ``Member`` or ``Viewer`` (any case)."""

    def __init__(self, **kwargs):
        super().__init__(choices=WorkspaceRole.choices, **kwargs)


class WorkspaceMemberAddSerializer(serializers.Serializer):
    user_id = serializers.CharField(max_length=255, help_text="The user to add.")
    role = WorkspaceRoleField()
    requester_id = CallerIdField()


class WorkspaceMemberRoleSerializer(serializers.Serializer):
    role = WorkspaceRoleField()
    requester_id = CallerIdField()


class WorkspaceMemberSerializer(serializers.Serializer):
    user_id = serializers.CharField()
    role = serializers.CharField()
    joined_at = serializers.IntegerField(help_text="Unix seconds.")
    last_active = serializers.IntegerField(allow_null=True, help_text="Unix seconds.")

    def to_representation(self, member: WorkspaceMember) -> dict[str, Any]:
        return {
            "user_id": member.user_id,
            "role": member.role,
            "joined_at": member.joined_at_ts,
            "last_active": member.last_active_ts,
        }


class WorkspaceStatsSerializer(serializers.Serializer):
    total_members = serializers.IntegerField()
    total_circuits = serializers.IntegerField(help_text="Circuits owned by a member.")
    total_items = serializers.IntegerField(help_text="Items created by a member.")
    total_events = serializers.IntegerField(help_text="Events of those items.")
    storage_used_mb = serializers.FloatField(
        help_text="0.0: DeFarm records no byte sizes of stored content."
    )


class WorkspaceResponseSettingsSerializer(serializers.Serializer):
    default_circuit_permissions = serializers.DictField(child=serializers.BooleanField())
    default_event_visibility = serializers.CharField()
    encryption_enabled = serializers.BooleanField()
    retention_policy_days = serializers.IntegerField()
    max_members = serializers.IntegerField()
    allow_public_circuits = serializers.BooleanField()
    default_visibility = serializers.ChoiceField(
        choices=WorkspaceVisibility.choices, help_text=DEFAULT_VISIBILITY_HELP
    )


class WorkspaceSerializer(serializers.Serializer):
    """The engine's ``WorkspaceResponse``; ``stats`` come from the ``stats`` context (a dict
    by workspace id, ``accounts.selectors.workspace_stats``)."""

    workspace_id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner_id = serializers.CharField()
    created_at = serializers.IntegerField(help_text="Unix seconds.")
    updated_at = serializers.IntegerField(help_text="Unix seconds.")
    settings = WorkspaceResponseSettingsSerializer()
    members = WorkspaceMemberSerializer(many=True)
    stats = WorkspaceStatsSerializer()

    def to_representation(self, workspace: Workspace) -> dict[str, Any]:
        return {
            "workspace_id": workspace.workspace_id,
            "name": workspace.name,
            "description": workspace.description,
            "owner_id": workspace.owner_id,
            "created_at": workspace.created_at_ts,
            "updated_at": workspace.updated_at_ts,
            "settings": {**workspace_default_settings(), **(workspace.settings or {})},
            "members": [
                WorkspaceMemberSerializer(member).data for member in workspace.members.all()
            ],
            "stats": self.context["stats"][workspace.workspace_id],
        }


class WorkspaceMessageSerializer(serializers.Serializer):
    message = serializers.CharField()
