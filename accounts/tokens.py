"""JWTs as the earlier engine issued them (HS256 with JWT_SECRET, claims user_id,
workspace_id and exp, 24 h), plus what makes them revocable:

- ``iat``: when the token was issued. A token is refused once its user's tokens were
  invalidated (``user_accounts.tokens_valid_after_ts``: password change or reset, suspension)
  at or after that second. Tokens issued after an invalidation carry an ``iat`` past it.
- ``auth_time``: when the session began (the login). Refresh keeps it, and no token of a
  session expires after ``auth_time + JWT_SESSION_LIFETIME``: refreshing cannot extend a
  session forever.
- Tokens the earlier engine signed with the same secret have neither claim. They were always
  issued 24 h before their ``exp``, so that is taken as their ``iat`` and ``auth_time``: they
  stay valid until their own ``exp`` unless their user's tokens were invalidated after they
  were issued.
"""

from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from defarm.timeutils import unix_now

ALGORITHM = "HS256"
ENGINE_TOKEN_LIFETIME_SECONDS = 24 * 3600
MAX_CLOCK_SKEW_SECONDS = 60


def _secret() -> str:
    if not settings.JWT_SECRET:
        raise ImproperlyConfigured("JWT_SECRET is not set: tokens can be neither issued nor read.")
    return settings.JWT_SECRET


def jwt_issue(*, user, session_started_at: int | None = None) -> tuple[str, datetime]:
    """A token for ``user``; ``session_started_at`` continues a session (refresh), None starts
    one (login, registration). Raises ``SessionExpired`` when the session has ended."""
    issued_at = max(unix_now(), (user.tokens_valid_after_ts or 0) + 1)
    started = issued_at if session_started_at is None else session_started_at
    session_end = started + int(settings.JWT_SESSION_LIFETIME.total_seconds())
    if session_end <= issued_at:
        raise SessionExpired()
    expires = min(issued_at + int(settings.JWT_LIFETIME.total_seconds()), session_end)
    claims = {
        "user_id": user.user_id,
        "workspace_id": user.workspace_id,
        "exp": expires,
        "iat": issued_at,
        "auth_time": started,
    }
    return jwt.encode(claims, _secret(), algorithm=ALGORITHM), datetime.fromtimestamp(
        expires, tz=UTC
    )


class SessionExpired(Exception):
    """The session the token belongs to is older than ``JWT_SESSION_LIFETIME``."""


def jwt_decode(token: str) -> dict[str, Any]:
    """Return the claims of a valid token; raises ``jwt.InvalidTokenError`` otherwise."""
    claims = jwt.decode(
        token,
        _secret(),
        algorithms=[ALGORITHM],
        options={"require": ["exp", "user_id"], "verify_iat": False},
    )
    for name in ("exp", "iat", "auth_time"):
        if name in claims and (isinstance(claims[name], bool) or not isinstance(claims[name], int)):
            raise jwt.InvalidTokenError(f"The {name} claim is not a whole number.")
    if jwt_issued_at(claims) > unix_now() + MAX_CLOCK_SKEW_SECONDS:
        raise jwt.ImmatureSignatureError("The token is issued in the future.")
    return claims


def jwt_issued_at(claims: dict[str, Any]) -> int:
    """``iat``, or for the earlier engine's tokens (no ``iat``) 24 h before ``exp``."""
    if "iat" in claims:
        return claims["iat"]
    return claims["exp"] - ENGINE_TOKEN_LIFETIME_SECONDS


def jwt_session_started_at(claims: dict[str, Any]) -> int:
    return claims.get("auth_time", jwt_issued_at(claims))


def jwt_is_revoked(*, user, claims: dict[str, Any]) -> bool:
    """Whether ``user``'s tokens were invalidated at or after this token was issued."""
    valid_after = user.tokens_valid_after_ts
    return valid_after is not None and jwt_issued_at(claims) <= valid_after
