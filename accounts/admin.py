"""Staff console for accounts: users, credits, API keys, notifications.

Every change goes through the same services as the API (accounts.services.*), which record
the staff change in ``admin_actions``; the admin also writes Django's own admin log.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import (
    ApiKey,
    ApiKeyPermission,
    ApiKeyUsage,
    CreditBalance,
    CreditTransaction,
    Notification,
    Tier,
    TransactionType,
    User,
    UserStatus,
)
from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    LimitedReadOnlyInline,
    apply_each,
    form_action,
    format_ts,
    json_summary,
)

NEW_API_KEY_SESSION_KEY = "defarm_new_api_key"


class ReadOnlyAdminMixin:
    """Rows written only by services (ledgers, usage logs): staff look, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Users ------------------------------------------------------------------------------------


class UserCreationForm(forms.ModelForm):
    """A new account: the password is typed twice, validated and stored hashed by the service."""

    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    workspace_name = forms.CharField(
        required=False, help_text="Defaults to the username; the workspace id adds '-workspace'."
    )

    class Meta:
        model = User
        fields = ["username", "email", "tier", "status", "is_admin"]

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "email", "workspace_id", "is_admin", "available_adapters"]


class TierForm(forms.Form):
    tier = forms.ChoiceField(choices=Tier.choices)


class CreditsForm(forms.Form):
    amount = forms.IntegerField(
        help_text="Credits to grant; a negative amount removes credits (a Penalty)."
    )
    reason = forms.CharField(max_length=500, help_text="Shown to the user and kept in the ledger.")

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("The amount cannot be zero.")
        return amount


class CreditTransactionInline(LimitedReadOnlyInline):
    model = CreditTransaction
    fields = ["created", "transaction_type", "amount", "balance_after", "description"]
    verbose_name_plural = "credit ledger (newest first)"

    @admin.display(description="when")
    def created(self, obj):
        return format_ts(obj.created_at_ts)


class ApiKeyInline(LimitedReadOnlyInline):
    model = ApiKey
    fields = ["name", "key_prefix", "permissions", "is_active", "last_used"]

    @admin.display(description="last used")
    def last_used(self, obj):
        return format_ts(obj.last_used_at_ts)


@admin.register(User)
class UserAdmin(DefarmModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = [
        "username",
        "email",
        "tier",
        "status",
        "is_admin",
        "credits",
        "created",
    ]
    list_select_related = ["credit_balance"]
    list_filter = ["tier", "status", "is_admin"]
    search_fields = ["username", "email", "=user_id", "=workspace_id"]
    ordering = ["username"]
    date_hierarchy = "created_at"
    readonly_fields = ["user_id", "tier", "status", "password_state", "credits", "related"]
    inlines = [CreditTransactionInline, ApiKeyInline]
    actions = ["freeze", "unfreeze", "set_tier", "grant_credits"]
    fieldsets = [
        (None, {"fields": ["user_id", "username", "email", "workspace_id", "password_state"]}),
        ("Access", {"fields": ["tier", "status", "is_admin", "available_adapters"]}),
        ("Credits and links", {"fields": ["credits", "related"]}),
        (
            "Timestamps",
            {"classes": ["collapse"], "fields": ["created_at_ts", "last_login_ts", "updated_at"]},
        ),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "username",
                    "email",
                    "password1",
                    "password2",
                    "workspace_name",
                    "tier",
                    "status",
                    "is_admin",
                ]
            },
        )
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("credit_balance")

    @admin.display(description="credits", ordering="credit_balance__credits")
    def credits(self, obj):
        balance = getattr(obj, "credit_balance", None)
        return balance.credits if balance is not None else 0

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.display(description="password")
    def password_state(self, obj):
        if not obj.password:
            return "No password set."
        algorithm = obj.password.split("$", 1)[0] or "bcrypt (earlier engine)"
        return f"Set, stored hashed ({algorithm}). The hash is never shown."

    @admin.display(description="related")
    def related(self, obj):
        from audit.models import AdminAction
        from circuits.models import Circuit, CircuitMember

        return format_html(
            "{} · {} · {} · {} · {}",
            self.related_link(Circuit, "circuits owned", owner__exact=obj.pk),
            self.related_link(CircuitMember, "memberships", member__exact=obj.pk),
            self.related_link(CreditTransaction, "credit ledger", user__exact=obj.pk),
            self.related_link(Notification, "notifications", user__exact=obj.pk),
            self.related_link(AdminAction, "staff actions on this user", target_id=obj.pk),
        )

    def save_model(self, request, obj, form, change):
        from accounts.services import staff

        if not change:
            user = staff.user_create_by_admin(
                admin=request.user,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                tier=form.cleaned_data["tier"],
                status=form.cleaned_data["status"],
                is_admin=form.cleaned_data["is_admin"],
                workspace_name=form.cleaned_data.get("workspace_name") or None,
            )
            _copy_saved(source=user, target=obj)
            return
        stored = User.objects.get(pk=obj.pk)
        if "is_admin" in form.changed_data:
            staff.user_set_admin(admin=request.user, user=stored, is_admin=obj.is_admin)
        if "available_adapters" in form.changed_data:
            staff.user_set_adapters(
                admin=request.user, user=stored, adapters=obj.available_adapters
            )
        profile_changes = [
            name for name in ("username", "email", "workspace_id") if name in form.changed_data
        ]
        if profile_changes:
            from audit.services import admin_action_record

            for name in profile_changes:
                setattr(stored, name, getattr(obj, name))
            stored.save(update_fields=[*profile_changes, "updated_at"])
            admin_action_record(
                admin=request.user,
                action_type="user_update",
                target_id=stored.pk,
                data={name: getattr(obj, name) for name in profile_changes},
            )

    def has_delete_permission(self, request, obj=None):
        # Accounts are frozen or banned, never deleted: their ledger and history stay.
        return False

    @admin.action(description="Freeze selected users (Suspended)")
    def freeze(self, request, queryset):
        from accounts.services.staff import user_set_status

        def apply(user):
            user_set_status(admin=request.user, user=user, status=UserStatus.SUSPENDED)
            return "Frozen (status Suspended)."

        apply_each(modeladmin=self, request=request, objects=queryset, apply=apply)

    @admin.action(description="Unfreeze selected users (Active)")
    def unfreeze(self, request, queryset):
        from accounts.services.staff import user_set_status

        def apply(user):
            user_set_status(admin=request.user, user=user, status=UserStatus.ACTIVE)
            return "Unfrozen (status Active)."

        apply_each(modeladmin=self, request=request, objects=queryset, apply=apply)

    @admin.action(description="Change the tier of selected users")
    def set_tier(self, request, queryset):
        from accounts.services.staff import user_set_tier

        def apply(user, data):
            user_set_tier(admin=request.user, user=user, tier=data["tier"])
            return f"Tier set to {data['tier']}."

        return form_action(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=TierForm,
            title="Change tier",
            apply=apply,
            action_name="set_tier",
        )

    @admin.action(description="Grant or remove credits")
    def grant_credits(self, request, queryset):
        from accounts.services.staff import credits_adjust

        def apply(user, data):
            row = credits_adjust(
                admin=request.user, user=user, amount=data["amount"], reason=data["reason"]
            )
            return f"Credits {data['amount']:+d} ({data['reason']}); balance {row.balance_after}."

        return form_action(
            modeladmin=self,
            request=request,
            queryset=queryset,
            form_class=CreditsForm,
            title="Grant credits",
            apply=apply,
            action_name="grant_credits",
        )


def _copy_saved(*, source, target) -> None:
    """Make the admin's unsaved form object the row a service just created."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


# --- Credits ----------------------------------------------------------------------------------


@admin.register(CreditBalance)
class CreditBalanceAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["user", "credits", "updated"]
    list_select_related = ["user"]
    search_fields = ["=user__username", "=user__user_id"]
    ordering = ["-credits"]
    raw_id_fields = ["user"]

    @admin.display(description="updated", ordering="updated_at_ts")
    def updated(self, obj):
        return format_ts(obj.updated_at_ts)


class TransactionTypeFilter(admin.SimpleListFilter):
    title = "type"
    parameter_name = "transaction_type"

    def lookups(self, request, model_admin):
        return TransactionType.choices

    def queryset(self, request, queryset):
        return queryset.filter(transaction_type=self.value()) if self.value() else queryset


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["created", "user", "transaction_type", "amount", "balance_after", "description"]
    list_select_related = ["user"]
    list_filter = [TransactionTypeFilter]
    search_fields = ["=user__username", "=user__user_id", "=transaction_id"]
    ordering = ["-created_at_ts", "-created_at"]
    raw_id_fields = ["user"]

    @admin.display(description="when", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)


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

    class Meta:
        model = ApiKey
        fields = ["user", "name"]


class ApiKeyChangeForm(forms.ModelForm):
    permissions = forms.MultipleChoiceField(
        choices=ApiKeyPermission.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = [
            "name",
            "permissions",
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
    readonly_fields = ["key_id", "user", "prefix", "is_active", "related"]
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
                "permissions",
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
            "permissions",
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
            _copy_saved(source=api_key, target=obj)
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


# --- Notifications ------------------------------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(BigTableAdmin):
    list_display = ["title", "user", "notification_type", "is_read", "created", "data_summary"]
    list_select_related = ["user"]
    list_filter = ["is_read"]
    search_fields = ["=user__username", "=user__user_id", "=notification_type", "title"]
    ordering = ["-created_at_ts", "notification_id"]
    raw_id_fields = ["user"]
    readonly_fields = ["user", "notification_type", "title", "message", "data_summary"]
    fields = ["user", "notification_type", "title", "message", "data_summary", "is_read"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.display(description="data")
    def data_summary(self, obj):
        return json_summary(obj.data)


def _register_rate_counters() -> None:
    """API key rate counters (one row per key and window), when the model exists."""
    from django.apps import apps

    try:
        counter_model = apps.get_model("accounts", "ApiKeyRateCounter")
    except LookupError:
        return

    @admin.register(counter_model)
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


_register_rate_counters()
