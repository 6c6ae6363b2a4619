"""DeFarm's admin site and the pieces every app's admin shares.

- ``DefarmAdminSite``: header and title, app descriptions on the index, CSV export on every
  changelist, only active staff (``is_admin``) may enter.
- ``EstimatedCountPaginator``: big tables never run a full ``COUNT(*)``.
- ``DefarmModelAdmin`` / ``BigTableAdmin``: server-owned fields read-only, cheap counts.
- ``LimitedReadOnlyInline``: the newest rows of a big relation, read-only, with a link to all.
- ``mask_secrets``: secrets in JSON columns are never shown.
- ``form_action``: an admin action that first asks a small form, then calls a service.
"""

import csv
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.paginator import Paginator
from django.db import connections, models, transaction
from django.forms.models import _get_foreign_key
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

MASK = "••••••••"
SECRET_KEY_PARTS = ("secret", "token", "password", "passwd", "key", "credential", "hash")
SECRET_COLUMNS = {"password", "key_hash"}
SECRET_JSON_COLUMNS = {"auth_config", "connection_details", "contract_configs", "public_settings"}

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


# --- Secrets ------------------------------------------------------------------------------------


def is_secret_key(name: str) -> bool:
    lowered = str(name).lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


def mask_secrets(value: Any) -> Any:
    """A copy of a JSON value with every secret-looking key's value replaced by a mask."""
    if isinstance(value, dict):
        return {
            key: (MASK if is_secret_key(key) and item not in (None, "") else mask_secrets(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def restore_masked(submitted: Any, original: Any) -> Any:
    """Put back the secrets a form showed masked and the staff member left unchanged."""
    if isinstance(submitted, dict) and isinstance(original, dict):
        return {
            key: (
                original[key]
                if item == MASK and key in original
                else restore_masked(item, original.get(key))
            )
            for key, item in submitted.items()
        }
    if isinstance(submitted, list) and isinstance(original, list):
        return [
            restore_masked(item, original[index] if index < len(original) else None)
            for index, item in enumerate(submitted)
        ]
    return submitted


def format_ts(value: int | None) -> str:
    """Unix seconds as a UTC date and time."""
    if value is None:
        return "-"
    return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def json_pretty(value: Any) -> str:
    if value in (None, "", {}, []):
        return "-"
    return format_html("<pre class='defarm-json'>{}</pre>", json.dumps(value, indent=2))


def json_summary(value: Any, limit: int = 60) -> str:
    """A one-line summary of a JSON value for a changelist column."""
    if value in (None, "", {}, []):
        return "-"
    if isinstance(value, dict):
        text = ", ".join(f"{key}: {_short(item)}" for key, item in value.items())
    elif isinstance(value, list):
        text = ", ".join(_short(item) for item in value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(str(key) for key in value) + "}"
    if isinstance(value, list):
        return f"[{len(value)}]"
    return str(value)


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
        return [*declared, *owned, *extra]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A service refusing a save (validation, conflict, limits) is shown, not a 500."""
        from rest_framework.exceptions import APIException

        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except APIException as error:
            self.message_user(request, f"Not saved: {error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

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


def error_text(error: Exception) -> str:
    """A service error as one line: DRF details flattened, field names kept."""
    detail = getattr(error, "detail", None)
    if detail is None:
        return str(error)

    def flatten(value) -> list[str]:
        if isinstance(value, dict):
            return [f"{key}: {text}" for key, item in value.items() for text in flatten(item)]
        if isinstance(value, list):
            return [text for item in value for text in flatten(item)]
        return [str(value)]

    return "; ".join(flatten(detail))


# --- Actions ------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    return str(value)


def csv_columns(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.name not in SECRET_COLUMNS]


def csv_rows(queryset: models.QuerySet, columns: list[models.Field]) -> Iterator[list[str]]:
    yield [field.name for field in columns]
    attnames = [field.attname for field in columns]
    masked = [field.name in SECRET_JSON_COLUMNS for field in columns]
    for row in queryset.values_list(*attnames).iterator(chunk_size=2000):
        yield [
            _csv_cell(mask_secrets(value) if secret else value)
            for value, secret in zip(row, masked, strict=True)
        ]


@admin.action(description="Export selected rows as CSV")
def export_as_csv(modeladmin, request, queryset):
    """Stream the selected (or all filtered) rows as CSV; secrets are left out or masked."""
    model = queryset.model
    writer = csv.writer(_Echo())
    rows = csv_rows(queryset.order_by(*queryset.query.order_by), csv_columns(model))
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{model._meta.db_table}.csv"'
    return response


def form_action(
    *,
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: models.QuerySet,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[models.Model, dict[str, Any]], str | None],
    action_name: str,
) -> TemplateResponse | None:
    """Ask ``form_class`` for the selected rows, then call ``apply(obj, cleaned_data)`` on each.

    ``apply`` calls a service and returns a change message for the admin log (or None).
    Errors of one row are reported and do not stop the others.
    """
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            apply_each(
                modeladmin=modeladmin,
                request=request,
                objects=queryset,
                apply=lambda obj: apply(obj, form.cleaned_data),
            )
            return None
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "object_count": queryset.count(),
        "preview": list(queryset[:20]),
        "opts": modeladmin.model._meta,
        "action_name": action_name,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "selected_ids": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/defarm/action_form.html", context)


def apply_each(
    *,
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[models.Model],
    apply: Callable[[models.Model], str | None],
) -> int:
    """Run ``apply`` (a service call) on each object, log it, report errors; returns successes."""
    from rest_framework.exceptions import APIException

    done = 0
    for obj in objects:
        try:
            message = apply(obj)
        except (APIException, ValueError, ImportError) as error:
            modeladmin.message_user(request, f"{obj}: {error_text(error)}", messages.ERROR)
            continue
        if message:
            modeladmin.log_change(request, obj, message)
        done += 1
    if done:
        modeladmin.message_user(
            request, f"{done} {modeladmin.model._meta.verbose_name_plural} updated."
        )
    return done


@contextmanager
def admin_action_recorded(
    *, admin, action_type: str, target_id: str, data: dict[str, Any]
) -> Iterator[None]:
    """Around a service call: record the staff action unless the service recorded one itself.

    Account services record their own ``admin_actions`` rows; circuit and item services,
    written for members as well as staff, do not. Service and record share one transaction.
    """
    from audit.models import AdminAction
    from audit.services import admin_action_record

    with transaction.atomic():
        rows = AdminAction.objects.filter(admin=admin, target_id=target_id)
        before = rows.count()
        yield
        if rows.count() == before:
            admin_action_record(
                admin=admin, action_type=action_type, target_id=target_id, data=data
            )


# --- Coverage -----------------------------------------------------------------------------------

DEFARM_APP_LABELS = ("accounts", "items", "circuits", "adapters", "audit")


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
