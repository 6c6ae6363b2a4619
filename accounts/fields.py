"""Model fields reading the earlier engine's spellings of account values."""

from defarm.fields import SpelledCharField

_TIERS = ("Basic", "Professional", "Enterprise", "Admin")
_TIER_BY_LOWER = {tier.lower(): tier for tier in _TIERS}


def _tier_canonical(value: str) -> str:
    return _TIER_BY_LOWER.get(value.lower(), value) if isinstance(value, str) else value


def _tier_spellings(value: str) -> list[str]:
    return [value, value.lower()] if value in _TIERS else [value]


class TierField(SpelledCharField):
    """A user tier. The engine stored ``basic``, ``professional``, ``enterprise``, ``admin``
    (and older versions ``Basic``...): rows read as ``Basic``... and match either."""

    canonical = staticmethod(_tier_canonical)
    stored_spellings = staticmethod(_tier_spellings)


def _notification_type_canonical(value: str) -> str:
    """The engine stored the JSON text of the type, quotes included (``"ItemShared"``)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _notification_type_spellings(value: str) -> list[str]:
    return [value, f'"{value}"']


class NotificationTypeField(SpelledCharField):
    """A notification type: rows holding ``"ItemShared"`` (quoted, as the engine stored the
    JSON string) read as ``ItemShared`` and match either spelling."""

    canonical = staticmethod(_notification_type_canonical)
    stored_spellings = staticmethod(_notification_type_spellings)
