"""Admin actions shared by every changelist: CSV export, actions that ask a small form,
service calls applied row by row, and the staff-action record around them."""

import csv
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import models, transaction
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse

from defarm.admin_site.display import SECRET_COLUMNS, SECRET_JSON_COLUMNS, mask_secrets

# --- Actions ------------------------------------------------------------------------------------


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


class _Echo:
    def write(self, value: str) -> str:
        return value


# A spreadsheet runs a cell starting with one of these as a formula (tab and CR too: some
# programs strip them and read what follows).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_text_cell(text: str) -> str:
    """``text`` made inert for spreadsheets: a leading formula character is preceded by an
    apostrophe, which spreadsheets show the cell as text with (OWASP's CSV injection rule)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)  # a number (a negative one too) is data, never a formula
    if isinstance(value, (dict, list)):
        return csv_text_cell(json.dumps(value, sort_keys=True))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    return csv_text_cell(str(value))


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
