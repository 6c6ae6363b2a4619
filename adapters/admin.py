"""Staff console for storage adapters and each item's storage history.

Adapter configurations are created, changed and deleted through ``adapters.services`` (which
record the staff action and keep one default per type); their secrets are shown masked and a
masked value sent back keeps the stored secret.
"""

from django import forms
from django.contrib import admin

from adapters.models import AdapterConfig, StorageHistory, StorageTrigger
from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    MaskedJSONWidget,
    ReadOnlyAdminMixin,
    choices_filter,
    copy_saved_row,
    format_ts,
    json_pretty,
    json_summary,
)


def _masked(value):
    from adapters.selectors import connection_details_masked

    return connection_details_masked(value)


class AdapterConfigForm(forms.ModelForm):
    class Meta:
        model = AdapterConfig
        fields = [
            "name",
            "description",
            "adapter_type",
            "connection_details",
            "contract_configs",
            "is_active",
            "is_default",
        ]
        widgets = {
            "connection_details": MaskedJSONWidget(mask=_masked, attrs={"rows": 6}),
            "contract_configs": MaskedJSONWidget(mask=_masked, attrs={"rows": 4}),
        }
        help_texts = {
            "connection_details": "Secrets (keys, tokens, passwords) show masked; leave a masked "
            "value as it is to keep the stored secret.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("connection_details", "contract_configs"):
            # No hidden copy of the unmasked value (Django adds one for callable defaults).
            self.fields[name].show_hidden_initial = False


@admin.register(AdapterConfig)
class AdapterConfigAdmin(DefarmModelAdmin):
    form = AdapterConfigForm
    list_display = [
        "name",
        "adapter_type",
        "is_active",
        "is_default",
        "connection_summary",
        "created_by",
        "updated",
    ]
    list_filter = ["adapter_type", "is_active", "is_default"]
    search_fields = ["name", "=adapter_type", "=config_id"]
    ordering = ["adapter_type", "name"]
    readonly_fields = ["config_id", "created_by", "related"]

    @admin.display(description="connection")
    def connection_summary(self, obj):
        return json_summary(_masked(obj.connection_details))

    @admin.display(description="updated", ordering="updated_at_ts")
    def updated(self, obj):
        return format_ts(obj.updated_at_ts)

    @admin.display(description="related")
    def related(self, obj):
        if obj.pk is None:
            return "-"
        return self.related_link(
            StorageHistory,
            f"storage history through {obj.adapter_type}",
            adapter_type=obj.adapter_type,
        )

    def save_model(self, request, obj, form, change):
        from adapters.services import adapter_config_create, adapter_config_update

        data = {name: form.cleaned_data.get(name) for name in AdapterConfigForm.Meta.fields}
        if change:
            changes = {name: data[name] for name in form.changed_data if name in data}
            config = adapter_config_update(
                admin=request.user, config=AdapterConfig.objects.get(pk=obj.pk), changes=changes
            )
        else:
            config = adapter_config_create(admin=request.user, **data)
        copy_saved_row(source=config, target=obj)

    def delete_model(self, request, obj):
        from adapters.services import adapter_config_delete

        adapter_config_delete(admin=request.user, config=obj)

    def delete_queryset(self, request, queryset):
        for config in queryset:
            self.delete_model(request, config)


@admin.register(StorageHistory)
class StorageHistoryAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = [
        "stored",
        "item",
        "adapter_type",
        "location",
        "triggered_by",
        "triggered_by_id",
        "is_active",
    ]
    list_select_related = ["item"]
    list_filter = [
        "is_active",
        choices_filter("triggered_by", StorageTrigger.choices, "triggered by"),
    ]
    search_fields = ["=item__dfid", "=triggered_by_id"]
    ordering = ["-stored_at_ts", "-created_at"]
    raw_id_fields = ["item"]
    readonly_fields = ["location_display", "metadata_display"]
    exclude = ["storage_location", "metadata"]

    @admin.display(description="stored", ordering="stored_at_ts")
    def stored(self, obj):
        return format_ts(obj.stored_at_ts)

    @admin.display(description="location")
    def location(self, obj):
        return json_summary(obj.storage_location)

    @admin.display(description="location")
    def location_display(self, obj):
        return json_pretty(obj.storage_location)

    @admin.display(description="metadata")
    def metadata_display(self, obj):
        return json_pretty(obj.metadata)
