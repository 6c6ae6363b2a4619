"""Model fields reading the earlier engine's spellings of item values."""

import re

from defarm.fields import SpelledCharField

MERGED_INTO_PREFIX = "MergedInto:"
_MERGED_INTO_DEBUG = re.compile(r'^MergedInto\("(?P<target>.*)"\)$')


def _item_status_canonical(value: str) -> str:
    """``MergedInto("X")`` (the engine's Debug text, written by some of its versions) is
    ``MergedInto:X``, the spelling DeFarm and the engine's later versions store."""
    if isinstance(value, str):
        merged = _MERGED_INTO_DEBUG.match(value)
        if merged:
            return MERGED_INTO_PREFIX + merged["target"]
    return value


def _item_status_spellings(value: str) -> list[str]:
    if value.startswith(MERGED_INTO_PREFIX):
        return [value, f'MergedInto("{value.removeprefix(MERGED_INTO_PREFIX)}")']
    return [value]


def _item_status_prefixes(prefix: str) -> list[str]:
    if prefix.startswith(MERGED_INTO_PREFIX):
        return [prefix, 'MergedInto("' + prefix.removeprefix(MERGED_INTO_PREFIX)]
    return [prefix]


class ItemStatusField(SpelledCharField):
    """An item status; ``MergedInto("X")`` rows read as ``MergedInto:X`` and lookups (exact,
    in, startswith) match both spellings."""

    canonical = staticmethod(_item_status_canonical)
    stored_spellings = staticmethod(_item_status_spellings)
    stored_prefixes = staticmethod(_item_status_prefixes)
