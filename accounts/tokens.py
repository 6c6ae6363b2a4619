"""JWTs as the earlier engine issued them: HS256 with JWT_SECRET, claims user_id,
workspace_id and exp (24 h)."""

from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHM = "HS256"


def _secret() -> str:
    if not settings.JWT_SECRET:
        raise ImproperlyConfigured("JWT_SECRET is not set: tokens can be neither issued nor read.")
    return settings.JWT_SECRET


def jwt_issue(*, user) -> tuple[str, datetime]:
    expires_at = datetime.now(tz=UTC) + settings.JWT_LIFETIME
    claims = {
        "user_id": user.user_id,
        "workspace_id": user.workspace_id,
        "exp": int(expires_at.timestamp()),
        "iat": int(datetime.now(tz=UTC).timestamp()),
    }
    return jwt.encode(claims, _secret(), algorithm=ALGORITHM), expires_at


def jwt_decode(token: str) -> dict[str, Any]:
    """Return the claims of a valid token; raises ``jwt.InvalidTokenError`` otherwise."""
    return jwt.decode(
        token, _secret(), algorithms=[ALGORITHM], options={"require": ["exp", "user_id"]}
    )
