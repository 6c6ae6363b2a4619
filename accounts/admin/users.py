"""Staff console for accounts: users, their credits and ledger, notifications.

Account changes go through ``accounts.services.staff`` (the API's staff services), which
record each change in ``admin_actions``; the admin also writes Django's own admin log.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation
from django.utils.html import format_html

from accounts.models import (
    ApiKey,
    CreditBalance,
    CreditTransaction,
    Notification,
    Tier,
    TransactionType,
    User,
    UserStatus,
)
from accounts.validators import username_validate
from defarm.admin_site import (
    BigTableAdmin,
    DefarmModelAdmin,
    LimitedReadOnlyInline,
    ReadOnlyAdminMixin,
    apply_each,
    copy_saved_row,
    form_action,
    format_ts,
    json_summary,
)

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

    def clean_username(self):
        username = self.cleaned_data["username"]
        username_validate(username)
        return username

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

    def clean_username(self):
        username = self.cleaned_data["username"]
        if "username" in self.changed_data:  # a V1 username is kept until someone changes it
            username_validate(username)
        return username


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
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

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
            copy_saved_row(source=user, target=obj)
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


# --- Credits ----------------------------------------------------------------------------------


class BalanceFilter(admin.SimpleListFilter):
    title = "balance"
    parameter_name = "balance"

    def lookups(self, request, model_admin):
        return [("empty", "No credits left"), ("positive", "Has credits")]

    def queryset(self, request, queryset):
        if self.value() == "empty":
            return queryset.filter(credits__lte=0)
        if self.value() == "positive":
            return queryset.filter(credits__gt=0)
        return queryset


@admin.register(CreditBalance)
class CreditBalanceAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["user", "credits", "updated"]
    list_filter = [BalanceFilter]
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


# --- Notifications ------------------------------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["title", "user", "notification_type", "is_read", "created", "data_summary"]
    list_select_related = ["user"]
    list_filter = ["is_read"]
    search_fields = ["=user__username", "=user__user_id", "=notification_type", "title"]
    ordering = ["-created_at_ts", "notification_id"]
    raw_id_fields = ["user"]
    fields = ["user", "notification_type", "title", "message", "data_summary", "is_read"]
    readonly_fields = ["data_summary"]

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.display(description="data")
    def data_summary(self, obj):
        return json_summary(obj.data)
