"""Serializer fields rendering accounts data in the earlier engine's spellings: RFC 3339
timestamps from Unix-second columns, tiers, statuses, organisation and notification types.
Each enum field reads every spelling the engine accepted or wrote and renders the engine's."""

from datetime import UTC, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import OrganizationType, Tier, UserStatus
from accounts.services.notifications import NotificationType


def rfc3339_from_unix(seconds: int | None) -> str | None:
    """``1700000000`` -> ``"2023-11-14T22:13:20Z"`` (the engine's chrono rendering)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


@extend_schema_field(OpenApiTypes.DATETIME)
class UnixRFC3339Field(serializers.ReadOnlyField):
    """A ``*_ts`` column (Unix seconds) rendered as an RFC 3339 UTC timestamp."""

    def to_representation(self, value):
        return rfc3339_from_unix(value)


@extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
class OptionalUnixRFC3339Field(UnixRFC3339Field):
    """A nullable ``*_ts`` column: null stays null."""


class EngineChoiceField(serializers.ChoiceField):
    """A choice read case-insensitively (and without the JSON quotes some engine rows hold),
    rendered in its canonical spelling. ``aliases`` map other spellings to a choice."""

    def __init__(self, *, choices, aliases: dict[str, str] | None = None, **kwargs):
        super().__init__(choices=choices, **kwargs)
        self._canonical = {str(value).lower(): value for value in self.choices}
        for alias, value in (aliases or {}).items():
            self._canonical[alias.lower()] = value

    def canonical(self, value) -> str | None:
        if value is None:
            return None
        text = str(value).strip().strip('"')
        return self._canonical.get(text.lower())

    def to_internal_value(self, data):
        value = self.canonical(data) if isinstance(data, str) else None
        if value is None:
            self.fail("invalid_choice", input=data)
        return value

    def to_representation(self, value):
        if value in ("", None):
            return value
        return self.canonical(value) or str(value)


def tier_field(**kwargs) -> EngineChoiceField:
    """``Basic|Professional|Enterprise|Admin``; V1 rows spell them lower case."""
    return EngineChoiceField(choices=Tier.choices, **kwargs)


def user_status_field(**kwargs) -> EngineChoiceField:
    return EngineChoiceField(choices=UserStatus.choices, **kwargs)


def organization_type_field(**kwargs) -> EngineChoiceField:
    return EngineChoiceField(choices=OrganizationType.choices, **kwargs)


# DeFarm's stored notification types and the engine's NotificationType rendering of each.
NOTIFICATION_TYPE_RENDERING: dict[str, str] = {
    NotificationType.JOIN_REQUEST_RECEIVED: "JoinRequestReceived",
    NotificationType.JOIN_REQUEST_APPROVED: "JoinRequestApproved",
    NotificationType.JOIN_REQUEST_REJECTED: "JoinRequestRejected",
    NotificationType.MEMBER_ADDED: "MemberAdded",
    NotificationType.MEMBER_REMOVED: "MemberRemoved",
    NotificationType.ROLE_CHANGED: "RoleChanged",
    NotificationType.ITEM_PENDING_APPROVAL: "CircuitItemPendingApproval",
    NotificationType.ITEM_APPROVED: "CircuitItemApproved",
    NotificationType.ITEM_REJECTED: "CircuitItemRejected",
    NotificationType.CREDITS_ADJUSTED: "CreditsAdjusted",
    NotificationType.ACCOUNT_FROZEN: "AccountFrozen",
    NotificationType.ACCOUNT_UNFROZEN: "AccountUnfrozen",
    NotificationType.TIER_CHANGED: "AccountUpdated",
    NotificationType.STAFF_RIGHTS_CHANGED: "AccountUpdated",
    NotificationType.ADAPTERS_CHANGED: "AdaptersUpdated",
}
ENGINE_NOTIFICATION_TYPES = (
    "JoinRequestReceived",
    "JoinRequestApproved",
    "JoinRequestRejected",
    "CircuitInvite",
    "ItemShared",
    "MemberAdded",
    "MemberRemoved",
    "RoleChanged",
    "CircuitUpdated",
    "AccountUpdated",
    "CreditsAdjusted",
    "AccountFrozen",
    "AccountUnfrozen",
    "AdaptersUpdated",
    "CircuitAdapterConfigUpdated",
    "CircuitItemPendingApproval",
    "CircuitItemApproved",
    "CircuitItemRejected",
)


@extend_schema_field({"type": "string", "enum": list(ENGINE_NOTIFICATION_TYPES)})
class NotificationTypeField(serializers.ReadOnlyField):
    """A stored notification type (DeFarm's snake case, or the engine's PascalCase, quoted
    or not, as V1 rows hold it) rendered as the engine's ``NotificationType``."""

    _engine = {name.lower(): name for name in ENGINE_NOTIFICATION_TYPES}

    def to_representation(self, value):
        text = str(value).strip().strip('"')
        return NOTIFICATION_TYPE_RENDERING.get(text) or self._engine.get(text.lower(), text)
