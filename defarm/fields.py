"""Model fields that reproduce V1 column types on PostgreSQL and still run on SQLite."""

import json
from typing import Any

from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.db import models


class TextArrayField(models.Field):
    """A list of strings: ``text[]`` on PostgreSQL, a JSON array in a text column on SQLite."""

    description = "List of strings"
    empty_strings_allowed = False

    def db_type(self, connection) -> str:
        return "text[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        values = [str(item) for item in value]
        if connection.vendor == "postgresql":
            return values
        return json.dumps(values)

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value
        return json.loads(value)

    def to_python(self, value: Any):
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, tuple):
            return list(value)
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                return [part.strip() for part in value.split(",") if part.strip()]
            return decoded if isinstance(decoded, list) else [str(decoded)]
        return list(value)

    def value_to_string(self, obj) -> str:
        return json.dumps(self.value_from_object(obj))

    def formfield(self, **kwargs):
        defaults = {
            "form_class": SimpleArrayField,
            "base_field": forms.CharField(),
            "required": not self.blank,
            "help_text": "Comma-separated values.",
        }
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        base_field = defaults.pop("base_field")
        for unused in ("max_length", "widget"):
            defaults.pop(unused, None)
        return form_class(base_field, **defaults)


class RealField(models.FloatField):
    """A single-precision float (``real``), as V1 declares it."""

    def db_type(self, connection) -> str:
        return "real" if connection.vendor == "postgresql" else super().db_type(connection)
