"""One serializer field per audit enum: every spelling the engine accepted is read
(``critical``, ``Critical``, ``CRITICAL``; ``data-breach`` and ``DataBreach``) into DeFarm's
stored value (``Critical``, ``DataBreach``); answers use the engine's spelling for the route
(lowercase or kebab-case in its responses, PascalCase in its raw objects)."""

import re

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import (
    AuditEventType,
    AuditOutcome,
    AuditSeverity,
    ExportFormat,
    IncidentCategory,
    IncidentStatus,
    ReportType,
)


def kebab(value: str) -> str:
    """``DataBreach`` -> ``data-breach``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", value).lower()


@extend_schema_field(OpenApiTypes.STR)
class EngineChoiceField(serializers.Field):
    """A choice of ``choices`` in any case, PascalCase or kebab-case; ``extra`` maps further
    accepted spellings to values."""

    choices: type[models.TextChoices]
    extra: dict[str, str] = {}
    output: str = "lower"  # "lower", "kebab" or "pascal"
    default_error_messages = {"unknown": "Unknown value {value!r}; use one of {accepted}."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lookup = {}
        for value in self.choices.values:
            self.lookup[value.lower()] = value
            self.lookup[kebab(value)] = value
        self.lookup.update({key.lower(): value for key, value in self.extra.items()})

    def spelling(self, value: str) -> str:
        if self.output == "pascal":
            return value
        return kebab(value) if self.output == "kebab" else value.lower()

    def to_internal_value(self, data):
        if not isinstance(data, str) or data.strip().lower() not in self.lookup:
            accepted = ", ".join(self.spelling(value) for value in self.choices.values)
            self.fail("unknown", value=data, accepted=accepted)
        return self.lookup[data.strip().lower()]

    def to_representation(self, value):
        return self.spelling(str(value))


class EventTypeField(EngineChoiceField):
    choices = AuditEventType


class OutcomeField(EngineChoiceField):
    choices = AuditOutcome


class SeverityField(EngineChoiceField):
    choices = AuditSeverity


class IncidentCategoryField(EngineChoiceField):
    choices = IncidentCategory
    output = "kebab"


class IncidentStatusField(EngineChoiceField):
    choices = IncidentStatus


class ReportTypeField(EngineChoiceField):
    choices = ReportType
    output = "kebab"
    extra = {"food-safety": ReportType.FOOD_SAFETY, "gdpr": ReportType.GDPR}


class ExportFormatField(EngineChoiceField):
    choices = ExportFormat


class PascalEventTypeField(EventTypeField):
    output = "pascal"


class PascalOutcomeField(OutcomeField):
    output = "pascal"


class PascalSeverityField(SeverityField):
    output = "pascal"
