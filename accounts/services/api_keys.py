"""API keys: creation, changes, revocation. Only the SHA-256 hex of a key is stored."""

import hashlib
import ipaddress
import secrets
import string
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from rest_framework import exceptions

from accounts.live import account_sockets_recheck_on_commit
from accounts.models import ApiKey, ApiKeyPermission, ApiKeyUsage, OrganizationType, User
from accounts.services.user_activity import (
    ActivityType,
    Category,
    ResourceType,
    user_activity_record,
)
from audit.services import admin_action_record
from defarm.timeutils import unix_now

API_KEY_PREFIX = "dfm_"
API_KEY_RANDOM_LENGTH = 32
API_KEY_ALPHABET = string.ascii_letters + string.digits
KEY_PREFIX_LENGTH = 8
SECONDS_PER_DAY = 86_400


def api_key_generate() -> str:
    """A new key: ``dfm_`` and 32 characters ``[A-Za-z0-9]`` from the system's CSPRNG."""
    random_part = "".join(secrets.choice(API_KEY_ALPHABET) for _ in range(API_KEY_RANDOM_LENGTH))
    return API_KEY_PREFIX + random_part


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _clean_permissions(*, user: User, permissions: Iterable[str]) -> list[str]:
    """The granted permissions in a fixed order. A key may hold none (it then authenticates
    but may do nothing); only staff may hold ``admin`` (403)."""
    unknown = set(permissions) - set(ApiKeyPermission.values)
    if unknown:
        raise exceptions.ValidationError({"permissions": ["Choose among read, write and admin."]})
    cleaned = [permission for permission in ApiKeyPermission.values if permission in permissions]
    if ApiKeyPermission.ADMIN in cleaned and not user.is_admin:
        raise exceptions.PermissionDenied(
            "Only administrators can create API keys with admin permissions."
        )
    return cleaned


def _clean_custom_permissions(custom: dict[str, bool] | None) -> dict[str, bool]:
    cleaned = {str(name).strip(): bool(value) for name, value in (custom or {}).items()}
    if "" in cleaned:
        raise exceptions.ValidationError({"permissions": ["A custom permission needs a name."]})
    return cleaned


def _clean_organization_type(value: str) -> str:
    if value not in OrganizationType.values:
        raise exceptions.ValidationError(
            {"organization_type": [f"Choose one of {', '.join(OrganizationType.values)}."]}
        )
    return value


def _clean_allowed_ips(allowed_ips: Iterable[str] | None) -> list[str] | None:
    if allowed_ips is None:
        return None
    cleaned = []
    for value in allowed_ips:
        try:
            cleaned.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError as error:
            raise exceptions.ValidationError(
                {"allowed_ips": [f"{value!r} is not an IP address or CIDR range."]}
            ) from error
    return cleaned or None


def _clean_allowed_endpoints(allowed_endpoints: Iterable[str] | None) -> list[str] | None:
    if allowed_endpoints is None:
        return None
    cleaned = [pattern.strip() for pattern in allowed_endpoints if pattern.strip()]
    for pattern in cleaned:
        if not pattern.startswith("/"):
            raise exceptions.ValidationError(
                {"allowed_endpoints": [f"{pattern!r} must be a path starting with '/'."]}
            )
    return cleaned or None


def _clean_rate_limit(name: str, value: int | None) -> int | None:
    if value is not None and value < 1:
        raise exceptions.ValidationError({name: ["A rate limit is at least 1 (or null)."]})
    return value


def _activity(
    *, api_key: ApiKey, user: User, activity_type: str, action: str, metadata=None
) -> None:
    user_activity_record(
        user=user,
        activity_type=activity_type,
        category=Category.API_KEYS,
        resource_type=ResourceType.API_KEY,
        resource_id=str(api_key.pk),
        action=f"api_key_{action}",
        description=f"API key {api_key.name} ({api_key.key_prefix}...): {action}",
        metadata=metadata,
    )


@transaction.atomic
def api_key_create(
    *,
    user: User,
    name: str,
    permissions: Iterable[str] = (ApiKeyPermission.READ,),
    custom_permissions: dict[str, bool] | None = None,
    organization_type: str = OrganizationType.EXTERNAL,
    organization_id: uuid.UUID | None = None,
    notes: str | None = None,
    rate_limit_per_minute: int | None = None,
    rate_limit_per_hour: int | None = None,
    rate_limit_per_day: int | None = None,
    expires_in_days: int | None = None,
    allowed_ips: Iterable[str] | None = None,
    allowed_endpoints: Iterable[str] | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for ``user``; returns the key and its plaintext (shown only this once)."""
    if expires_in_days is not None and expires_in_days < 1:
        raise exceptions.ValidationError({"expires_in_days": ["At least one day."]})
    raw_key = api_key_generate()
    api_key = ApiKey.objects.create(
        user=user,
        name=name,
        key_hash=api_key_hash(raw_key),
        key_prefix=raw_key[:KEY_PREFIX_LENGTH],
        permissions=_clean_permissions(user=user, permissions=permissions),
        custom_permissions=_clean_custom_permissions(custom_permissions),
        organization_type=_clean_organization_type(organization_type),
        organization_id=organization_id,
        notes=notes,
        rate_limit_per_minute=_clean_rate_limit("rate_limit_per_minute", rate_limit_per_minute),
        rate_limit_per_hour=_clean_rate_limit("rate_limit_per_hour", rate_limit_per_hour),
        rate_limit_per_day=_clean_rate_limit("rate_limit_per_day", rate_limit_per_day),
        expires_at_ts=(
            unix_now() + expires_in_days * SECONDS_PER_DAY if expires_in_days is not None else None
        ),
        allowed_ips=_clean_allowed_ips(allowed_ips),
        allowed_endpoints=_clean_allowed_endpoints(allowed_endpoints),
    )
    _activity(api_key=api_key, user=user, activity_type=ActivityType.CREATE, action="create")
    return api_key, raw_key


_UPDATABLE_FIELDS = {
    "name",
    "permissions",
    "custom_permissions",
    "notes",
    "is_active",
    "rate_limit_per_minute",
    "rate_limit_per_hour",
    "rate_limit_per_day",
    "allowed_ips",
    "allowed_endpoints",
}


@transaction.atomic
def api_key_update(*, api_key: ApiKey, **changes: Any) -> ApiKey:
    """Change a key's name, permissions, notes, limits or restrictions, or deactivate it
    (``is_active`` false, as a revocation; a revoked key is never reactivated). Never its
    secret or owner."""
    unknown = set(changes) - _UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"API key fields that cannot change: {sorted(unknown)}")
    for field, value in changes.items():
        if field == "permissions":
            value = _clean_permissions(user=api_key.user, permissions=value)
        elif field == "custom_permissions":
            value = _clean_custom_permissions(value)
        elif field == "is_active" and value and not api_key.is_active:
            raise exceptions.ValidationError(
                {"is_active": ["A revoked key stays revoked; create a new key instead."]}
            )
        elif field == "allowed_ips":
            value = _clean_allowed_ips(value)
        elif field == "allowed_endpoints":
            value = _clean_allowed_endpoints(value)
        elif field.startswith("rate_limit_"):
            value = _clean_rate_limit(field, value)
        setattr(api_key, field, value)
    if changes:
        api_key.save(update_fields=sorted(changes))
        if changes.get("is_active") is False:
            account_sockets_recheck_on_commit(api_key.user_id, reason="api_key_revoked")
        _activity(
            api_key=api_key,
            user=api_key.user,
            activity_type=ActivityType.UPDATE,
            action="update",
            metadata={"fields": sorted(changes)},
        )
    return api_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: User) -> ApiKey:
    """Deactivate a key at once. Staff revoking someone else's key leaves an admin action."""
    ApiKey.objects.filter(pk=api_key.pk).update(is_active=False)
    api_key.is_active = False
    account_sockets_recheck_on_commit(api_key.user_id, reason="api_key_revoked")
    if actor.pk != api_key.user_id:
        admin_action_record(
            admin=actor,
            action_type="api_key_revoke",
            target_id=api_key.user_id,
            data={"key_id": str(api_key.pk), "key_prefix": api_key.key_prefix},
        )
    else:
        _activity(api_key=api_key, user=actor, activity_type=ActivityType.UPDATE, action="revoke")
    return api_key


@transaction.atomic
def api_key_delete(*, api_key: ApiKey) -> None:
    _activity(
        api_key=api_key, user=api_key.user, activity_type=ActivityType.DELETE, action="delete"
    )
    user_id = api_key.user_id
    api_key.delete()
    account_sockets_recheck_on_commit(user_id, reason="api_key_deleted")


LAST_USED_RESOLUTION_SECONDS = 60


def api_key_usage_record(
    *,
    api_key: ApiKey,
    endpoint: str,
    method: str,
    status_code: int,
    ip_address: str | None,
    response_time_ms: float | None = None,
) -> ApiKeyUsage:
    """Log one request made with ``api_key``. ``last_used_at_ts`` is written at most once a
    minute per key (a conditional UPDATE), not on every request."""
    now = unix_now()
    usage = ApiKeyUsage.objects.create(
        key=api_key,
        endpoint=endpoint[:255],
        method=method[:10],
        status_code=status_code,
        timestamp_ts=now,
        ip_address=ip_address,
        response_time_ms=response_time_ms,
    )
    stale_before = now - LAST_USED_RESOLUTION_SECONDS
    if api_key.last_used_at_ts is None or api_key.last_used_at_ts < stale_before:
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at_ts__isnull=True) | Q(last_used_at_ts__lt=stale_before)
        ).update(last_used_at_ts=now)
        api_key.last_used_at_ts = now
    return usage
