import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from rest_framework.exceptions import ValidationError

from defarm.api.filters import FilterSet
from items.api.fields import EventTypeField, EventVisibilityField, ItemStatusField, choice_parse
from items.identifiers import KNOWN_NAMESPACES
from items.models import (
    ConflictResolution,
    ConflictStatus,
    Event,
    Item,
    ItemIdentifier,
    Receipt,
    ReceiptIdentifier,
)


class ItemFilter(FilterSet):
    """Identifier filters match one identifier row together (key, value and namespace)."""

    identifier_key = django_filters.CharFilter(method="filter_identifier")
    identifier_value = django_filters.CharFilter(method="filter_identifier")
    namespace = django_filters.ChoiceFilter(
        method="filter_identifier", choices=[(n, n) for n in KNOWN_NAMESPACES]
    )
    status = django_filters.CharFilter(
        method="filter_status",
        help_text="active, deprecated, merged or split, in any case; other values are ignored.",
    )

    class Meta:
        model = Item
        fields = ["identifier_key", "identifier_value", "namespace", "status"]

    def filter_identifier(self, queryset: QuerySet[Item], name: str, value: str):
        return queryset  # applied once, for all three, in filter_queryset

    def filter_status(self, queryset: QuerySet[Item], name: str, value: str):
        status = choice_parse(ItemStatusField, value)
        return queryset if status is None else queryset.filter(status=status)

    def filter_queryset(self, queryset: QuerySet[Item]) -> QuerySet[Item]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        conditions = {
            field: data[param]
            for param, field in (
                ("identifier_key", "key"),
                ("identifier_value", "value"),
                ("namespace", "namespace"),
            )
            if data.get(param)
        }
        if conditions:
            queryset = queryset.filter(
                dfid__in=ItemIdentifier.objects.filter(**conditions).values("item_id")
            )
        return queryset


class EventFilter(FilterSet):
    """``event_type`` and ``visibility`` in any case (as the engine's event routes read them);
    an unknown one is a 400."""

    dfid = django_filters.CharFilter(field_name="item_id")
    event_type = django_filters.CharFilter(method="filter_spelled", help_text="Any case.")
    visibility = django_filters.CharFilter(method="filter_spelled", help_text="Any case.")

    class Meta:
        model = Event
        fields = ["dfid", "event_type", "visibility"]

    FIELDS = {"event_type": EventTypeField, "visibility": EventVisibilityField}

    def filter_spelled(self, queryset: QuerySet[Event], name: str, value: str):
        stored = choice_parse(self.FIELDS[name], value)
        if stored is None:
            valid = ", ".join(str(choice) for choice, _ in self.FIELDS[name]().choices.items())
            raise ValidationError({name: [f"{value} is not a valid value; valid values: {valid}."]})
        return queryset.filter(**{name: stored})


class ReceiptFilter(FilterSet):
    """``key`` and ``value`` match one identifier of the receipt together."""

    key = django_filters.CharFilter(method="filter_identifier")
    value = django_filters.CharFilter(method="filter_identifier")

    class Meta:
        model = Receipt
        fields = ["key", "value"]

    def filter_identifier(self, queryset: QuerySet[Receipt], name: str, value: str):
        return queryset

    def filter_queryset(self, queryset: QuerySet[Receipt]) -> QuerySet[Receipt]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        conditions = {field: data[field] for field in ("key", "value") if data.get(field)}
        if conditions:
            queryset = queryset.filter(
                Exists(ReceiptIdentifier.objects.filter(receipt=OuterRef("pk"), **conditions))
            )
        return queryset


class ConflictFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=ConflictStatus.choices)

    class Meta:
        model = ConflictResolution
        fields = ["status"]
