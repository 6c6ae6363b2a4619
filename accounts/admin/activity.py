"""Staff console for what users did (``user_activities``) and their password resets, read-only:
both are written only by services."""

from django.contrib import admin

from accounts.models import PasswordResetToken, UserActivity
from defarm.admin_site import BigTableAdmin, DefarmModelAdmin, ReadOnlyAdminMixin, format_ts


@admin.register(UserActivity)
class UserActivityAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = [
        "when",
        "user",
        "activity_type",
        "category",
        "resource_type",
        "resource_id",
        "action",
        "success",
    ]
    list_select_related = ["user"]
    list_filter = ["category", "activity_type", "resource_type", "success"]
    search_fields = ["=user__username", "=user__user_id", "=resource_id", "action"]
    ordering = ["-timestamp_ts"]
    raw_id_fields = ["user"]

    @admin.display(description="when", ordering="timestamp_ts")
    def when(self, obj):
        return format_ts(obj.timestamp_ts)


@admin.register(PasswordResetToken)
class PasswordResetTokenAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    """When resets were asked for and used; the token itself is never stored."""

    list_display = ["user", "requested", "expires", "used"]
    list_select_related = ["user"]
    search_fields = ["=user__username", "=user__user_id"]
    ordering = ["-created_at_ts"]
    raw_id_fields = ["user"]
    exclude = ["token_hash"]

    @admin.display(description="requested", ordering="created_at_ts")
    def requested(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.display(description="expires", ordering="expires_at_ts")
    def expires(self, obj):
        return format_ts(obj.expires_at_ts)

    @admin.display(description="used", ordering="used_at_ts")
    def used(self, obj):
        return format_ts(obj.used_at_ts) if obj.used_at_ts else "-"
