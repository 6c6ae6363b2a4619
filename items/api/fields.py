"""Serializer fields for the earlier engine's enum spellings: each enum is read
case-insensitively (``canonical``, ``CANONICAL``, ``Canonical``) and handed on in the one
spelling DeFarm stores."""

from collections.abc import Iterable

from rest_framework import serializers

from items.models import EventType, EventVisibility, IdentifierType, ItemStatus


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    """A ChoiceField whose input matches the choices ignoring case; the value validated is the
    choice's own spelling."""

    def __init__(self, choices: Iterable, **kwargs):
        super().__init__(choices, **kwargs)
        self._by_lower = {str(value).lower(): value for value in self.choices}

    def to_internal_value(self, data):
        if isinstance(data, str):
            match = self._by_lower.get(data.strip().lower())
            if match is not None:
                return match
        self.fail("invalid_choice", input=data)


class IdentifierTypeField(CaseInsensitiveChoiceField):
    def __init__(self, **kwargs):
        super().__init__(IdentifierType.choices, **kwargs)


class EventTypeField(CaseInsensitiveChoiceField):
    """The engine's event types and the farm's, in any case; the farm's also by their noun
    (``vaccination``, ``weighing``, ``movement``, ``slaughter``, ``certification``, ``sale``)."""

    ALIASES = {
        "vaccination": EventType.VACCINATED,
        "weighing": EventType.WEIGHED,
        "weight": EventType.WEIGHED,
        "movement": EventType.MOVED,
        "slaughter": EventType.SLAUGHTERED,
        "certification": EventType.CERTIFIED,
        "sale": EventType.SOLD,
    }

    def __init__(self, **kwargs):
        super().__init__(EventType.choices, **kwargs)
        self._by_lower.update(self.ALIASES)


class EventVisibilityField(CaseInsensitiveChoiceField):
    def __init__(self, **kwargs):
        super().__init__(EventVisibility.choices, **kwargs)


class ItemStatusField(CaseInsensitiveChoiceField):
    """The list filter's statuses: ``active``, ``deprecated``, ``merged``, ``split``."""

    def __init__(self, **kwargs):
        super().__init__(ItemStatus.choices, **kwargs)


def choice_parse(field_class: type[CaseInsensitiveChoiceField], raw: str) -> str | None:
    """``raw`` in its stored spelling, or None when it is none of the field's choices."""
    try:
        return field_class().to_internal_value(raw)
    except serializers.ValidationError:
        return None
