"""Staff console for workspaces (organisations) and their members, read-only: workspaces and
memberships change through ``accounts.services.workspaces`` (the API)."""

from django.contrib import admin

from accounts.models import Workspace, WorkspaceMember
from defarm.admin_site import DefarmModelAdmin, LimitedReadOnlyInline, ReadOnlyAdminMixin, format_ts


class WorkspaceMemberInline(LimitedReadOnlyInline):
    model = WorkspaceMember
    fields = ["user", "role", "joined", "last_active"]
    list_select_related = ("user",)
    limit = 100

    @admin.display(description="joined")
    def joined(self, obj):
        return format_ts(obj.joined_at_ts)

    @admin.display(description="last active")
    def last_active(self, obj):
        return format_ts(obj.last_active_ts) if obj.last_active_ts else "-"


@admin.register(Workspace)
class WorkspaceAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["name", "workspace_id", "owner", "created"]
    list_select_related = ["owner"]
    search_fields = ["=workspace_id", "name", "=owner__username"]
    ordering = ["-created_at_ts"]
    raw_id_fields = ["owner"]
    inlines = [WorkspaceMemberInline]

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)


@admin.register(WorkspaceMember)
class WorkspaceMemberAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["workspace", "user", "role", "joined"]
    list_select_related = ["workspace", "user"]
    list_filter = ["role"]
    search_fields = ["=workspace__workspace_id", "=user__username"]
    ordering = ["-joined_at_ts"]
    raw_id_fields = ["workspace", "user"]

    @admin.display(description="joined", ordering="joined_at_ts")
    def joined(self, obj):
        return format_ts(obj.joined_at_ts)
