"""Bodies of the member, role and join-request routes (the answers are ``CircuitResponse``
and ``CustomRoleResponse``, in ``circuits.py``)."""

from rest_framework import serializers

from circuits.api.serializers.fields import CircuitPermissionField, MemberRoleField
from defarm.api.identity import CallerIdentitySerializer


class MemberAddSerializer(CallerIdentitySerializer):
    identity_fields = ("requester_id",)

    member_id = serializers.CharField(
        max_length=255, help_text="The user's id (or, as the engine's scripts send, username)."
    )
    role = MemberRoleField(default="Member")


class MemberRoleAssignSerializer(CallerIdentitySerializer):
    """``{role, custom_role_name?}``: a custom role name wins over ``role``."""

    identity_fields = ("requester_id",)

    role = MemberRoleField(required=False)
    custom_role_name = serializers.CharField(max_length=100, required=False, allow_null=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs.get("role") and not attrs.get("custom_role_name"):
            raise serializers.ValidationError("Give a role or a custom_role_name.")
        if attrs.get("custom_role_name") is None:
            attrs.pop("custom_role_name", None)
        return attrs


def _permission_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=CircuitPermissionField(),
        help_text="Push, Pull, Invite, ManageMembers, ManagePermissions, ManageRoles, Delete, "
        "Certify, Audit (any case).",
        **kwargs,
    )


class CustomRoleCreateSerializer(CallerIdentitySerializer):
    identity_fields = ("requester_id",)

    role_name = serializers.CharField(max_length=100)
    permissions = _permission_list()
    description = serializers.CharField(required=False, allow_blank=True, default="")
    color = serializers.CharField(max_length=50, required=False, allow_null=True)


class CustomRoleUpdateSerializer(CallerIdentitySerializer):
    """Fields not sent keep their value; ``role_name`` renames the role (DeFarm's addition)."""

    identity_fields = ("requester_id",)

    permissions = _permission_list(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    color = serializers.CharField(max_length=50, required=False, allow_null=True)
    role_name = serializers.CharField(max_length=100, required=False)


class JoinRequestCreateSerializer(CallerIdentitySerializer):
    identity_fields = ("requester_id",)

    message = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class JoinRequestApproveSerializer(CallerIdentitySerializer):
    identity_fields = ("admin_id", "approver_id")

    role = MemberRoleField(default="Member")


class JoinRequestRejectSerializer(CallerIdentitySerializer):
    identity_fields = ("admin_id", "approver_id")


class PublicJoinSerializer(CallerIdentitySerializer):
    identity_fields = ("requester_id",)

    access_password = serializers.CharField(
        required=False, allow_null=True, write_only=True, style={"input_type": "password"}
    )
    message = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class PublicJoinResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField(help_text="Automatically approved | Join request submitted")
    requires_approval = serializers.BooleanField()
