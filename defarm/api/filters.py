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
            form_class = self._form_classes[type(self)] = super().get_form_class()
        return form_class
