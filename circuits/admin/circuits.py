"""Staff console for circuits: members, roles, join requests, pushes waiting for approval,
operations and activities.

Approvals, rejections and deactivation call ``circuits.services`` (the API's functions); the
admin adds the ``admin_actions`` row those services, written for circuit managers, leave out.
"""

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join

from circuits.models import (
    Activity,
    Circuit,
    CircuitCustomRole,
    CircuitItem,
    CircuitJoinRequest,
    CircuitMember,
    CircuitOperation,
    CircuitPendingItem,
    CircuitStatus,
    OperationStatus,
    OperationType,
    PendingItemStatus,
    WebhookConfig,
)
from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    LimitedReadOnlyInline,
    ReadOnlyAdminMixin,
    admin_action_recorded,
    apply_each,
    choices_filter,
    copy_saved_row,
    format_ts,
    json_pretty,
    json_summary,
)

PUBLIC_SETTINGS_HIDDEN = ("password", "hash", "secret")


def public_settings_safe(settings_value):
    """Public settings without the protected-mode password hash (never shown)."""
    if not isinstance(settings_value, dict):
        return settings_value
    return {
        key: value
        for key, value in settings_value.items()
        if not any(part in key.lower() for part in PUBLIC_SETTINGS_HIDDEN)
    }


# --- Circuits ---------------------------------------------------------------------------------


class MemberInline(LimitedReadOnlyInline):
    model = CircuitMember
    limit = 50
    fields = ["member", "role", "permission_list", "joined"]
    list_select_related = ("member",)

    @admin.display(description="permissions")
    def permission_list(self, obj):
        return ", ".join(obj.permissions or [])

    @admin.display(description="joined")
    def joined(self, obj):
        return format_ts(obj.joined_at_ts)


class CustomRoleInline(LimitedReadOnlyInline):
    model = CircuitCustomRole
    limit = 50
    fields = ["role_name", "permission_list"]

    @admin.display(description="permissions")
    def permission_list(self, obj):
        return ", ".join(obj.permissions or [])


class CircuitItemInline(LimitedReadOnlyInline):
    model = CircuitItem
    fields = ["item", "added_by", "added"]
    list_select_related = ("item",)
    verbose_name_plural = "items (newest first)"

    @admin.display(description="added")
    def added(self, obj):
        return format_ts(obj.added_at_ts)


class PendingItemInline(LimitedReadOnlyInline):
    model = CircuitPendingItem
    fields = ["item", "status", "pushed_by", "pushed"]
    list_select_related = ("item",)
    verbose_name_plural = "pushes waiting for approval (newest first)"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=PendingItemStatus.PENDING)

    @admin.display(description="pushed")
    def pushed(self, obj):
        return format_ts(obj.pushed_at_ts)


class CircuitForm(forms.ModelForm):
    class Meta:
        model = Circuit
        fields = [
            "name",
            "description",
            "owner",
            "permissions",
            "alias_config",
            "post_action_settings",
        ]


@admin.register(Circuit)
class CircuitAdmin(DefarmModelAdmin):
    form = CircuitForm
    list_display = ["name", "owner", "status", "permission_summary", "adapter", "created"]
    list_select_related = ["owner"]
    list_filter = ["status"]
    search_fields = ["name", "=circuit_id", "=owner__username"]
    ordering = ["-created_at_ts", "circuit_id"]
    autocomplete_fields = ["owner"]
    readonly_fields = [
        "circuit_id",
        "status",
        "adapter_config_display",
        "public_settings_display",
        "related",
    ]
    fieldsets = [
        (None, {"fields": ["circuit_id", "name", "description", "owner", "status", "related"]}),
        (
            "Configuration",
            {
                "fields": [
                    "permissions",
                    "alias_config",
                    "post_action_settings",
                    "adapter_config_display",
                    "public_settings_display",
                ]
            },
        ),
        (
            "Timestamps",
            {
                "classes": ["collapse"],
                "fields": ["created_at_ts", "last_modified_ts", "created_at", "updated_at"],
            },
        ),
    ]
    inlines = [MemberInline, CustomRoleInline, CircuitItemInline, PendingItemInline]
    actions = ["deactivate"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # Circuits are archived or deactivated; their history stays.
        return False

    @admin.display(description="permissions")
    def permission_summary(self, obj):
        return json_summary({key: value for key, value in (obj.permissions or {}).items() if value})

    @admin.display(description="adapter")
    def adapter(self, obj):
        config = obj.adapter_config or {}
        return config.get("adapter_type", "-") if isinstance(config, dict) else "-"

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "owner"] if obj is not None else fields

    @admin.display(description="adapter config")
    def adapter_config_display(self, obj):
        return json_pretty(obj.adapter_config)

    @admin.display(description="public settings")
    def public_settings_display(self, obj):
        return json_pretty(public_settings_safe(obj.public_settings))

    @admin.display(description="related")
    def related(self, obj):
        if obj.pk is None:
            return "-"

        links = [
            self.related_link(CircuitMember, "members", circuit__exact=obj.pk),
            self.related_link(CircuitItem, "items", circuit__exact=obj.pk),
            self.related_link(CircuitPendingItem, "pending pushes", circuit__exact=obj.pk),
            self.related_link(CircuitJoinRequest, "join requests", circuit__exact=obj.pk),
            self.related_link(CircuitOperation, "operations", circuit__exact=obj.pk),
            self.related_link(Activity, "activities", circuit__exact=obj.pk),
            self.related_link(WebhookConfig, "webhooks", circuit__exact=obj.pk),
        ]
        return format_html_join(" · ", "{}", ((link,) for link in links))

    def save_model(self, request, obj, form, change):
        from circuits.services import circuit_create, circuit_update

        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in data}
            with admin_action_recorded(
                admin=request.user,
                action_type="circuit_update",
                target_id=str(obj.pk),
                data={"fields": sorted(changes)},
            ):
                circuit = circuit_update(
                    circuit=Circuit.objects.get(pk=obj.pk), actor=request.user, **changes
                )
        else:
            circuit = circuit_create(
                owner=data["owner"],
                name=data["name"],
                description=data.get("description") or None,
                permissions=data.get("permissions") or None,
                alias_config=data.get("alias_config"),
                post_action_settings=data.get("post_action_settings"),
            )
        copy_saved_row(source=circuit, target=obj)

    @admin.action(description="Deactivate selected circuits")
    def deactivate(self, request, queryset):
        from circuits.services import circuit_deactivate

        def apply(circuit):
            with admin_action_recorded(
                admin=request.user,
                action_type="circuit_deactivate",
                target_id=str(circuit.pk),
                data={"from": circuit.status, "to": CircuitStatus.INACTIVE},
            ):
                circuit_deactivate(circuit=circuit, actor=request.user)
            return "Deactivated."

        apply_each(
            modeladmin=self,
            request=request,
            objects=queryset.exclude(status=CircuitStatus.INACTIVE),
            apply=apply,
        )


@admin.register(CircuitMember)
class CircuitMemberAdmin(DefarmModelAdmin):
    list_display = ["member", "circuit", "role", "permission_list", "joined"]
    list_select_related = ["member", "circuit"]
    list_filter = ["role"]
    search_fields = ["=member__username", "=member__user_id", "circuit__name"]
    ordering = ["-joined_at_ts", "id"]
    autocomplete_fields = ["circuit", "member"]
    fields = ["circuit", "member", "role", "permission_list", "joined_at_ts"]
    readonly_fields = ["permission_list"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "circuit", "member"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        from circuits.services import member_add, member_update

        circuit = form.cleaned_data.get("circuit") or obj.circuit
        with admin_action_recorded(
            admin=request.user,
            action_type="member_update" if change else "member_add",
            target_id=str(circuit.pk),
            data={"member_id": obj.member_id, "role": obj.role},
        ):
            if change:
                membership = member_update(
                    circuit=circuit, actor=request.user, member_id=obj.member_id, role=obj.role
                )
            else:
                membership = member_add(
                    circuit=circuit,
                    actor=request.user,
                    member=form.cleaned_data["member"],
                    role=obj.role,
                )
        copy_saved_row(source=membership, target=obj)

    def delete_model(self, request, obj):
        from circuits.services import member_remove

        with admin_action_recorded(
            admin=request.user,
            action_type="member_remove",
            target_id=str(obj.circuit_id),
            data={"member_id": obj.member_id},
        ):
            member_remove(circuit=obj.circuit, actor=request.user, member_id=obj.member_id)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("circuit"):
            self.delete_model(request, membership)

    @admin.display(description="permissions")
    def permission_list(self, obj):
        return ", ".join(obj.permissions or [])

    @admin.display(description="joined", ordering="joined_at_ts")
    def joined(self, obj):
        return format_ts(obj.joined_at_ts)


@admin.register(CircuitCustomRole)
class CircuitCustomRoleAdmin(DefarmModelAdmin):
    list_display = ["role_name", "circuit", "permission_list"]
    list_select_related = ["circuit"]
    search_fields = ["role_name", "circuit__name"]
    ordering = ["circuit", "role_name"]
    autocomplete_fields = ["circuit"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "circuit"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        from circuits.services import role_create, role_update

        circuit = form.cleaned_data.get("circuit") or obj.circuit
        with admin_action_recorded(
            admin=request.user,
            action_type="role_update" if change else "role_create",
            target_id=str(circuit.pk),
            data={"role_name": obj.role_name, "permissions": list(obj.permissions or [])},
        ):
            if change:
                role = role_update(
                    circuit=circuit,
                    actor=request.user,
                    role=CircuitCustomRole.objects.get(pk=obj.pk),
                    permissions=obj.permissions,
                    role_name=obj.role_name,
                )
            else:
                role = role_create(
                    circuit=circuit,
                    actor=request.user,
                    role_name=obj.role_name,
                    permissions=obj.permissions,
                )
        copy_saved_row(source=role, target=obj)

    def delete_model(self, request, obj):
        from circuits.services import role_delete

        with admin_action_recorded(
            admin=request.user,
            action_type="role_delete",
            target_id=str(obj.circuit_id),
            data={"role_name": obj.role_name},
        ):
            role_delete(circuit=obj.circuit, actor=request.user, role=obj)

    def delete_queryset(self, request, queryset):
        for role in queryset.select_related("circuit"):
            self.delete_model(request, role)

    @admin.display(description="permissions")
    def permission_list(self, obj):
        return ", ".join(obj.permissions or [])


@admin.register(CircuitItem)
class CircuitItemAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["item", "circuit", "added_by", "added"]
    list_select_related = ["item", "circuit"]
    search_fields = ["=item__dfid", "circuit__name"]
    ordering = ["-added_at_ts", "id"]
    raw_id_fields = ["item", "circuit"]

    @admin.display(description="added", ordering="added_at_ts")
    def added(self, obj):
        return format_ts(obj.added_at_ts)


@admin.register(CircuitOperation)
class CircuitOperationAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = [
        "operation_id",
        "operation_type",
        "status",
        "circuit",
        "dfid",
        "requester_id",
        "approver_id",
        "created",
    ]
    list_select_related = ["circuit"]
    list_filter = [
        choices_filter("operation_type", OperationType.choices, "type"),
        choices_filter("status", OperationStatus.choices),
    ]
    search_fields = ["=operation_id", "=dfid", "=requester_id", "circuit__name"]
    ordering = ["-created_at_ts", "operation_id"]
    raw_id_fields = ["circuit"]

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["when", "activity_type", "circuit_name", "dfid_list", "performed_by", "status"]
    search_fields = ["=performed_by", "circuit_name", "=activity_id"]
    ordering = ["-timestamp_ts", "activity_id"]
    raw_id_fields = ["circuit"]

    @admin.display(description="when", ordering="timestamp_ts")
    def when(self, obj):
        return format_ts(obj.timestamp_ts)

    @admin.display(description="items")
    def dfid_list(self, obj):
        return json_summary(obj.dfids)
