"""Model fields that reproduce V1 column types on PostgreSQL and still run on SQLite."""

import json
from typing import Any

from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.db import models
from django.db.models import lookups


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


class SpelledCharField(models.CharField):
    """A text column the earlier engine wrote in more than one spelling (``basic`` and
    ``Basic``, ``IpfsIpfs`` and ``ipfs-ipfs``): rows read back in DeFarm's spelling, writes use
    it, and ``exact`` / ``in`` lookups match every stored spelling, so no V1 row is missed.

    Subclasses give ``canonical`` (any spelling to DeFarm's, or the value unchanged) and
    ``stored_spellings`` (DeFarm's spelling to every spelling a row may hold)."""

    @staticmethod
    def canonical(value: str) -> str:
        return value

    @staticmethod
    def stored_spellings(value: str) -> list[str]:
        return [value]

    def from_db_value(self, value, expression, connection):
        return value if value is None else self.canonical(value)

    def to_python(self, value):
        value = super().to_python(value)
        return value if value is None else self.canonical(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else self.canonical(value)

    @staticmethod
    def stored_prefixes(prefix: str) -> list[str]:
        """Every stored spelling of values starting with ``prefix``."""
        return [prefix]

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return AnySpellingExact
        if lookup_name == "in":
            return AnySpellingIn
        if lookup_name == "startswith":
            return AnySpellingStartsWith
        return super().get_lookup(lookup_name)


def _all_spellings(field: SpelledCharField, values) -> list[str]:
    spellings: list[str] = []
    for value in values:
        for spelling in field.stored_spellings(field.canonical(value)):
            if spelling not in spellings:
                spellings.append(spelling)
    return spellings


class AnySpellingExact(lookups.Exact):
    """``field = value`` matching every spelling of ``value`` a V1 row may hold."""

    def as_sql(self, compiler, connection):
        if isinstance(self.rhs, str):
            spellings = _all_spellings(self.lhs.output_field, [self.rhs])
            if len(spellings) > 1:
                return AnySpellingIn(self.lhs, spellings).as_sql(compiler, connection)
        return super().as_sql(compiler, connection)


class AnySpellingStartsWith(lookups.StartsWith):
    """``field LIKE 'prefix%'`` matching every stored spelling of the prefix."""

    def as_sql(self, compiler, connection):
        if isinstance(self.rhs, str):
            prefixes = self.lhs.output_field.stored_prefixes(self.rhs)
            if len(prefixes) > 1:
                parts, params = [], []
                for prefix in prefixes:
                    sql, part_params = lookups.StartsWith(self.lhs, prefix).as_sql(
                        compiler, connection
                    )
                    parts.append(sql)
                    params.extend(part_params)
                return "(" + " OR ".join(parts) + ")", params
        return super().as_sql(compiler, connection)


class AnySpellingIn(lookups.In):
    """``field IN (...)`` matching every spelling of each value."""

    def get_prep_lookup(self):
        prepared = super().get_prep_lookup()
        if isinstance(prepared, list) and all(isinstance(value, str) for value in prepared):
            return _all_spellings(self.lhs.output_field, prepared)
        return prepared


class SpelledTextArrayField(TextArrayField):
    """A ``text[]`` of values the earlier engine wrote in more than one spelling; each element
    reads back in DeFarm's spelling (``canonical``, as in SpelledCharField)."""

    @staticmethod
    def canonical(value: str) -> str:
        return value

    def from_db_value(self, value, expression, connection):
        values = super().from_db_value(value, expression, connection)
        return values if values is None else [self.canonical(str(item)) for item in values]

    def to_python(self, value: Any):
        values = super().to_python(value)
        return values if values is None else [self.canonical(str(item)) for item in values]

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is not None:
            value = [self.canonical(str(item)) for item in value]
        return super().get_db_prep_value(value, connection, prepared)
