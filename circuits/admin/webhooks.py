"""Staff console for webhooks and their deliveries (``WebhookDeliveryAdmin`` also serves EPCIS
query subscriptions' deliveries, ``items.epcis.admin``): webhooks created and changed through
``circuits.services.webhooks`` (URL checks included), credentials masked, deliveries retried by
``webhook_delivery_retry``.
"""

from django import forms
from django.contrib import admin

from circuits.models import (
    WebhookConfig,
    WebhookDelivery,
)
from defarm.admin_site import (
    MASK,
    BigTableAdmin,
    DefarmModelAdmin,
    LimitedReadOnlyInline,
    MaskedJSONWidget,
    ReadOnlyAdminMixin,
    admin_action_recorded,
    apply_each,
    copy_saved_row,
    format_ts,
    json_pretty,
    mask_secrets,
    restore_masked,
)

# --- Webhooks ---------------------------------------------------------------------------------


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
        widgets = {"auth_config": MaskedJSONWidget(mask=mask_secrets, attrs={"rows": 4})}
        help_texts = {"auth_config": f"Secrets show as {MASK}; leave them so to keep them."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auth_config"].show_hidden_initial = False

    def clean_url(self):
        from rest_framework.exceptions import ValidationError as ApiValidationError

        from circuits.services.webhooks import webhook_url_validate

        url = self.cleaned_data.get("url")
        try:
            return webhook_url_validate(url=url)
        except ApiValidationError as refusal:
            raise forms.ValidationError(refusal.detail["url"]) from refusal

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
        copy_saved_row(source=webhook, target=obj)

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

    def delivery_target(self, delivery) -> dict:
        """Where the delivery goes, as the staff action's record names it."""
        return {"webhook_id": str(delivery.webhook_id)}

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
                data=self.delivery_target(delivery),
            ):
                webhook_delivery_retry(delivery=delivery)
            return "Retry queued."

        apply_each(modeladmin=self, request=request, objects=queryset, apply=apply)
