"""Serializer fields for the circuit enums, reading every spelling the earlier engine took and
rendering its forms."""

from datetime import UTC, datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from circuits.configs import ACCESS_MODES, EXPORT_PERMISSION_LEVELS
from circuits.permissions import ALL_PERMISSIONS, Role

_ROLES = {role.value.lower(): role.value for role in Role}
_PERMISSIONS = {permission.lower(): permission for permission in ALL_PERMISSIONS}
# ``open`` is the engine's other name for ``public``.
_ACCESS_MODES = {**{mode: mode for mode in ACCESS_MODES}, "open": "public"}


def rfc3339(timestamp: int | None) -> str | None:
    """Unix seconds as the engine's RFC 3339 text (``2025-01-01T00:00:00+00:00``)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(int(timestamp), tz=UTC).isoformat()


@extend_schema_field(
    {
        "type": "string",
        "description": "Owner, Admin, Member or Viewer (any case), or a custom role's name.",
        "example": "Member",
    }
)
class MemberRoleField(serializers.CharField):
    """``member`` / ``MEMBER`` / ``Member`` read as ``Member``; other names are custom roles,
    checked by the service."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data).strip()
        return _ROLES.get(text.lower(), text)


@extend_schema_field(
    {
        "type": "string",
        "enum": list(ALL_PERMISSIONS),
        "description": "A circuit permission, any case (push, Push, managemembers ...).",
    }
)
class CircuitPermissionField(serializers.CharField):
    default_error_messages = {"unknown": "Invalid permission: {value}."}

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data).strip()
        permission = _PERMISSIONS.get(text.lower())
        if permission is None:
            self.fail("unknown", value=text)
        return permission


@extend_schema_field(
    {
        "type": "string",
        "enum": ["public", "open", "protected", "scheduled"],
        "description": "Any case; open is public.",
    }
)
class AccessModeField(serializers.CharField):
    default_error_messages = {
        "unknown": "Invalid access mode '{value}' (allowed: public, protected, scheduled, open)."
    }

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data).strip()
        mode = _ACCESS_MODES.get(text.lower())
        if mode is None:
            self.fail("unknown", value=text)
        return mode


@extend_schema_field(
    {"type": "string", "enum": list(EXPORT_PERMISSION_LEVELS), "description": "Any case."}
)
class ExportPermissionsField(serializers.CharField):
    default_error_messages = {
        "unknown": "Invalid export permission level '{value}' (allowed: admin, members, public)."
    }

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data).strip().lower()
        if text not in EXPORT_PERMISSION_LEVELS:
            self.fail("unknown", value=text)
        return text


class RFC3339Field(serializers.CharField):
    """An RFC 3339 date-time read as Unix seconds (``2025-01-01T00:00:00Z``)."""

    default_error_messages = {
        "format": "Invalid date '{value}': expected RFC 3339, e.g. 2025-01-01T00:00:00Z."
    }

    def to_internal_value(self, data) -> int:
        text = super().to_internal_value(data).strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail("format", value=text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
