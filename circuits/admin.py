"""Staff console for circuits: members, roles, join requests, pushes waiting for approval,
operations, activities, webhooks and their deliveries.

Approvals, rejections, deactivation and delivery retries call ``circuits.services`` (the
same functions as the API); the admin adds the ``admin_actions`` row those services, written
for circuit managers, do not write themselves.
"""

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join

from circuits.models import (
    Activity,
    Circuit,
    CircuitCustomRole,
    CircuitItem,
    CircuitMember,
    CircuitOperation,
    CircuitPendingItem,
    CircuitStatus,
    OperationStatus,
    OperationType,
    PendingItemStatus,
    WebhookConfig,
    WebhookDelivery,
)
from defarm.admin_site import (
    MASK,
    BigTableAdmin,
    DefarmModelAdmin,
    LimitedReadOnlyInline,
    admin_action_recorded,
    apply_each,
    form_action,
    format_ts,
    json_pretty,
    json_summary,
    mask_secrets,
    restore_masked,
)
from items.admin import choices_filter

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


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
        from circuits.models import CircuitJoinRequest

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
        for field in Circuit._meta.concrete_fields:
            setattr(obj, field.attname, getattr(circuit, field.attname))
        obj._state.adding = False
        obj._state.db = circuit._state.db

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


class RejectForm(forms.Form):
    reason = forms.CharField(
        required=False, max_length=500, help_text="Sent to the member who pushed the item."
    )


@admin.register(CircuitPendingItem)
class CircuitPendingItemAdmin(DefarmModelAdmin):
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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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


# --- Webhooks ---------------------------------------------------------------------------------


class MaskedJSONWidget(forms.Textarea):
    def format_value(self, value):
        import json

        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        return json.dumps(mask_secrets(value), indent=2)


class WebhookForm(forms.ModelForm):
    """Secrets in ``auth_config`` are shown masked; a masked value left as is keeps the secret."""

    class Meta:
        model = WebhookConfig
        fields = [
            "circuit",
            "name",
            "url",
            "trigger_events",
            "enabled",
            "auth_type",
            "auth_config",
            "retry_config",
        ]
        widgets = {"auth_config": MaskedJSONWidget(attrs={"rows": 4})}
        help_texts = {"auth_config": f"Secrets show as {MASK}; leave them so to keep them."}

    def clean_auth_config(self):
        submitted = self.cleaned_data.get("auth_config")
        original = self.instance.auth_config if self.instance.pk else None
        return restore_masked(submitted, original)


class DeliveryInline(LimitedReadOnlyInline):
    model = WebhookDelivery
    fields = ["trigger_event", "status", "http_status_code", "attempt_count", "created"]
    verbose_name_plural = "deliveries (newest first)"

    @admin.display(description="created")
    def created(self, obj):
        return format_ts(obj.created_at_ts)


@admin.register(WebhookConfig)
class WebhookConfigAdmin(DefarmModelAdmin):
    form = WebhookForm
    list_display = ["name", "circuit", "url", "trigger_list", "enabled", "auth_type"]
    list_select_related = ["circuit"]
    list_filter = ["enabled", "auth_type"]
    search_fields = ["name", "url", "circuit__name", "=webhook_id"]
    ordering = ["-created_at_ts", "webhook_id"]
    autocomplete_fields = ["circuit"]
    inlines = [DeliveryInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="triggers")
    def trigger_list(self, obj):
        return ", ".join(obj.trigger_events or [])

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "circuit"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        from circuits.services.webhooks import webhook_create, webhook_update

        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in data}
            with admin_action_recorded(
                admin=request.user,
                action_type="webhook_update",
                target_id=str(obj.pk),
                data={"circuit_id": str(obj.circuit_id), "fields": sorted(changes)},
            ):
                webhook = webhook_update(
                    webhook=WebhookConfig.objects.get(pk=obj.pk), user=request.user, changes=changes
                )
        else:
            webhook = webhook_create(
                circuit=data["circuit"],
                user=request.user,
                name=data["name"],
                url=data["url"],
                trigger_events=data["trigger_events"],
                enabled=data["enabled"],
                auth_type=data.get("auth_type") or "none",
                auth_config=data.get("auth_config"),
                retry_config=data.get("retry_config"),
            )
            admin_action_record_for(request, "webhook_create", webhook)
        for field in WebhookConfig._meta.concrete_fields:
            setattr(obj, field.attname, getattr(webhook, field.attname))
        obj._state.adding = False
        obj._state.db = webhook._state.db

    def delete_model(self, request, obj):
        from circuits.services.webhooks import webhook_delete

        with admin_action_recorded(
            admin=request.user,
            action_type="webhook_delete",
            target_id=str(obj.pk),
            data={"circuit_id": str(obj.circuit_id), "name": obj.name},
        ):
            webhook_delete(webhook=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for webhook in queryset:
            self.delete_model(request, webhook)


def admin_action_record_for(request, action_type: str, webhook: WebhookConfig) -> None:
    from audit.services import admin_action_record

    admin_action_record(
        admin=request.user,
        action_type=action_type,
        target_id=str(webhook.pk),
        data={"circuit_id": str(webhook.circuit_id), "name": webhook.name},
    )


class DeliveryStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        from circuits.services.webhooks import DeliveryStatus

        return DeliveryStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = [
        "created",
        "webhook",
        "trigger_event",
        "status",
        "http_status_code",
        "attempt_count",
        "next_retry",
    ]
    list_select_related = ["webhook", "webhook__circuit"]
    list_filter = [DeliveryStatusFilter]
    search_fields = ["=delivery_id", "=webhook__webhook_id", "webhook__name"]
    ordering = ["-created_at_ts", "delivery_id"]
    raw_id_fields = ["webhook"]
    readonly_fields = ["payload_display"]
    exclude = ["payload"]
    actions = ["retry"]

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.display(description="next retry", ordering="next_retry_at_ts")
    def next_retry(self, obj):
        return format_ts(obj.next_retry_at_ts)

    @admin.display(description="payload")
    def payload_display(self, obj):
        return json_pretty(obj.payload)

    @admin.action(description="Retry selected deliveries now")
    def retry(self, request, queryset):
        from circuits.services.webhooks import webhook_delivery_retry

        def apply(delivery):
            with admin_action_recorded(
                admin=request.user,
                action_type="webhook_delivery_retry",
                target_id=str(delivery.pk),
                data={"webhook_id": str(delivery.webhook_id)},
            ):
                webhook_delivery_retry(delivery=delivery)
            return "Retry queued."

        apply_each(modeladmin=self, request=request, objects=queryset, apply=apply)


def _register_join_requests() -> None:
    from django.apps import apps

    try:
        join_request_model = apps.get_model("circuits", "CircuitJoinRequest")
    except LookupError:
        return

    class RoleForm(forms.Form):
        role = forms.ChoiceField(
            choices=[(role, role) for role in ("Member", "Viewer", "Admin")], initial="Member"
        )

    @admin.register(join_request_model)
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
                queryset=queryset.filter(status="Pending"),
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
                objects=queryset.filter(status="Pending"),
                apply=apply,
            )


_register_join_requests()
