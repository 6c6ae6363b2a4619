"""The earlier engine's user-activity shapes (``UserActivity``, its list page and stats) and
bodies. Enum values are read in any case and rendered in the engine's PascalCase."""

from datetime import UTC, datetime

from rest_framework import serializers

from accounts.api.fields import EngineChoiceField, UnixRFC3339Field, rfc3339_from_unix
from accounts.models import (
    UserActivity,
    UserActivityCategory,
    UserActivityType,
    UserResourceType,
)
from defarm.api.fields import CallerIdField


def activity_type_field(**kwargs) -> EngineChoiceField:
    return EngineChoiceField(choices=UserActivityType.choices, **kwargs)


def category_field(**kwargs) -> EngineChoiceField:
    return EngineChoiceField(choices=UserActivityCategory.choices, **kwargs)


def resource_type_field(**kwargs) -> EngineChoiceField:
    return EngineChoiceField(choices=UserResourceType.choices, **kwargs)


def unix_seconds(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp())


class UserActivitySerializer(serializers.ModelSerializer):
    """The engine's ``UserActivity``."""

    user_id = serializers.CharField(read_only=True)
    workspace_id = serializers.CharField(read_only=True, allow_null=True)
    timestamp = UnixRFC3339Field(source="timestamp_ts")
    activity_type = activity_type_field(read_only=True)
    category = category_field(read_only=True)
    resource_type = resource_type_field(read_only=True)
    metadata = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = UserActivity
        fields = [
            "activity_id",
            "user_id",
            "workspace_id",
            "timestamp",
            "activity_type",
            "category",
            "resource_type",
            "resource_id",
            "action",
            "description",
            "metadata",
            "success",
            "ip_address",
            "user_agent",
        ]
        read_only_fields = fields


class UserActivityRecordSerializer(serializers.Serializer):
    user_id = CallerIdField()
    workspace_id = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Default: the caller's own workspace; another must be one the caller is a "
        "member of (403 otherwise).",
    )
    activity_type = activity_type_field()
    category = category_field()
    resource_type = resource_type_field()
    resource_id = serializers.CharField(max_length=255)
    action = serializers.CharField(max_length=255)
    description = serializers.CharField(allow_blank=True)
    metadata = serializers.JSONField(required=False, allow_null=True, default=None)
    success = serializers.BooleanField(required=False, default=True)
    ip_address = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Default: the address the request came from.",
    )
    user_agent = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Default: the request's User-Agent.",
    )

    def validate(self, attrs):
        attrs.pop("user_id", None)
        return attrs


class UserActivityRecordedSerializer(serializers.Serializer):
    activity_id = serializers.UUIDField()
    timestamp = serializers.DateTimeField()


class UserActivityRecordedEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = UserActivityRecordedSerializer()


class UserActivityQuerySerializer(serializers.Serializer):
    category = category_field(required=False)
    activity_type = activity_type_field(required=False)
    resource_type = resource_type_field(required=False)
    start_date = serializers.DateTimeField(required=False, help_text="RFC 3339, inclusive.")
    end_date = serializers.DateTimeField(required=False, help_text="RFC 3339, inclusive.")
    search_query = serializers.CharField(
        required=False, max_length=255, help_text="Part of the action, description or resource."
    )
    user_id = serializers.CharField(
        required=False,
        max_length=255,
        help_text="Staff: only this user's; others may only name themselves (403 otherwise).",
    )


class UserActivityPageSerializer(serializers.Serializer):
    activities = UserActivitySerializer(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    per_page = serializers.IntegerField()
    total_pages = serializers.IntegerField()


class UserActivityPageEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = UserActivityPageSerializer()


class UserActivityEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = UserActivitySerializer()


class UserActivityStatsQuerySerializer(serializers.Serializer):
    period_days = serializers.IntegerField(
        required=False, default=30, min_value=1, max_value=3650, help_text="Default 30."
    )
    user_id = serializers.CharField(
        required=False, max_length=255, help_text="Staff: only this user's activities."
    )


class UserActivityStatsSerializer(serializers.Serializer):
    total_actions = serializers.IntegerField()
    by_category = serializers.DictField(child=serializers.IntegerField())
    by_type = serializers.DictField(child=serializers.IntegerField())
    most_active_hours = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="Up to five `[hour (UTC), count]` pairs, busiest first.",
    )
    success_rate = serializers.FloatField(help_text="Percent of successful activities.")
    period_start = serializers.SerializerMethodField()
    period_end = serializers.SerializerMethodField()

    def get_period_start(self, stats) -> datetime:
        return rfc3339_from_unix(stats["period_start"])

    def get_period_end(self, stats) -> datetime:
        return rfc3339_from_unix(stats["period_end"])


class UserActivityStatsEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = UserActivityStatsSerializer()


class UserActivityCleanupSerializer(serializers.Serializer):
    before_date = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="RFC 3339: only activities before it. Activities within their user's "
        "retention are kept in any case.",
    )


class DeletedCountSerializer(serializers.Serializer):
    deleted_count = serializers.IntegerField()


class UserActivityCleanupEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = DeletedCountSerializer()
