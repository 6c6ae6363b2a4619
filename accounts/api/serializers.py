from rest_framework import serializers

from accounts.models import (
    ApiKey,
    ApiKeyPermission,
    CreditTransaction,
    Notification,
    Tier,
    User,
    UserStatus,
)
from accounts.validators import USERNAME_PATTERN, USERNAME_RULE
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
    token = serializers.CharField()
    user_id = serializers.CharField()
    workspace_id = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField()


class LimitsSerializer(serializers.Serializer):
    items_per_month = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    circuits_owned = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    api_requests_per_hour = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    adapters = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="null = every adapter type"
    )


class MeSerializer(serializers.Serializer):
    user_id = serializers.CharField()
    username = serializers.CharField()
    email = serializers.EmailField()
    tier = serializers.CharField()
    status = serializers.CharField()
    is_admin = serializers.BooleanField()
    workspace_id = serializers.CharField(allow_null=True)
    credits = serializers.IntegerField()
    limits = LimitsSerializer()


class CreditsSerializer(serializers.Serializer):
    credits = serializers.IntegerField()
    tier = serializers.CharField()


class CreditCostsSerializer(serializers.Serializer):
    tier = serializers.CharField()
    costs = serializers.DictField(child=serializers.IntegerField())


class CreditTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditTransaction
        fields = [
            "transaction_id",
            "amount",
            "transaction_type",
            "description",
            "balance_after",
            "created_at_ts",
        ]
        read_only_fields = fields


# --- API keys ---------------------------------------------------------------------------------


def _permissions_field(**kwargs) -> serializers.ListField:
    valid = ", ".join(ApiKeyPermission.values)
    return serializers.ListField(
        child=serializers.ChoiceField(
            choices=ApiKeyPermission.choices,
            error_messages={
                "invalid_choice": f'"{{input}}" is not a permission; valid values: {valid}.'
            },
        ),
        **kwargs,
    )


class ApiKeySerializer(serializers.ModelSerializer):
    permissions = _permissions_field(read_only=True)
    allowed_ips = serializers.ListField(
        child=serializers.CharField(), read_only=True, allow_null=True
    )
    allowed_endpoints = serializers.ListField(
        child=serializers.CharField(), read_only=True, allow_null=True
    )

    class Meta:
        model = ApiKey
        fields = [
            "key_id",
            "name",
            "key_prefix",
            "permissions",
            "rate_limit_per_minute",
            "rate_limit_per_hour",
            "rate_limit_per_day",
            "allowed_ips",
            "allowed_endpoints",
            "expires_at_ts",
            "is_active",
            "last_used_at_ts",
            "created_at_ts",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    api_key = serializers.CharField(
        read_only=True, help_text="The key itself, shown only in this answer."
    )

    class Meta(ApiKeySerializer.Meta):
        fields = ["api_key", *ApiKeySerializer.Meta.fields]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    permissions = _permissions_field(required=False, allow_empty=False, default=["read"])
    rate_limit_per_minute = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rate_limit_per_hour = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rate_limit_per_day = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_null=True
    )
    allowed_endpoints = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, allow_null=True
    )


class ApiKeyUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    permissions = _permissions_field(required=False, allow_empty=False)
    rate_limit_per_minute = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rate_limit_per_hour = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rate_limit_per_day = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_null=True
    )
    allowed_endpoints = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, allow_null=True
    )


class ApiKeyUsageDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    requests = serializers.IntegerField()
    errors = serializers.IntegerField()


class ApiKeyUsageSerializer(serializers.Serializer):
    total_requests = serializers.IntegerField()
    error_requests = serializers.IntegerField()
    first_used_at_ts = serializers.IntegerField(allow_null=True)
    last_used_at_ts = serializers.IntegerField(allow_null=True)
    days = serializers.IntegerField()
    per_day = ApiKeyUsageDaySerializer(many=True)


# --- Notifications ------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "notification_id",
            "notification_type",
            "title",
            "message",
            "data",
            "is_read",
            "read_at_ts",
            "created_at_ts",
        ]
        read_only_fields = fields


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


# --- Staff ----------------------------------------------------------------------------------


class StaffUserSerializer(serializers.ModelSerializer):
    available_adapters = serializers.ListField(
        child=serializers.CharField(), read_only=True, allow_null=True
    )
    credits = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "user_id",
            "username",
            "email",
            "tier",
            "status",
            "is_admin",
            "workspace_id",
            "available_adapters",
            "credits",
            "last_login_ts",
            "created_at_ts",
        ]
        read_only_fields = fields

    def get_credits(self, user: User) -> int:
        balance = getattr(user, "credit_balance", None)
        return balance.credits if balance is not None else 0


class StaffUserCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(
        USERNAME_PATTERN, max_length=150, error_messages={"invalid": USERNAME_RULE}
    )
    email = serializers.EmailField(max_length=255)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    workspace_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tier = serializers.ChoiceField(choices=Tier.choices, default=Tier.BASIC)
    status = serializers.ChoiceField(choices=UserStatus.choices, default=UserStatus.ACTIVE)
    is_admin = serializers.BooleanField(default=False)


class StaffUserUpdateSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    status = serializers.ChoiceField(choices=UserStatus.choices, required=False)
    is_admin = serializers.BooleanField(required=False)
    available_adapters = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        allow_null=True,
        help_text="null or [] = the tier's defaults",
    )


class StaffCreditsSerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Positive: a grant; negative: a penalty.")
    reason = serializers.CharField(max_length=500)


class StaffBulkCreditsSerializer(serializers.Serializer):
    user_ids = serializers.ListField(
        child=serializers.CharField(max_length=255), allow_empty=False, max_length=10_000
    )
    amount = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=500)


class StaffBulkCreditsResultSerializer(serializers.Serializer):
    granted = serializers.IntegerField()
    amount = serializers.IntegerField()


class AdminActionSerializer(serializers.ModelSerializer):
    admin_username = serializers.CharField(source="admin.username", read_only=True)

    class Meta:
        model = AdminAction
        fields = [
            "action_id",
            "admin_id",
            "admin_username",
            "action_type",
            "target_id",
            "action_data",
            "performed_at_ts",
        ]
        read_only_fields = fields
