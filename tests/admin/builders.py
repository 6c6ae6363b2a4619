"""Rows of any DeFarm model for admin tests: required columns filled with unique values,
every relation pointing at a row of its own (so a missing select_related shows as N+1)."""

import itertools
import uuid
from datetime import UTC, datetime

from django.db import models

from accounts.models import CreditBalance, User
from defarm.fields import TextArrayField
from tests.accounts.factories import UserFactory

_counter = itertools.count(1)


def _value(field: models.Field):
    number = next(_counter)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.EmailField):
        return f"row{number}@example.com"
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, (models.CharField, models.TextField)):
        text = f"DFID-20250101-{number:06d}-1" if field.name == "dfid" else f"{field.name}-{number}"
        return text[: field.max_length] if field.max_length else text
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, (models.IntegerField, models.BigIntegerField)):
        return number
    if isinstance(field, models.FloatField):
        return 1.0
    if isinstance(field, models.DateTimeField):
        return datetime.now(UTC)
    if isinstance(field, models.JSONField):
        return {"note": f"value {number}"}
    if isinstance(field, TextArrayField):
        return [f"entry-{number}"]
    if isinstance(field, models.BinaryField):
        return b"x"
    raise NotImplementedError(f"no test value for {field!r}")


def make(model: type[models.Model], **overrides) -> models.Model:
    """One saved row of ``model``."""
    if model is User:
        return UserFactory(**overrides)
    if model is CreditBalance:
        return UserFactory().credit_balance
    if model._meta.label == "epcis.QuerySubscription":
        overrides.setdefault("stream", True)  # stream, or a schedule
    values = {}
    for field in model._meta.concrete_fields:
        if field.name in overrides:
            continue
        if field.is_relation:
            values[field.name] = make(field.related_model)
        elif field.primary_key and isinstance(field, models.IntegerField):
            values[field.name] = next(_counter)
        elif field.has_default() or field.db_default is not models.NOT_PROVIDED or field.null:
            continue
        else:
            values[field.name] = _value(field)
    values.update(overrides)
    return model.objects.create(**values)


def make_many(model: type[models.Model], count: int) -> list[models.Model]:
    return [make(model) for _ in range(count)]
