"""The shapes of a circuit's JSON settings: ``permissions``, ``alias_config``,
``adapter_config`` and ``public_settings``. Each ``*_clean`` function validates an input and
returns the value to store, or raises a 400 naming the field."""

from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from rest_framework import exceptions

from defarm.timeutils import unix_now
from items.identifiers import KNOWN_NAMESPACES

CIRCUIT_PERMISSION_FLAGS = (
    "require_approval_for_push",
    "require_approval_for_pull",
    "allow_public_visibility",
)

ADAPTER_TYPES = (
    "none",
    "local",
    "ipfs-ipfs",
    "stellar_testnet-ipfs",
    "stellar_mainnet-ipfs",
    "ethereum_goerli-ipfs",
    "polygon-arweave",
)
CUSTOM_ADAPTER_PREFIX = "custom-"

ACCESS_MODES = ("public", "protected", "scheduled")
EXPORT_PERMISSION_LEVELS = ("admin", "members", "public")
# Branding shown on the public page; the first seven are the earlier engine's fields.
BRANDING_FIELDS = (
    "public_name",
    "public_description",
    "primary_color",
    "secondary_color",
    "logo_url",
    "tagline",
    "footer_text",
    "banner_url",
    "website_url",
    "contact_email",
)
PUBLIC_SETTINGS_FLAGS = (
    "auto_approve_members",
    "auto_publish_pushed_items",
    "show_encrypted_events",
)
PUBLIC_SETTINGS_TEXTS = ("required_event_types", "data_quality_rules")
PUBLIC_SETTINGS_SECRET_KEYS = ("password_hash",)


def _invalid(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def _string_list(field: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _invalid(field, "Must be a list of non-empty strings.")
    return [v.strip() for v in value]


def _bool(field: str, value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _invalid(field, "Must be true or false.")
    return value


def _reject_unknown(field: str, value: dict, known: tuple[str, ...]) -> None:
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise _invalid(field, f"Unknown keys: {', '.join(unknown)} (known: {', '.join(known)}).")


def circuit_permissions_clean(value: Any, *, current: dict | None = None) -> dict[str, bool]:
    """``{require_approval_for_push, require_approval_for_pull, allow_public_visibility}``;
    missing flags keep their current value (False for a new circuit)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _invalid("permissions", "Must be an object.")
    _reject_unknown("permissions", value, CIRCUIT_PERMISSION_FLAGS)
    current = current or {}
    return {
        flag: _bool(f"permissions.{flag}", value.get(flag), bool(current.get(flag, False)))
        for flag in CIRCUIT_PERMISSION_FLAGS
    }


ALIAS_CONFIG_KEYS = (
    "required_canonical",
    "required_contextual",
    "allowed_namespaces",
    "auto_apply_namespace",
    "default_namespace",
    "use_fingerprint",
)


def alias_config_clean(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("alias_config", "Must be an object.")
    _reject_unknown("alias_config", value, ALIAS_CONFIG_KEYS)
    allowed = _string_list("alias_config.allowed_namespaces", value.get("allowed_namespaces"))
    unknown = [namespace for namespace in allowed if namespace not in KNOWN_NAMESPACES]
    if unknown:
        raise _invalid(
            "alias_config.allowed_namespaces",
            f"Unknown namespaces: {', '.join(unknown)} (known: {', '.join(KNOWN_NAMESPACES)}).",
        )
    default_namespace = value.get("default_namespace")
    if default_namespace is not None:
        if default_namespace not in KNOWN_NAMESPACES:
            raise _invalid("alias_config.default_namespace", "Unknown namespace.")
        if allowed and default_namespace not in allowed:
            raise _invalid(
                "alias_config.default_namespace", "Must be one of the allowed namespaces."
            )
    return {
        "required_canonical": _string_list(
            "alias_config.required_canonical", value.get("required_canonical")
        ),
        "required_contextual": _string_list(
            "alias_config.required_contextual", value.get("required_contextual")
        ),
        "allowed_namespaces": allowed,
        "auto_apply_namespace": _bool(
            "alias_config.auto_apply_namespace", value.get("auto_apply_namespace")
        ),
        "default_namespace": default_namespace,
        "use_fingerprint": _bool("alias_config.use_fingerprint", value.get("use_fingerprint")),
    }


def alias_default_namespace(alias_config: dict | None) -> str | None:
    """The namespace filled into identifiers sent without one, when ``auto_apply_namespace``:
    ``default_namespace``, else the only allowed namespace."""
    config = alias_config or {}
    if not config.get("auto_apply_namespace"):
        return None
    if config.get("default_namespace"):
        return config["default_namespace"]
    allowed = config.get("allowed_namespaces") or []
    return allowed[0] if len(allowed) == 1 else None


def adapter_type_clean(adapter_type: Any) -> str:
    if not isinstance(adapter_type, str) or not adapter_type:
        raise _invalid("adapter_type", "Required.")
    is_custom = adapter_type.startswith(CUSTOM_ADAPTER_PREFIX) and len(adapter_type) > len(
        CUSTOM_ADAPTER_PREFIX
    )
    if adapter_type not in ADAPTER_TYPES and not is_custom:
        raise _invalid(
            "adapter_type",
            f"Unknown adapter type (known: {', '.join(ADAPTER_TYPES)}, custom-<name>).",
        )
    return adapter_type


def _timestamp(field: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _invalid(field, "Must be a Unix timestamp or an ISO-8601 date.")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return int(parsed.timestamp())
    raise _invalid(field, "Must be a Unix timestamp or an ISO-8601 date.")


def public_settings_clean(value: Any, *, current: dict | None = None) -> dict[str, Any]:
    """Validate a public settings input. The protected-mode ``password`` is stored only as
    ``password_hash``; sent without a password, a protected circuit keeps its current one.
    ``public_since_ts`` records when the circuit first had public settings."""
    if not isinstance(value, dict):
        raise _invalid("public_settings", "Must be an object.")
    current = current or {}
    known = (
        "access_mode",
        "enabled",
        "password",
        "public_from",
        "published_items",
        "export_permissions",
        *PUBLIC_SETTINGS_FLAGS,
        *PUBLIC_SETTINGS_TEXTS,
        *BRANDING_FIELDS,
    )
    _reject_unknown("public_settings", value, known)
    access_mode = value.get("access_mode")
    if access_mode not in ACCESS_MODES:
        raise _invalid("access_mode", f"Must be one of {', '.join(ACCESS_MODES)}.")
    cleaned: dict[str, Any] = {
        "access_mode": access_mode,
        "enabled": _bool("enabled", value.get("enabled"), True),
        "published_items": _string_list("published_items", value.get("published_items")),
    }
    for flag in PUBLIC_SETTINGS_FLAGS:
        cleaned[flag] = _bool(flag, value.get(flag))
    for field in (*PUBLIC_SETTINGS_TEXTS, *BRANDING_FIELDS):
        field_value = value.get(field)
        if field_value is not None and not isinstance(field_value, str):
            raise _invalid(field, "Must be a string.")
        cleaned[field] = field_value
    export_permissions = value.get("export_permissions")
    if export_permissions is not None and export_permissions not in EXPORT_PERMISSION_LEVELS:
        raise _invalid(
            "export_permissions", f"Must be one of {', '.join(EXPORT_PERMISSION_LEVELS)}."
        )
    cleaned["export_permissions"] = export_permissions
    if access_mode == "protected":
        password = value.get("password")
        if password:
            if not isinstance(password, str) or len(password) < 4:
                raise _invalid("password", "At least 4 characters.")
            cleaned["password_hash"] = make_password(password)
        elif current.get("password_hash"):
            cleaned["password_hash"] = current["password_hash"]
        else:
            raise _invalid("password", "A protected circuit needs a password.")
    if access_mode == "scheduled":
        if value.get("public_from") is None:
            raise _invalid("public_from", "A scheduled circuit needs the date it becomes public.")
        cleaned["public_from_ts"] = _timestamp("public_from", value["public_from"])
    cleaned["public_since_ts"] = current.get("public_since_ts") or unix_now()
    return cleaned


def public_settings_for_display(settings: dict | None) -> dict[str, Any] | None:
    """Public settings without secrets; ``has_password`` says whether one is set."""
    if settings is None:
        return None
    shown = {
        key: value for key, value in settings.items() if key not in PUBLIC_SETTINGS_SECRET_KEYS
    }
    if settings.get("access_mode") == "protected":
        shown["has_password"] = bool(settings.get("password_hash"))
    return shown


POST_ACTION_TRIGGERS = ("item_pushed", "item_approved", "item_tokenized", "item_published")
POST_ACTION_FLAGS = ("enabled", "include_storage_details", "include_item_metadata")


def post_action_settings_clean(value: Any) -> dict[str, Any] | None:
    """``{enabled, trigger_events, include_storage_details, include_item_metadata}``: whether
    the circuit's webhooks are called at all, for which events (empty: each webhook's own
    events), and what the payload carries beyond the item's id and hash."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("post_action_settings", "Must be an object.")
    _reject_unknown("post_action_settings", value, (*POST_ACTION_FLAGS, "trigger_events"))
    triggers = _string_list("trigger_events", value.get("trigger_events"))
    unknown = [trigger for trigger in triggers if trigger not in POST_ACTION_TRIGGERS]
    if unknown:
        raise _invalid(
            "trigger_events",
            f"Unknown events: {', '.join(unknown)} (known: {', '.join(POST_ACTION_TRIGGERS)}).",
        )
    return {
        "enabled": _bool("enabled", value.get("enabled"), True),
        "trigger_events": list(dict.fromkeys(triggers)),
        "include_storage_details": _bool(
            "include_storage_details", value.get("include_storage_details")
        ),
        "include_item_metadata": _bool("include_item_metadata", value.get("include_item_metadata")),
    }
