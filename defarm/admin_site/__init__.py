"""DeFarm's admin site and the pieces every app's admin shares.

- ``DefarmAdminSite``: header and title, app descriptions on the index, CSV export on every
  changelist, only active staff (``is_admin``) may enter.
- ``EstimatedCountPaginator``: big tables never run a full ``COUNT(*)``.
- ``DefarmModelAdmin`` / ``BigTableAdmin``: server-owned fields read-only, cheap counts.
- ``LimitedReadOnlyInline``: the newest rows of a big relation, read-only, with a link to all.
- ``mask_secrets``: secrets in JSON columns are never shown.
- ``form_action``: an admin action that first asks a small form, then calls a service.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connections, models
from django.forms.models import _get_foreign_key
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from defarm.admin_site.actions import (
    admin_action_recorded,
    apply_each,
    error_text,
    export_as_csv,
    form_action,
)
from defarm.admin_site.display import (
    MASK,
    SECRET_COLUMNS,
    SECRET_JSON_COLUMNS,
    MaskedJSONWidget,
    format_ts,
    json_pretty,
    json_summary,
    mask_secrets,
    restore_masked,
)

__all__ = [
    "MASK",
    "SECRET_COLUMNS",
    "SECRET_JSON_COLUMNS",
    "MaskedJSONWidget",
    "admin_action_recorded",
    "apply_each",
    "error_text",
    "export_as_csv",
    "form_action",
    "format_ts",
    "json_pretty",
    "json_summary",
    "mask_secrets",
    "restore_masked",
]

APP_DESCRIPTIONS = {
    "accounts": "People and money: users, tiers, credit balances and their ledger, API keys "
    "and their usage, notifications.",
    "items": "What is traced: items and their DFIDs, identifiers, local ids and mappings, "
    "identifier conflicts, events and receipts.",
    "circuits": "Who shares what: circuits, members and roles, join requests, pending pushes, "
    "operations, activities, webhooks and their deliveries.",
    "adapters": "Where data is stored: adapter connection settings and each item's storage "
    "history.",
    "audit": "What happened: application logs, staff actions and the data lake of received "
    "payloads.",
    "epcis": "GS1 EPCIS 2.0: capture jobs, captured events with the EPCs they name, and "
    "saved queries.",
    "django_tasks_database": "Background work such as webhook deliveries.",
}


class DefarmAdminSite(admin.AdminSite):
    site_header = "DeFarm"
    site_title = "DeFarm"
    index_title = "DeFarm administration"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self.add_action(export_as_csv, "export_as_csv")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and getattr(user, "is_admin", False))

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            app["description"] = APP_DESCRIPTIONS.get(app["app_label"], "")
        return app_list


# --- Counting -----------------------------------------------------------------------------------


class EstimatedCountPaginator(Paginator):
    """Counts without scanning a big table.

    Unfiltered on PostgreSQL: the planner's row estimate (``pg_class.reltuples``), when the
    table is big enough for it to matter. Otherwise: an exact count, capped at ``COUNT_CAP``
    (the changelist then offers that many pages).
    """

    COUNT_CAP = 10_000
    is_estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, models.QuerySet):
            return len(queryset)
        self.is_estimated = False
        if not queryset.query.where and not queryset.query.distinct:
            estimate = table_row_estimate(queryset)
            if estimate is not None and estimate > self.COUNT_CAP:
                self.is_estimated = True
                return estimate
        capped = queryset.order_by().values("pk")[: self.COUNT_CAP + 1].count()
        if capped > self.COUNT_CAP:
            self.is_estimated = True
        return capped


def table_row_estimate(queryset: models.QuerySet) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def choices_filter(field_name: str, choices, title: str | None = None):
    """A list filter with fixed choices (no ``SELECT DISTINCT`` over a big table)."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request, model_admin):
            return choices

        def queryset(self, request, queryset):
            return queryset.filter(**{field_name: self.value()}) if self.value() else queryset

    ChoicesFilter.title = title or field_name.replace("_", " ")
    ChoicesFilter.__name__ = f"{field_name.title().replace('_', '')}Filter"
    return ChoicesFilter


# --- Model admins -------------------------------------------------------------------------------


def is_server_owned(field: models.Field) -> bool:
    name = field.name
    return name.endswith("_ts") or name in {
        "created_at",
        "updated_at",
        "item_hash",
        "data_hash",
        "balance_after",
    }


EPOCH_DATE_SUFFIX = "_date"


def _epoch_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if field.name.endswith("_ts") and isinstance(field, models.IntegerField)
    ]


def _as_date(model: type[models.Model], name: Any) -> Any:
    if isinstance(name, str) and name in {field.name for field in _epoch_fields(model)}:
        return name + EPOCH_DATE_SUFFIX
    return name


def _dates_in(model: type[models.Model], fields: Any) -> list:
    return [
        tuple(_as_date(model, name) for name in entry)
        if isinstance(entry, (list, tuple))
        else _as_date(model, entry)
        for entry in fields
    ]


class DefarmModelAdmin(admin.ModelAdmin):
    """Timestamps, hashes and other server-owned columns are read-only on every form."""

    list_per_page = 50
    extra_readonly_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        declared = list(super().get_readonly_fields(request, obj))
        owned = [
            field.name
            for field in self.model._meta.concrete_fields
            if is_server_owned(field) and field.name not in declared
        ]
        extra = [name for name in self.extra_readonly_fields if name not in declared]
        return [_as_date(self.model, name) for name in [*declared, *owned, *extra]]

    # Unix-seconds columns (``*_ts``) show as dates on the form: each read-only ``x_ts`` is
    # replaced by ``x_ts_date``, which ``__getattr__`` renders with ``format_ts``.

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or ())
        epoch = [field.name for field in _epoch_fields(self.model) if field.name not in excluded]
        return [*excluded, *epoch]

    def get_fieldsets(self, request, obj=None):
        return [
            (title, {**options, "fields": _dates_in(self.model, options["fields"])})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def __getattr__(self, name: str):
        if name.endswith(EPOCH_DATE_SUFFIX):
            column = name.removesuffix(EPOCH_DATE_SUFFIX)
            if column in {field.name for field in _epoch_fields(self.model)}:

                def as_date(obj):
                    return format_ts(getattr(obj, column))

                as_date.short_description = column.removesuffix("_ts").replace("_", " ")
                return as_date
        raise AttributeError(name)

    def _refusal_shown(self, request, view, *args, failure: str = "Not saved"):
        """A service refusing a change (validation, conflict, limits) is shown, not a 500."""
        from rest_framework.exceptions import APIException

        try:
            return view(request, *args)
        except APIException as error:
            self.message_user(request, f"{failure}: {error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._refusal_shown(
            request, super().changeform_view, object_id, form_url, extra_context
        )

    def delete_view(self, request, object_id, extra_context=None):
        return self._refusal_shown(
            request, super().delete_view, object_id, extra_context, failure="Not deleted"
        )

    def changelist_view(self, request, extra_context=None):
        return self._refusal_shown(
            request, super().changelist_view, extra_context, failure="Not done"
        )

    def related_link(self, model: type[models.Model], label: str, **filters: Any) -> str:
        """A link to another model's changelist filtered by ``filters``."""
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        query = "&".join(f"{key}={value}" for key, value in filters.items())
        return format_html('<a href="{}?{}">{}</a>', url, query, label)

    def change_link(self, obj: models.Model | None, label: str | None = None) -> str:
        if obj is None:
            return "-"
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, label or str(obj))


class ReadOnlyAdminMixin:
    """Rows written only by services (ledgers, usage, logs, records): staff look, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def copy_saved_row(*, source: models.Model, target: models.Model) -> None:
    """Make the admin's unsaved form object the row a service just created or changed."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


class BigTableAdmin(DefarmModelAdmin):
    """For tables of millions of rows: no full count, estimated page count."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator


class LimitedInlineFormSet(forms.BaseInlineFormSet):
    limit = 20
    changelist_url = ""

    def get_queryset(self):
        if not hasattr(self, "_limited_queryset"):
            self._limited_queryset = super().get_queryset()[: self.limit]
        return self._limited_queryset


class LimitedReadOnlyInline(admin.TabularInline):
    """The newest ``limit`` rows of a relation, read-only, with a link to the full list."""

    template = "admin/edit_inline/tabular_limited.html"
    formset = LimitedInlineFormSet
    limit = 20
    extra = 0
    can_delete = False
    show_change_link = True
    list_select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [
            field.name for field in self.model._meta.concrete_fields if not field.primary_key
        ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)
        formset_class.limit = self.limit
        if obj is not None:
            fk_name = _get_foreign_key(self.parent_model, self.model, fk_name=self.fk_name).name
            opts = self.model._meta
            formset_class.changelist_url = (
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                + f"?{fk_name}__exact={obj.pk}"
            )
        return formset_class


# --- Coverage -----------------------------------------------------------------------------------

DEFARM_APP_LABELS = (
    "accounts",
    "items",
    "circuits",
    "adapters",
    "audit",
    "integrity",
    "epcis",
)


def generic_admin_for(model: type[models.Model]) -> type[admin.ModelAdmin]:
    """A read-only admin for a table that has none of its own yet: its plain columns listed,
    relations as ids (no joins), searchable by primary key, never counted in full."""
    plain = [
        field.name
        for field in model._meta.concrete_fields
        if not field.is_relation and not isinstance(field, (models.JSONField, models.BinaryField))
    ]
    relations = [field.name for field in model._meta.concrete_fields if field.is_relation]
    attributes = {
        "list_display": [*plain[:6], *[f"{name}_id" for name in relations[:2]]] or ["__str__"],
        "search_fields": [f"={model._meta.pk.name}"],
        "raw_id_fields": relations,
        "ordering": [f"-{model._meta.pk.name}"],
        "has_add_permission": lambda self, request, obj=None: False,
        "has_change_permission": lambda self, request, obj=None: False,
        "has_delete_permission": lambda self, request, obj=None: False,
    }
    return type(f"{model.__name__}Admin", (BigTableAdmin,), attributes)


def register_remaining_models(site: admin.AdminSite) -> list[type[models.Model]]:
    """Give every DeFarm model without an admin a generic one; drop auth's unused groups."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    if site.is_registered(Group):
        site.unregister(Group)
    added = []
    for app_label in DEFARM_APP_LABELS:
        for model in apps.get_app_config(app_label).get_models():
            if not site.is_registered(model):
                site.register(model, generic_admin_for(model))
                added.append(model)
    return added
