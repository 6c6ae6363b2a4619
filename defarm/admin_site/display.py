"""How the admin shows values: secrets masked, JSON summarised, Unix seconds as dates."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils.html import format_html

MASK = "••••••••"
SECRET_KEY_PARTS = ("secret", "token", "password", "passwd", "key", "credential", "hash")
SECRET_COLUMNS = {"password", "key_hash"}
SECRET_JSON_COLUMNS = {"auth_config", "connection_details", "contract_configs", "public_settings"}


# --- Secrets ------------------------------------------------------------------------------------


def is_secret_key(name: str) -> bool:
    lowered = str(name).lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


def mask_secrets(value: Any) -> Any:
    """A copy of a JSON value with every secret-looking key's value replaced by a mask."""
    if isinstance(value, dict):
        return {
            key: (MASK if is_secret_key(key) and item not in (None, "") else mask_secrets(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


class MaskedJSONWidget(forms.Textarea):
    """A JSON textarea showing the value through ``mask`` (secrets replaced by a mask)."""

    def __init__(self, *, mask: Callable[[Any], Any] = mask_secrets, attrs=None):
        super().__init__(attrs=attrs)
        self.mask = mask

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        return json.dumps(self.mask(value), indent=2)


def restore_masked(submitted: Any, original: Any) -> Any:
    """Put back the secrets a form showed masked and the staff member left unchanged."""
    if isinstance(submitted, dict) and isinstance(original, dict):
        return {
            key: (
                original[key]
                if item == MASK and key in original
                else restore_masked(item, original.get(key))
            )
            for key, item in submitted.items()
        }
    if isinstance(submitted, list) and isinstance(original, list):
        return [
            restore_masked(item, original[index] if index < len(original) else None)
            for index, item in enumerate(submitted)
        ]
    return submitted


def format_ts(value: int | None) -> str:
    """Unix seconds as a UTC date and time."""
    if value is None:
        return "-"
    return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def json_pretty(value: Any) -> str:
    if value in (None, "", {}, []):
        return "-"
    return format_html("<pre class='defarm-json'>{}</pre>", json.dumps(value, indent=2))


def json_summary(value: Any, limit: int = 60) -> str:
    """A one-line summary of a JSON value for a changelist column."""
    if value in (None, "", {}, []):
        return "-"
    if isinstance(value, dict):
        text = ", ".join(f"{key}: {_short(item)}" for key, item in value.items())
    elif isinstance(value, list):
        text = ", ".join(_short(item) for item in value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(str(key) for key in value) + "}"
    if isinstance(value, list):
        return f"[{len(value)}]"
    return str(value)
