"""Staff console for items and identifiers, the biggest tables.

Their changelists never count every row, and search looks identifiers up by exact value
through the ``(key, value)`` index. Items are created through ``items.services.item_create``;
changes go through the API's services (which keep hashes, events and credits right).
"""

import re

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from rest_framework.exceptions import APIException

from defarm.admin_site import (
    BigTableAdmin,
    LimitedReadOnlyInline,
    ReadOnlyAdminMixin,
    choices_filter,
    copy_saved_row,
    format_ts,
    json_pretty,
    json_summary,
)
from items.models import (
    Event,
    IdentifierMapping,
    Item,
    ItemContribution,
    ItemIdentifier,
    ItemSourceEntry,
    ItemStatus,
    LidDfidMapping,
)

KEY_VALUE_TERM = re.compile(r"^(?P<key>[A-Za-z0-9_.\-]+)=(?P<value>.+)$")
SEARCH_MATCH_LIMIT = 1000


# --- Identifier search --------------------------------------------------------------------------


def identifier_keys(using: str = "default") -> list[str] | None:
    """Every distinct identifier key, read with a skip scan of the ``(key, value)`` index.

    On PostgreSQL a value-only lookup can then probe the index once per key instead of
    scanning the table. Returns None elsewhere (SQLite scans anyway).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE keys(key) AS (
                (SELECT key FROM item_identifiers ORDER BY key LIMIT 1)
                UNION ALL
                SELECT (SELECT i.key FROM item_identifiers i WHERE i.key > keys.key
                        ORDER BY i.key LIMIT 1)
                FROM keys WHERE keys.key IS NOT NULL
            )
            SELECT key FROM keys WHERE key IS NOT NULL LIMIT 10000
            """
        )
        return [row[0] for row in cursor.fetchall()]


def identifiers_matching(term: str):
    """Identifiers whose value is ``term`` exactly, or ``key=value`` for one key."""
    match = KEY_VALUE_TERM.match(term)
    if match:
        return ItemIdentifier.objects.filter(key=match["key"], value=match["value"].strip())
    queryset = ItemIdentifier.objects.filter(value=term)
    keys = identifier_keys()
    if keys is not None:
        queryset = queryset.filter(key__in=keys)
    return queryset


def dfid_term_q(term: str) -> Q:
    query = Q(dfid=term)
    if term.upper().startswith(("DFID-", "LID-")):
        query |= Q(dfid__startswith=term.upper() if term.upper().startswith("DFID") else term)
    return query


class ItemStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*ItemStatus.choices, ("MergedInto", "Merged into a local item")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "MergedInto":
            return queryset.filter(status__startswith="MergedInto:")
        return queryset.filter(status=value) if value else queryset


class LocalFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("global", "Global (DFID)"), ("local", "Local (LID)")]

    def queryset(self, request, queryset):
        if self.value() == "local":
            return queryset.filter(dfid__startswith="LID-")
        if self.value() == "global":
            return queryset.filter(dfid__startswith="DFID-")
        return queryset


# --- Items ------------------------------------------------------------------------------------


class IdentifierInline(LimitedReadOnlyInline):
    model = ItemIdentifier
    limit = 50
    fields = ["namespace", "key", "value", "id_type", "metadata"]

    @admin.display(description="type metadata")
    def metadata(self, obj):
        return json_summary(obj.type_metadata)


class ContributionInline(admin.TabularInline):
    """Every party's layer of the item, labelled by its contributor (staff see them all)."""

    model = ItemContribution
    verbose_name = "contribution layer"
    extra = 0
    can_delete = False
    fields = ["contributor_label", "layer", "circuit", "verified", "data", "identifiers", "since"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("contributor", "circuit")
            .prefetch_related("identifier_rows")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="contributor")
    def contributor_label(self, obj):
        if obj.contributor_id is None:
            return "adopted (no creator)"
        name = obj.contributor.username if obj.contributor else obj.contributor_id
        return f"{name} ({obj.contributor_id})"

    @admin.display(description="layer")
    def layer(self, obj):
        return "base: the item row (creator)" if obj.is_base else "own layer"

    @admin.display(description="enriched data")
    def data(self, obj):
        return json_summary(obj.item.enriched_data if obj.is_base else obj.enriched_data)

    @admin.display(description="identifiers")
    def identifiers(self, obj):
        rows = (
            [row for row in obj.item.identifiers.all() if row.contribution_id is None]
            if obj.is_base
            else list(obj.identifier_rows.all())
        )
        return ", ".join(f"{row.namespace}:{row.key}={row.value}" for row in rows) or "-"

    @admin.display(description="since")
    def since(self, obj):
        return obj.created_at


class SourceEntryInline(LimitedReadOnlyInline):
    model = ItemSourceEntry
    fields = ["entry_id", "created_at"]
    verbose_name_plural = "source entries (data lake)"


class ItemCreationForm(forms.ModelForm):
    identifiers = forms.JSONField(
        initial=list,
        help_text='The API\'s shape: [{"key": "sisbov", "value": "BR123456789012", '
        '"id_type": "Canonical", "namespace": "bovino"}]',
    )
    new_enriched_data = forms.JSONField(
        label="Enriched data", required=False, initial=dict, help_text="A JSON object."
    )

    class Meta:
        model = Item
        fields: list[str] = []


class ItemCsvImportForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 CSV, a header row first; imported 1,000 rows a time.")


def _stop_text(error: APIException) -> str:
    detail = error.detail
    if isinstance(detail, dict):
        return "; ".join(str(message) for messages in detail.values() for message in messages)
    return str(detail)


@admin.register(Item)
class ItemAdmin(BigTableAdmin):
    change_list_template = "admin/items/item/change_list.html"
    add_form = ItemCreationForm
    list_display = ["dfid", "status", "identifier_list", "data_summary", "created", "created_by"]
    list_select_related = ["created_by"]
    list_filter = [ItemStatusFilter, LocalFilter]
    search_fields = ["=dfid", "=identifiers__value"]
    search_help_text = (
        "An identifier value (exact), key=value, a DFID or the start of one (DFID-2025...)."
    )
    ordering = ["-created_at_ts", "dfid"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["dfid", "status", "created_by", "enriched", "related"]
    fields = [
        "dfid",
        "status",
        "item_hash",
        "created_by",
        "enriched",
        "related",
        "created_at_ts",
        "last_updated_ts",
        "created_at",
        "updated_at",
    ]
    inlines = [ContributionInline, IdentifierInline, SourceEntryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("identifiers")

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv_view),
                name=f"{opts.app_label}_{opts.model_name}_import_csv",
            ),
            *super().get_urls(),
        ]

    def import_csv_view(self, request):
        """Items from a CSV file, created as the staff member through the import service
        behind ``POST /api/items/import``; the report lists failed rows by line."""
        from items.services import items_import_csv

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ItemCsvImportForm(request.POST or None, request.FILES or None)
        report, stopped = None, None
        if request.method == "POST" and form.is_valid():
            try:
                report = items_import_csv(
                    user=request.user, stream=form.cleaned_data["file"], source="admin"
                )
            except APIException as error:
                stopped = _stop_text(error)
                details = getattr(error, "details", None) or {}
                report = details.get("imported")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import items from CSV",
            "form": form,
            "report": report.as_dict() if hasattr(report, "as_dict") else report,
            "stopped": stopped,
        }
        return TemplateResponse(request, "admin/items/item/import_csv.html", context)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        dfids = list(
            identifiers_matching(term).values_list("item_id", flat=True)[:SEARCH_MATCH_LIMIT]
        )
        query = dfid_term_q(term)
        if dfids:
            query |= Q(dfid__in=dfids)
        return queryset.filter(query), False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["identifiers", "new_enriched_data"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # Items change through the API's services (hashes, events, credits): read-only here.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from items.services import item_create

        result = item_create(
            user=request.user,
            identifiers=form.cleaned_data["identifiers"],
            enriched_data=form.cleaned_data.get("new_enriched_data") or None,
            source="admin",
        )
        copy_saved_row(source=result.item, target=obj)

    @admin.display(description="identifiers")
    def identifier_list(self, obj):
        identifiers = list(obj.identifiers.all())
        text = ", ".join(f"{row.key}={row.value}" for row in identifiers[:3])
        return text + (f" (+{len(identifiers) - 3})" if len(identifiers) > 3 else "") or "-"

    @admin.display(description="enriched data")
    def data_summary(self, obj):
        return json_summary(obj.enriched_data)

    @admin.display(description="enriched data")
    def enriched(self, obj):
        return json_pretty(obj.enriched_data)

    @admin.display(description="created", ordering="created_at_ts")
    def created(self, obj):
        return format_ts(obj.created_at_ts)

    @admin.display(description="related")
    def related(self, obj):
        from adapters.models import StorageHistory
        from circuits.models import CircuitItem, CircuitPendingItem

        links = [
            self.related_link(CircuitItem, "circuits", item__exact=obj.pk),
            self.related_link(CircuitPendingItem, "pending in circuits", item__exact=obj.pk),
            self.related_link(StorageHistory, "storage history", item__exact=obj.pk),
            self.related_link(Event, "events", item__exact=obj.pk),
            self.related_link(ItemIdentifier, "identifiers", item__exact=obj.pk),
            self.related_link(IdentifierMapping, "identifier mappings", item__exact=obj.pk),
            self.related_link(LidDfidMapping, "local ids", item__exact=obj.pk),
        ]
        return format_html_join(" · ", "{}", ((link,) for link in links))


NAMESPACES = ["bovino", "aves", "suino", "soja", "milho", "algodao", "cafe", "leite", "generic"]


@admin.register(ItemIdentifier)
class ItemIdentifierAdmin(ReadOnlyAdminMixin, BigTableAdmin):
    list_display = ["value", "key", "namespace", "id_type", "item_link", "metadata"]
    list_filter = [
        choices_filter("id_type", [("Canonical", "Canonical"), ("Contextual", "Contextual")]),
        choices_filter("namespace", [(name, name) for name in NAMESPACES]),
    ]
    search_fields = ["=value"]
    search_help_text = "An identifier value (exact) or key=value."
    # Listed in the order of the (key, value) index, so a page never sorts the whole table.
    ordering = ["key", "value", "id"]
    sortable_by = ["key"]
    raw_id_fields = ["item"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        match = KEY_VALUE_TERM.match(term)
        if match:
            return queryset.filter(key=match["key"], value=match["value"].strip()), False
        keys = identifier_keys()
        queryset = queryset.filter(value=term)
        return (queryset.filter(key__in=keys) if keys is not None else queryset), False

    @admin.display(description="item", ordering="item")
    def item_link(self, obj):
        return self.change_link_by_pk(Item, obj.item_id)

    @admin.display(description="type metadata")
    def metadata(self, obj):
        return json_summary(obj.type_metadata)

    def change_link_by_pk(self, model, pk):
        from django.urls import reverse

        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
        return format_html('<a href="{}">{}</a>', url, pk)
