"""Staff decisions in circuits: pushes waiting for approval and join requests, approved or
rejected through ``circuits.services`` with an ``admin_actions`` row for each decision.
"""

from django import forms
from django.contrib import admin

from circuits.models import (
    CircuitJoinRequest,
    CircuitPendingItem,
    JoinRequestStatus,
    PendingItemStatus,
)
from defarm.admin_site import (
    DefarmModelAdmin,
    ReadOnlyAdminMixin,
    admin_action_recorded,
    apply_each,
    form_action,
    format_ts,
    json_pretty,
    json_summary,
)

PUBLIC_SETTINGS_HIDDEN = ("password", "hash", "secret")


class RejectForm(forms.Form):
    reason = forms.CharField(
        required=False, max_length=500, help_text="Sent to the member who pushed the item."
    )


@admin.register(CircuitPendingItem)
class CircuitPendingItemAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["item", "circuit", "status", "pushed_by", "pushed", "identifier_summary"]
    list_select_related = ["item", "circuit"]
    list_filter = ["status"]
    search_fields = ["=item__dfid", "=pushed_by", "circuit__name"]
    ordering = ["-pushed_at_ts", "id"]
    raw_id_fields = ["item", "circuit", "operation"]
    readonly_fields = [
        "item",
        "circuit",
        "operation",
        "status",
        "pushed_by",
        "identifiers_display",
        "data_display",
    ]
    fields = [
        "item",
        "circuit",
        "operation",
        "status",
        "pushed_by",
        "pushed_at_ts",
        "identifiers_display",
        "data_display",
    ]
    actions = ["approve", "reject"]

    @admin.display(description="pushed", ordering="pushed_at_ts")
    def pushed(self, obj):
        return format_ts(obj.pushed_at_ts)

    @admin.display(description="identifiers")
    def identifier_summary(self, obj):
        identifiers = obj.identifiers or []
        return json_summary(
            [f"{row.get('key')}={row.get('value')}" for row in identifiers if isinstance(row, dict)]
        )

    @admin.display(description="identifiers (snapshot)")
    def identifiers_display(self, obj):
        return json_pretty(obj.identifiers)

    @admin.display(description="enriched data (snapshot)")
    def data_display(self, obj):
        return json_pretty(obj.enriched_data)

    @admin.action(description="Approve selected pending items")
    def approve(self, request, queryset):
        from circuits.services import pending_item_approve

        def apply(pending_item):
            with admin_action_recorded(
                admin=request.user,
                action_type="pending_item_approve",
                target_id=str(pending_item.pk),
                data={"circuit_id": str(pending_item.circuit_id), "dfid": pending_item.item_id},
            ):
                pending_item_approve(pending_item=pending_item, approver=request.user)
            return "Approved."

        apply_each(
            modeladmin=self,
            request=request,
            objects=queryset.filter(status=PendingItemStatus.PENDING),
            apply=apply,
        )

    @admin.action(description="Reject selected pending items")
    def reject(self, request, queryset):
        from circuits.services import pending_item_reject

        def apply(pending_item, data):
            with admin_action_recorded(
                admin=request.user,
                action_type="pending_item_reject",
                target_id=str(pending_item.pk),
                data={
                    "circuit_id": str(pending_item.circuit_id),
                    "dfid": pending_item.item_id,
                    "reason": data["reason"],
                },
            ):
                pending_item_reject(
                    pending_item=pending_item, approver=request.user, reason=data["reason"]
                )
            return f"Rejected. {data['reason']}".strip()

        return form_action(
            modeladmin=self,
            request=request,
            queryset=queryset.filter(status=PendingItemStatus.PENDING),
            form_class=RejectForm,
            title="Reject pending items",
            apply=apply,
            action_name="reject",
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=[(role, role) for role in ("Member", "Viewer", "Admin")], initial="Member"
    )


@admin.register(CircuitJoinRequest)
class CircuitJoinRequestAdmin(DefarmModelAdmin):
    list_display = ["requester", "circuit", "status", "granted_role", "decided_by", "created"]
    list_select_related = ["requester", "circuit", "decided_by"]
    list_filter = ["status"]
    search_fields = ["=requester__username", "circuit__name"]
    ordering = ["-created_at_ts", "id"]
    raw_id_fields = ["requester", "circuit", "decided_by"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="asked", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.action(description="Approve selected join requests")
    def approve(self, request, queryset):
        from circuits.services import join_request_approve

        def apply(join_request, data):
            with admin_action_recorded(
                admin=request.user,
                action_type="join_request_approve",
                target_id=str(join_request.pk),
                data={"circuit_id": str(join_request.circuit_id), "role": data["role"]},
            ):
                join_request_approve(
                    join_request=join_request, approver=request.user, role=data["role"]
                )
            return f"Approved as {data['role']}."

        return form_action(
            modeladmin=self,
            request=request,
            queryset=queryset.filter(status=JoinRequestStatus.PENDING),
            form_class=RoleForm,
            title="Approve join requests",
            apply=apply,
            action_name="approve",
        )

    @admin.action(description="Reject selected join requests")
    def reject(self, request, queryset):
        from circuits.services import join_request_reject

        def apply(join_request):
            with admin_action_recorded(
                admin=request.user,
                action_type="join_request_reject",
                target_id=str(join_request.pk),
                data={"circuit_id": str(join_request.circuit_id)},
            ):
                join_request_reject(join_request=join_request, approver=request.user)
            return "Rejected."

        apply_each(
            modeladmin=self,
            request=request,
            objects=queryset.filter(status=JoinRequestStatus.PENDING),
            apply=apply,
        )
