"""The FilterSet every API filter derives from."""

from typing import ClassVar

import django_filters
from django import forms


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, with its form class built once per FilterSet class instead of
    once per request (django-filter makes a new class each time; the fields never change)."""

    _form_classes: ClassVar[dict[type, type[forms.Form]]] = {}

    def get_form_class(self) -> type[forms.Form]:
        form_class = self._form_classes.get(type(self))
        if form_class is None:
            form_class = super().get_form_class()
            _name_valid_values(form_class)
            self._form_classes[type(self)] = form_class
        return form_class


def _name_valid_values(form_class: type[forms.Form]) -> None:
    """A choice filter's error lists the values it takes (not just "not one of the available
    choices"). Fields choosing among database rows keep Django's message."""
    for field in form_class.base_fields.values():
        if not isinstance(field, forms.ChoiceField) or isinstance(field, forms.ModelChoiceField):
            continue
        values = [str(value) for value, _ in field.choices if value not in ("", None)]
        if not values:
            continue
        valid = ", ".join(values).replace("%", "%%")
        field.error_messages = {
            **field.error_messages,
            "invalid_choice": f"%(value)s is not a valid value; valid values: {valid}.",
        }
