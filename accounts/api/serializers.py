from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from accounts.api.fields import (
    NotificationTypeField,
    OptionalUnixRFC3339Field,
    UnixRFC3339Field,
    organization_type_field,
    rfc3339_from_unix,
    tier_field,
    user_status_field,
)
from accounts.models import (
    ApiKey,
    ApiKeyPermission,
    CreditTransaction,
    Notification,
    OrganizationType,
    Tier,
    User,
    UserStatus,
)
from accounts.selectors import user_limits
from accounts.tiers import tier_limits
from accounts.validators import USERNAME_PATTERN, USERNAME_RULE
from adapters.api.fields import AdapterTypeField
from audit.models import AdminAction

# --- Authentication and the current user --------------------------------------------------


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(
        USERNAME_PATTERN, max_length=150, error_messages={"invalid": USERNAME_RULE}
    )
    email = serializers.EmailField(max_length=255)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    workspace_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=255, help_text="Username (or e-mail).")
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="JWT (HS256), valid 24 hours.")
    user_id = serializers.CharField()
    workspace_id = serializers.CharField(allow_null=True)
    expires_at = serializers.IntegerField(help_text="Unix seconds when the token expires.")


class ForgotPasswordSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=255, required=False, allow_blank=True, allow_null=True)
    username = serializers.CharField(
        max_length=255, required=False, allow_blank=True, allow_null=True
    )


class ResetPasswordSerializer(serializers.Serializer):
    token = serializers.CharField(
        max_length=256, allow_blank=True, help_text="The token from the e-mail."
    )
    new_password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class AuthProfileSerializer(serializers.Serializer):
    """The engine's ``UserProfile``."""

    user_id = serializers.CharField()
    username = serializers.CharField()
    email = serializers.EmailField()
    created_at = serializers.IntegerField(source="created_at_ts", help_text="Unix seconds.")
    workspace_id = serializers.CharField(allow_null=True)


class ProfileLimitsSerializer(serializers.Serializer):
    max_items_per_month = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    max_circuits = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    max_storage_locations = serializers.IntegerField(
        allow_null=True, help_text="null: DeFarm does not limit storage locations."
    )
    max_api_requests_per_hour = serializers.IntegerField(
        allow_null=True, help_text="Default per API key; null = unlimited."
    )
    max_workspace_members = serializers.IntegerField(
        allow_null=True, help_text="null: DeFarm does not limit workspace members."
    )
    can_use_premium_adapters = serializers.BooleanField(
        help_text="Whether a main-network adapter (paid writes) is available."
    )
    max_audit_retention_days = serializers.IntegerField(
        help_text="Days the account's audit trail rows are kept."
    )
    priority_support = serializers.BooleanField()
    available_adapters = serializers.ListField(
        child=serializers.CharField(), help_text="The adapter types the account may use."
    )


class ProfileSerializer(serializers.Serializer):
    user_id = serializers.CharField()
    username = serializers.CharField()
    email = serializers.EmailField()
    tier = tier_field(read_only=True)
    credits = serializers.IntegerField()
    status = user_status_field(read_only=True)
    is_admin = serializers.BooleanField()
    created_at = UnixRFC3339Field(source="created_at_ts")
    workspace_id = serializers.CharField(allow_null=True)
    subscription = serializers.JSONField(
        allow_null=True, help_text="Always null: DeFarm has no subscriptions."
    )
    limits = ProfileLimitsSerializer()


class CreditBalanceSerializer(serializers.Serializer):
    credits = serializers.IntegerField()
    tier = tier_field(read_only=True)
    last_updated = serializers.DateTimeField(help_text="When the balance last changed.")


class CreditCostsSerializer(serializers.Serializer):
    item_creation = serializers.IntegerField()
    circuit_operation = serializers.IntegerField()
    storage_migration = serializers.IntegerField()
    audit_export = serializers.IntegerField(help_text="0: DeFarm does not charge for it.")
    premium_adapter_usage = serializers.IntegerField(help_text="0: DeFarm does not charge for it.")
    api_request = serializers.IntegerField(help_text="0: DeFarm does not charge for it.")
    tier = tier_field(read_only=True)


class CreditTransactionSerializer(serializers.ModelSerializer):
    timestamp = UnixRFC3339Field(source="created_at_ts")
    description = serializers.SerializerMethodField()

    class Meta:
        model = CreditTransaction
        fields = [
            "transaction_id",
            "amount",
            "transaction_type",
            "description",
            "timestamp",
            "balance_after",
        ]
        read_only_fields = fields

    def get_description(self, ledger_row: CreditTransaction) -> str:
        return ledger_row.description or ""


class CreditHistorySerializer(serializers.Serializer):
    transactions = CreditTransactionSerializer(many=True)
    total_credits = serializers.IntegerField(help_text="The current balance.")


# --- API keys ---------------------------------------------------------------------------------


class ApiKeyPermissionsSerializer(serializers.Serializer):
    """The engine's permission object: ``read`` = safe methods, ``write`` = changes,
    ``admin`` = staff routes (staff only); ``custom`` is kept for the client's own use."""

    FIELDS = ("read", "write", "admin", "custom")
    RULE = (
        'Send an object such as {"read": true, "write": false, "admin": false, "custom": {}}; '
        "valid values: read, write, admin."
    )
    default_error_messages = {"invalid": RULE.replace("{", "{{").replace("}", "}}")}

    read = serializers.BooleanField(default=False)
    write = serializers.BooleanField(default=False)
    admin = serializers.BooleanField(default=False)
    custom = serializers.DictField(child=serializers.BooleanField(), default=dict)

    def to_internal_value(self, data):
        if isinstance(data, dict) and set(data) - set(self.FIELDS):
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [self.RULE]})
        return super().to_internal_value(data)

    def to_representation(self, api_key: ApiKey):
        granted = set(api_key.permissions or ())
        return {
            "read": ApiKeyPermission.READ in granted,
            "write": ApiKeyPermission.WRITE in granted,
            "admin": ApiKeyPermission.ADMIN in granted,
            "custom": dict(api_key.custom_permissions or {}),
        }

    @staticmethod
    def as_service_arguments(permissions: dict) -> dict:
        return {
            "permissions": [name for name in ApiKeyPermission.values if permissions.get(name)],
            "custom_permissions": permissions.get("custom") or {},
        }


class ApiKeyMetadataSerializer(serializers.ModelSerializer):
    """The engine's ``ApiKeyMetadata``, and DeFarm's limits and restrictions beside it."""

    id = serializers.UUIDField(source="key_id", read_only=True)
    organization_type = organization_type_field(read_only=True)
    permissions = ApiKeyPermissionsSerializer(source="*", read_only=True)
    last_used_at = OptionalUnixRFC3339Field(source="last_used_at_ts")
    usage_count = serializers.SerializerMethodField()
    rate_limit_per_hour = serializers.SerializerMethodField(
        help_text="Requests per hour: the key's own limit, else its owner's tier default; "
        "null = unlimited."
    )
    created_at = UnixRFC3339Field(source="created_at_ts")
    expires_at = OptionalUnixRFC3339Field(source="expires_at_ts")
    allowed_ips = serializers.ListField(
        child=serializers.CharField(), read_only=True, allow_null=True
    )
    allowed_endpoints = serializers.ListField(
        child=serializers.CharField(), read_only=True, allow_null=True
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "key_prefix",
            "organization_type",
            "organization_id",
            "permissions",
            "is_active",
            "last_used_at",
            "usage_count",
            "rate_limit_per_hour",
            "rate_limit_per_minute",
            "rate_limit_per_day",
            "allowed_ips",
            "allowed_endpoints",
            "notes",
            "created_at",
            "expires_at",
        ]
        read_only_fields = fields

    def get_usage_count(self, api_key: ApiKey) -> int:
        return getattr(api_key, "usage_count", 0)

    def get_rate_limit_per_hour(self, api_key: ApiKey) -> int | None:
        if api_key.rate_limit_per_hour is not None:
            return api_key.rate_limit_per_hour
        return tier_limits(api_key.user.tier).api_requests_per_hour


class ApiKeyListEntrySerializer(serializers.Serializer):
    metadata = ApiKeyMetadataSerializer(source="*")


class ApiKeyCreatedSerializer(serializers.Serializer):
    api_key = serializers.CharField(help_text="The key itself, shown only in this answer.")
    metadata = ApiKeyMetadataSerializer()
    warning = serializers.CharField()


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    organization_type = organization_type_field(default=OrganizationType.EXTERNAL)
    organization_id = serializers.UUIDField(required=False, allow_null=True)
    permissions = ApiKeyPermissionsSerializer(required=False, help_text="Default: read only.")
    allowed_endpoints = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        allow_null=True,
        help_text="Paths the key may call (`*` wildcard); empty or null = all.",
    )
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        allow_null=True,
        help_text="Addresses or CIDR ranges the key may be used from; empty or null = any.",
    )
    rate_limit_per_hour = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rate_limit_per_minute = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rate_limit_per_day = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_null=True, allow_blank=True)

    def to_service_arguments(self) -> dict:
        data = dict(self.validated_data)
        permissions = data.pop("permissions", None)
        if permissions is not None:
            data.update(ApiKeyPermissionsSerializer.as_service_arguments(permissions))
        return data


class ApiKeyUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    permissions = ApiKeyPermissionsSerializer(required=False)
    is_active = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    rate_limit_per_hour = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rate_limit_per_minute = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rate_limit_per_day = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_null=True
    )
    allowed_endpoints = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, allow_null=True
    )

    def to_service_arguments(self) -> dict:
        data = dict(self.validated_data)
        permissions = data.pop("permissions", None)
        if permissions is not None:
            data.update(ApiKeyPermissionsSerializer.as_service_arguments(permissions))
        return data


class ApiKeyUsageDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    requests = serializers.IntegerField()
    errors = serializers.IntegerField()


class ApiKeyUsageSerializer(serializers.Serializer):
    total_requests = serializers.IntegerField()
    successful_requests = serializers.IntegerField()
    failed_requests = serializers.IntegerField(help_text="Answers with a status of 400 or more.")
    avg_response_time_ms = serializers.FloatField(
        help_text="Mean time DeFarm took to answer the key's requests (0 before any)."
    )
    last_used_at = serializers.CharField(allow_null=True, help_text="RFC 3339")
    daily_usage = ApiKeyUsageDaySerializer(many=True)

    def to_representation(self, summary):
        return {
            "total_requests": summary["total_requests"],
            "successful_requests": summary["total_requests"] - summary["error_requests"],
            "failed_requests": summary["error_requests"],
            "avg_response_time_ms": round(summary["avg_response_time_ms"] or 0.0, 3),
            "last_used_at": rfc3339_from_unix(summary["last_used_at_ts"]),
            "daily_usage": [
                {
                    "date": day["date"].isoformat(),
                    "requests": day["requests"],
                    "errors": day["errors"],
                }
                for day in summary["per_day"]
            ],
        }


# --- Notifications ------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="notification_id", read_only=True)
    notification_type = NotificationTypeField()
    read = serializers.BooleanField(source="is_read", read_only=True)
    timestamp = UnixRFC3339Field(source="created_at_ts")
    read_at = OptionalUnixRFC3339Field(source="read_at_ts")

    class Meta:
        model = Notification
        fields = [
            "id",
            "user_id",
            "notification_type",
            "title",
            "message",
            "read",
            "timestamp",
            "data",
            "read_at",
        ]
        read_only_fields = fields


class NotificationQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(required=False, min_value=0)
    unread_only = serializers.BooleanField(required=False, default=False)


class NotificationListSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = NotificationSerializer(many=True)
    count = serializers.IntegerField(help_text="Notifications in this answer.")


class NotificationReadSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = NotificationSerializer()


class MarkedReadSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    marked_read = serializers.IntegerField()


class SuccessMessageSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()


class UnreadCountSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    unread_count = serializers.IntegerField()


# --- Staff ----------------------------------------------------------------------------------


class StaffUserSerializer(serializers.ModelSerializer):
    """The engine's ``UserResponse``."""

    tier = tier_field(read_only=True)
    status = user_status_field(read_only=True)
    credits = serializers.SerializerMethodField()
    created_at = UnixRFC3339Field(source="created_at_ts")
    updated_at = serializers.DateTimeField(read_only=True)
    last_login = OptionalUnixRFC3339Field(source="last_login_ts")
    limits = serializers.SerializerMethodField()
    available_adapters = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        allow_null=True,
        help_text="The account's own adapter list; null = the tier's defaults.",
    )

    class Meta:
        model = User
        fields = [
            "user_id",
            "username",
            "email",
            "tier",
            "status",
            "credits",
            "created_at",
            "updated_at",
            "last_login",
            "is_admin",
            "workspace_id",
            "limits",
            "available_adapters",
        ]
        read_only_fields = fields

    def get_credits(self, user: User) -> int:
        balance = getattr(user, "credit_balance", None)
        return balance.credits if balance is not None else 0

    @extend_schema_field(ProfileLimitsSerializer)
    def get_limits(self, user: User) -> dict:
        return ProfileLimitsSerializer(user_limits(user=user)).data


class StaffUserQuerySerializer(serializers.Serializer):
    username = serializers.CharField(required=False, max_length=255)
    email = serializers.CharField(required=False, max_length=255)
    tier = tier_field(required=False)
    status = user_status_field(required=False)
    is_admin = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(required=False, max_length=255)


class StaffUserListSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    users = StaffUserSerializer(many=True)
    count = serializers.IntegerField(help_text="Accounts in this answer.")


class StaffUserCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(
        USERNAME_PATTERN, max_length=150, error_messages={"invalid": USERNAME_RULE}
    )
    email = serializers.EmailField(max_length=255)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    tier = tier_field(default=Tier.BASIC)
    initial_credits = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, help_text="Default: 100 welcome credits."
    )
    workspace_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    workspace_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = user_status_field(default=UserStatus.ACTIVE)
    is_admin = serializers.BooleanField(default=False)


class StaffUserCreatedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    user_id = serializers.CharField()
    username = serializers.CharField()


class StaffUserUpdateSerializer(serializers.Serializer):
    tier = tier_field(required=False)
    status = user_status_field(required=False)
    credits = serializers.IntegerField(
        required=False, min_value=0, help_text="The new balance (not an amount to add)."
    )
    is_admin = serializers.BooleanField(required=False)
    available_adapters = serializers.ListField(
        child=AdapterTypeField(),
        required=False,
        allow_null=True,
        help_text="null or [] = the tier's defaults",
    )


class StaffUserUpdatedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    changes = serializers.CharField(help_text="`field: old -> new`, comma-separated.")


class StaffCreditsSerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Positive: a grant; negative: a penalty.")
    reason = serializers.CharField(max_length=500)
    operation_type = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Accepted and ignored."
    )


class StaffCreditsResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    transaction_id = serializers.UUIDField()


class StaffBulkCreditsSerializer(serializers.Serializer):
    user_ids = serializers.ListField(
        child=serializers.CharField(max_length=255), allow_empty=False, max_length=10_000
    )
    amount = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=500)


class StaffBulkCreditsResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    successful = serializers.ListField(child=serializers.CharField())
    failed = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2),
        help_text="`[user_id, reason]` pairs.",
    )
    total_users = serializers.IntegerField()
    successful_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()


# DeFarm's admin action types and the engine's AdminActionType each is rendered as; other
# types are rendered in the same PascalCase style.
ADMIN_ACTION_TYPE_RENDERING = {
    "user_create": "UserCreated",
    "user_update": "UserUpdated",
    "user_set_tier": "TierChanged",
    "user_set_admin": "UserUpdated",
    "user_set_adapters": "UserUpdated",
    "credits_adjust": "CreditsAdjusted",
    "credits_bulk_grant": "BulkCreditsGranted",
    "adapter_config_create": "AdapterCreated",
    "adapter_config_update": "AdapterUpdated",
    "adapter_config_delete": "AdapterDeleted",
}
STATUS_ACTION_RENDERING = {
    UserStatus.SUSPENDED: "UserSuspended",
    UserStatus.BANNED: "UserBanned",
}
# Action types whose target is an account (else it is another resource).
USER_TARGET_ACTION_TYPES = frozenset(
    {
        "user_create",
        "user_update",
        "user_set_status",
        "user_set_tier",
        "user_set_admin",
        "user_set_adapters",
        "credits_adjust",
        "api_key_create",
        "api_key_update",
        "api_key_revoke",
    }
)


class AdminActionSerializer(serializers.ModelSerializer):
    """The engine's ``AdminAction``."""

    admin_user_id = serializers.CharField(source="admin_id", read_only=True)
    admin_username = serializers.CharField(source="admin.username", read_only=True)
    action_type = serializers.SerializerMethodField()
    target_user_id = serializers.SerializerMethodField()
    target_resource_id = serializers.SerializerMethodField()
    details = serializers.SerializerMethodField()
    timestamp = UnixRFC3339Field(source="performed_at_ts")
    ip_address = serializers.SerializerMethodField(help_text="Not recorded: always null.")

    class Meta:
        model = AdminAction
        fields = [
            "action_id",
            "admin_user_id",
            "admin_username",
            "action_type",
            "target_user_id",
            "target_resource_id",
            "details",
            "timestamp",
            "ip_address",
        ]
        read_only_fields = fields

    def get_action_type(self, action: AdminAction) -> str:
        if action.action_type == "user_set_status":
            data = action.action_data or {}
            if data.get("to") in STATUS_ACTION_RENDERING:
                return STATUS_ACTION_RENDERING[data["to"]]
            if data.get("from") == UserStatus.BANNED:
                return "UserUnbanned"
            return "UserUpdated"
        rendered = ADMIN_ACTION_TYPE_RENDERING.get(action.action_type)
        return rendered or "".join(part.title() for part in action.action_type.split("_"))

    def get_target_user_id(self, action: AdminAction) -> str | None:
        return action.target_id if action.action_type in USER_TARGET_ACTION_TYPES else None

    def get_target_resource_id(self, action: AdminAction) -> str | None:
        return None if action.action_type in USER_TARGET_ACTION_TYPES else action.target_id

    def get_details(self, action: AdminAction) -> dict:
        data = action.action_data
        return data if isinstance(data, dict) else {"value": data} if data is not None else {}

    def get_ip_address(self, action: AdminAction) -> str | None:
        return None


class AdminActionListSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    actions = AdminActionSerializer(many=True)
    count = serializers.IntegerField(help_text="Actions in this answer.")


class StaffUserDetailSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    user = StaffUserSerializer()


class StaffStatusChangedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()


class StaffCreditTransactionSerializer(serializers.ModelSerializer):
    """The engine's ``CreditTransaction``."""

    user_id = serializers.CharField(read_only=True)
    description = serializers.SerializerMethodField()
    operation_type = serializers.SerializerMethodField(help_text="Not recorded: always null.")
    operation_id = serializers.SerializerMethodField(help_text="Not recorded: always null.")
    timestamp = UnixRFC3339Field(source="created_at_ts")

    class Meta:
        model = CreditTransaction
        fields = [
            "transaction_id",
            "user_id",
            "amount",
            "transaction_type",
            "description",
            "operation_type",
            "operation_id",
            "timestamp",
            "balance_after",
        ]
        read_only_fields = fields

    def get_description(self, ledger_row: CreditTransaction) -> str:
        return ledger_row.description or ""

    def get_operation_type(self, ledger_row: CreditTransaction) -> str | None:
        return None

    def get_operation_id(self, ledger_row: CreditTransaction) -> str | None:
        return None


class StaffCreditHistorySerializer(serializers.Serializer):
    success = serializers.BooleanField()
    user_id = serializers.CharField()
    transactions = StaffCreditTransactionSerializer(many=True)
    count = serializers.IntegerField(help_text="Ledger rows in this answer.")


class DashboardStatsSerializer(serializers.Serializer):
    total_users = serializers.IntegerField()
    users_by_tier = serializers.DictField(
        child=serializers.IntegerField(), help_text="basic, professional, enterprise, admin."
    )
    users_by_status = serializers.DictField(
        child=serializers.IntegerField(), help_text="Active, Suspended, Banned, ..."
    )
    total_credits_issued = serializers.IntegerField(
        help_text="Credits granted, purchased, subscribed or refunded."
    )
    total_credits_consumed = serializers.IntegerField(help_text="Credits spent on operations.")
    active_users_last_30_days = serializers.IntegerField(help_text="Signed in in 30 days.")
    new_users_last_30_days = serializers.IntegerField()
    total_items = serializers.IntegerField()
    total_circuits = serializers.IntegerField()
    api_requests_last_30_days = serializers.IntegerField(
        help_text="Requests made with API keys in 30 days."
    )
    generated_at = serializers.DateTimeField()


class DashboardStatsEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    stats = DashboardStatsSerializer()
