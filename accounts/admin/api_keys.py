"""Staff console for API keys: created by ``api_key_create`` (the plaintext is shown once,
on the next page), changed by ``api_key_update``, revoked by ``api_key_revoke``; their usage
and rate-limit counters, read-only.
"""

from django import forms
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.models import (
    ApiKey,
    ApiKeyPermission,
    ApiKeyRateCounter,
    ApiKeyUsage,
    OrganizationType,
)
from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    LimitedReadOnlyInline,
    ReadOnlyAdminMixin,
    apply_each,
    copy_saved_row,
    format_ts,
)

NEW_API_KEY_SESSION_KEY = "defarm_new_api_key"


# --- API keys ---------------------------------------------------------------------------------


def _lines(value: str) -> list[str] | None:
    parts = [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]
    return parts or None


class ApiKeyCreationForm(forms.ModelForm):
    """A new key is made by ``api_key_create``; its plaintext is shown once, on the next page."""

    permissions = forms.MultipleChoiceField(
        choices=ApiKeyPermission.choices,
        initial=[ApiKeyPermission.READ],
        widget=forms.CheckboxSelectMultiple,
    )
    rate_limit_per_minute = forms.IntegerField(required=False, min_value=1)
    rate_limit_per_hour = forms.IntegerField(required=False, min_value=1)
    rate_limit_per_day = forms.IntegerField(required=False, min_value=1)
    expires_in_days = forms.IntegerField(required=False, min_value=1)
    allowed_ips = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line."
    )
    allowed_endpoints = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line."
    )
    organization_type = forms.ChoiceField(
        choices=OrganizationType.choices, initial=OrganizationType.EXTERNAL, required=False
    )

    class Meta:
        model = ApiKey
        fields = ["user", "name", "notes"]


class ApiKeyChangeForm(forms.ModelForm):
    permissions = forms.MultipleChoiceField(
        choices=ApiKeyPermission.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = [
            "name",
            "permissions",
            "notes",
            "rate_limit_per_minute",
            "rate_limit_per_hour",
            "rate_limit_per_day",
            "allowed_ips",
            "allowed_endpoints",
        ]


class ApiKeyUsageInline(LimitedReadOnlyInline):
    model = ApiKeyUsage
    fk_name = "key"
    fields = ["when", "method", "endpoint", "status_code", "ip_address"]

    @admin.display(description="when")
    def when(self, obj):
        return format_ts(obj.timestamp_ts)


@admin.register(ApiKey)
class ApiKeyAdmin(DefarmModelAdmin):
    form = ApiKeyChangeForm
    add_form = ApiKeyCreationForm
    list_display = [
        "name",
        "prefix",
        "user",
        "permission_list",
        "is_active",
        "last_used",
        "expires",
    ]
    list_select_related = ["user"]
    list_filter = ["is_active"]
    search_fields = ["name", "=key_prefix", "=user__username", "=user__user_id"]
    ordering = ["-created_at_ts", "key_id"]
    autocomplete_fields = ["user"]
    readonly_fields = ["key_id", "user", "prefix", "organization_type", "is_active", "related"]
    inlines = [ApiKeyUsageInline]
    actions = ["revoke"]
    change_form_template = "admin/accounts/apikey/change_form.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "user",
                "name",
                "organization_type",
                "permissions",
                "notes",
                "rate_limit_per_minute",
                "rate_limit_per_hour",
                "rate_limit_per_day",
                "expires_in_days",
                "allowed_ips",
                "allowed_endpoints",
            ]
        return [
            "key_id",
            "user",
            "name",
            "prefix",
            "organization_type",
            "permissions",
            "notes",
            "is_active",
            "rate_limit_per_minute",
            "rate_limit_per_hour",
            "rate_limit_per_day",
            "allowed_ips",
            "allowed_endpoints",
            "expires_at_ts",
            "last_used_at_ts",
            "created_at_ts",
            "related",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="key", ordering="key_prefix")
    def prefix(self, obj):
        return f"{obj.key_prefix}…" if obj.key_prefix else "-"

    @admin.display(description="permissions")
    def permission_list(self, obj):
        return ", ".join(obj.permissions or [])

    @admin.display(description="last used", ordering="last_used_at_ts")
    def last_used(self, obj):
        return format_ts(obj.last_used_at_ts)

    @admin.display(description="expires", ordering="expires_at_ts")
    def expires(self, obj):
        return format_ts(obj.expires_at_ts) if obj.expires_at_ts else "never"

    @admin.display(description="related")
    def related(self, obj):
        return self.related_link(ApiKeyUsage, "all usage of this key", key__exact=obj.pk)

    def save_model(self, request, obj, form, change):
        from accounts.services.api_keys import api_key_create, api_key_update
        from audit.services import admin_action_record

        data = form.cleaned_data
        if not change:
            api_key, plaintext = api_key_create(
                user=data["user"],
                name=data["name"],
                permissions=data["permissions"],
                organization_type=data.get("organization_type") or OrganizationType.EXTERNAL,
                notes=data.get("notes") or None,
                rate_limit_per_minute=data.get("rate_limit_per_minute"),
                rate_limit_per_hour=data.get("rate_limit_per_hour"),
                rate_limit_per_day=data.get("rate_limit_per_day"),
                expires_in_days=data.get("expires_in_days"),
                allowed_ips=_lines(data.get("allowed_ips") or ""),
                allowed_endpoints=_lines(data.get("allowed_endpoints") or ""),
            )
            admin_action_record(
                admin=request.user,
                action_type="api_key_create",
                target_id=api_key.user_id,
                data={"key_id": str(api_key.pk), "key_prefix": api_key.key_prefix},
            )
            copy_saved_row(source=api_key, target=obj)
            # Shown once on the key's page, then forgotten.
            request.session[NEW_API_KEY_SESSION_KEY] = {"key_id": str(api_key.pk), "key": plaintext}
            return
        changes = {name: getattr(obj, name) for name in form.changed_data}
        if changes:
            api_key_update(api_key=ApiKey.objects.get(pk=obj.pk), **changes)
            admin_action_record(
                admin=request.user,
                action_type="api_key_update",
                target_id=obj.user_id,
                data={"key_id": str(obj.pk), "fields": sorted(changes)},
            )

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(
            reverse("admin:accounts_apikey_change", args=[obj.pk], current_app=self.admin_site.name)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        new_key = request.session.get(NEW_API_KEY_SESSION_KEY)
        if new_key and new_key.get("key_id") == str(object_id) and request.method == "GET":
            extra_context["new_api_key"] = new_key["key"]
            del request.session[NEW_API_KEY_SESSION_KEY]
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        # Keys are revoked, so their usage history keeps its key.
        return False

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request, queryset):
        from accounts.services.api_keys import api_key_revoke
        from audit.services import admin_action_record

        def apply(api_key):
            api_key_revoke(api_key=api_key, actor=request.user)
            if api_key.user_id == request.user.pk:
                # The service records revocations of other people's keys only.
                admin_action_record(
                    admin=request.user,
                    action_type="api_key_revoke",
                    target_id=api_key.user_id,
                    data={"key_id": str(api_key.pk), "key_prefix": api_key.key_prefix},
                )
            return "Revoked."

        apply_each(
            modeladmin=self, request=request, objects=queryset.filter(is_active=True), apply=apply
        )


class StatusClassFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status_class"

    def lookups(self, request, model_admin):
        return [("2", "2xx success"), ("3", "3xx redirect"), ("4", "4xx refused"), ("5", "5xx")]

    def queryset(self, request, queryset):
        if self.value() in {"2", "3", "4", "5"}:
            low = int(self.value()) * 100
            return queryset.filter(status_code__gte=low, status_code__lt=low + 100)
        return queryset


class MethodFilter(admin.SimpleListFilter):
    title = "method"
    parameter_name = "method"

    def lookups(self, request, model_admin):
        return [(method, method) for method in ("GET", "POST", "PUT", "PATCH", "DELETE")]

    def queryset(self, request, queryset):
        return queryset.filter(method=self.value()) if self.value() else queryset


@admin.register(ApiKeyUsage)
class ApiKeyUsageAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["when", "key", "owner", "method", "endpoint", "status_code", "ip_address"]
    list_select_related = ["key", "key__user"]
    list_filter = [StatusClassFilter, MethodFilter]
    search_fields = ["=key__key_prefix", "=ip_address"]
    ordering = ["-timestamp_ts"]
    raw_id_fields = ["key"]

    @admin.display(description="when", ordering="timestamp_ts")
    def when(self, obj):
        return format_ts(obj.timestamp_ts)

    @admin.display(description="owner")
    def owner(self, obj):
        return obj.key.user


@admin.register(ApiKeyRateCounter)
class ApiKeyRateCounterAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["key", "window_seconds", "window_start_display", "count"]
    list_select_related = ["key"]
    list_filter = ["window_seconds"]
    search_fields = ["=key__key_prefix"]
    ordering = ["-window_start"]
    raw_id_fields = ["key"]

    @admin.display(description="window start", ordering="window_start")
    def window_start_display(self, obj):
        return format_ts(obj.window_start)
