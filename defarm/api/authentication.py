"""Authentication classes shared by every API endpoint."""

import hmac
import ipaddress
import re
from functools import lru_cache

import jwt
from django.contrib.auth import get_user_model
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from accounts.models import ApiKey, ApiKeyPermission
from accounts.services.api_keys import API_KEY_PREFIX, api_key_hash
from accounts.services.rate_limits import api_key_rate_limit_hit, api_key_rate_limit_peek
from accounts.tokens import jwt_decode, jwt_is_revoked
from defarm.api.throttling import client_ip
from defarm.timeutils import unix_now

API_KEY_FORMAT = re.compile(r"^dfm_[A-Za-z0-9]{32}$")
API_KEY_PARAMETER_NAMES = frozenset({"api_key", "apikey", "api-key", "x-api-key", "x_api_key"})
# Names that may legitimately carry other values; refused only when the value is a key.
KEY_LIKE_PARAMETER_NAMES = frozenset({"key", "token", "access_token", "auth", "authorization"})
INSPECTED_BODY_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
)


def bearer_token(request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class JWTAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <JWT>``; bearer values starting with ``dfm_`` are API keys."""

    keyword = "Bearer"

    def authenticate(self, request):
        token = bearer_token(request)
        if token is None or token.startswith(API_KEY_PREFIX):
            return None
        try:
            claims = jwt_decode(token)
        except jwt.ExpiredSignatureError as error:
            raise jwt_expired_error() from error
        except jwt.InvalidTokenError as error:
            raise exceptions.AuthenticationFailed(
                "The token is not valid.", "invalid_token"
            ) from error
        return jwt_claims_user(claims), claims

    def authenticate_header(self, request) -> str:
        return self.keyword


def jwt_claims_user(claims: dict):
    """The user of a decoded token's ``claims`` while the account is active and the token not
    revoked; raises the API's authentication errors otherwise (also what an open WebSocket
    checks again when the account changes)."""
    try:
        user = get_user_model().objects.get(pk=claims["user_id"])
    except get_user_model().DoesNotExist:
        raise exceptions.AuthenticationFailed(
            "The token's user does not exist.", "invalid_token"
        ) from None
    if not user.is_active:
        raise exceptions.AuthenticationFailed(f"The account is {user.status}.", "account_inactive")
    if jwt_is_revoked(user=user, claims=claims):
        raise exceptions.AuthenticationFailed(
            "The token was revoked (password change or account suspension); log in again.",
            "token_revoked",
        )
    return user


def jwt_expired_error() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed("The token has expired.", "token_expired")


def api_key_usable_check(api_key: ApiKey) -> None:
    """Raise the API's authentication error when ``api_key`` is revoked or expired or its
    owner's account is not active."""
    if not api_key.is_active:
        raise exceptions.AuthenticationFailed("The API key has been revoked.", "api_key_inactive")
    if api_key.expires_at_ts is not None and api_key.expires_at_ts <= unix_now():
        raise api_key_expired_error()
    owner = api_key.user
    if not owner.is_active:
        raise exceptions.AuthenticationFailed(
            f"The key's account is {owner.status}.", "account_inactive"
        )


def api_key_expired_error() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed("The API key has expired.", "api_key_expired")


class ApiKeyOutsideHeaders(exceptions.APIException):
    """400: an API key sent where it leaks (query string, body)."""

    status_code = 400
    default_code = "api_key_not_in_header"
    default_detail = "API keys are accepted only in the X-API-Key or Authorization header."


def _carries_api_key(name: str, value) -> bool:
    name = str(name).lower()
    if name in API_KEY_PARAMETER_NAMES:
        return True
    return (
        name in KEY_LIKE_PARAMETER_NAMES
        and isinstance(value, str)
        and value.startswith(API_KEY_PREFIX)
    )


def refuse_api_key_outside_headers(request) -> None:
    """400 when an API key is sent in the query string or the body, where it leaks into logs,
    browser history and proxies; keys belong in ``X-API-Key`` or ``Authorization``."""
    for name, value in request.query_params.items():
        if _carries_api_key(name, value):
            raise ApiKeyOutsideHeaders(
                "API keys are not accepted in the query string; send them in the X-API-Key "
                "or Authorization header.",
                code="api_key_in_query",
            )
    if not request.content_type.startswith(INSPECTED_BODY_TYPES):
        return
    data = request.data
    if isinstance(data, dict) and any(_carries_api_key(k, v) for k, v in data.items()):
        raise ApiKeyOutsideHeaders(
            "API keys are not accepted in the request body; send them in the X-API-Key "
            "or Authorization header.",
            code="api_key_in_body",
        )


@lru_cache(maxsize=1024)
def _endpoint_pattern(pattern: str) -> re.Pattern:
    parts = pattern.rstrip("/").split("*")
    return re.compile("^" + ".*".join(re.escape(part) for part in parts) + "/?$")


def endpoint_allowed(path: str, patterns: list[str]) -> bool:
    """Whether ``path`` matches one of ``patterns`` (``*`` matches anything, ``/`` included;
    a trailing slash is optional on both sides)."""
    path = path.rstrip("/") or "/"
    return any(_endpoint_pattern(pattern).match(path) for pattern in patterns)


def ip_allowed(address: str | None, allowed: list[str]) -> bool:
    """Whether ``address`` is one of the ``allowed`` addresses or inside one of its ranges."""
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def api_key_from_headers(request) -> str | None:
    header_key = request.META.get("HTTP_X_API_KEY", "").strip()
    if header_key:
        return header_key
    token = bearer_token(request)
    if token is not None and token.startswith(API_KEY_PREFIX):
        return token
    return None


def _invalid_key() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed("The API key is not valid.", "invalid_api_key")


class APIKeyAuthentication(authentication.BaseAuthentication):
    """``X-API-Key: dfm_...`` or ``Authorization: Bearer dfm_...``.

    The request acts as the key's owner (``request.user``), with the key as ``request.auth``.
    Every restriction of the key is enforced here, so it holds on every view whatever its
    permission classes: active and not expired, an Active owner, allowed IPs, allowed
    endpoints, ``read`` keys limited to safe methods, and the per-key rate limits (429).
    The key and its rate-limit state are left on the Django request for
    ``accounts.middleware.ApiKeyUsageMiddleware``, which logs the request and sets the
    ``RateLimit-*`` headers.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        refuse_api_key_outside_headers(request)
        raw_key = api_key_from_headers(request)
        if raw_key is None:
            return None
        if not API_KEY_FORMAT.match(raw_key):
            raise _invalid_key()
        key_hash = api_key_hash(raw_key)
        api_key = ApiKey.objects.select_related("user").filter(key_hash=key_hash).first()
        if api_key is None or not hmac.compare_digest(api_key.key_hash, key_hash):
            raise _invalid_key()
        request._request.defarm_api_key = api_key
        try:
            self._check_key(request, api_key)
        except exceptions.APIException:
            request._request.defarm_rate_limit = api_key_rate_limit_peek(api_key=api_key)
            raise
        decision = api_key_rate_limit_hit(api_key=api_key)
        request._request.defarm_rate_limit = decision
        if not decision.allowed:
            raise exceptions.Throttled(
                wait=decision.retry_after,
                detail=(
                    f"The API key's limit of {decision.window.limit} requests per "
                    f"{decision.window.seconds} seconds is reached; retry in "
                    f"{decision.retry_after} seconds."
                ),
                code="rate_limit_exceeded",
            )
        return api_key.user, api_key

    def _check_key(self, request, api_key: ApiKey) -> None:
        api_key_usable_check(api_key)
        if api_key.allowed_ips and not ip_allowed(client_ip(request), api_key.allowed_ips):
            raise exceptions.PermissionDenied(
                "The API key may not be used from this address.", "ip_not_allowed"
            )
        if api_key.allowed_endpoints and not endpoint_allowed(
            request.path, api_key.allowed_endpoints
        ):
            raise exceptions.PermissionDenied(
                "The API key may not be used on this endpoint.", "endpoint_not_allowed"
            )
        permissions = set(api_key.permissions or ())
        may_write = bool(permissions & {ApiKeyPermission.WRITE, ApiKeyPermission.ADMIN})
        if request.method not in SAFE_METHODS and not may_write:
            raise exceptions.PermissionDenied(
                "This API key is read-only: it may not change data. Give it the write "
                "permission (PATCH /api/api-keys/{key_id} with "
                '"permissions": {"read": true, "write": true}) '
                "or create a key with it.",
                "permission_denied",
            )

    def authenticate_header(self, request) -> str:
        return self.keyword


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "defarm.api.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: Bearer <JWT>` from /api/auth/login (24 h).",
        }


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "defarm.api.authentication.APIKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": (
                "`X-API-Key: dfm_...` (or `Authorization: Bearer dfm_...`). Never in the query "
                "string or body. Answers carry RateLimit-Limit, RateLimit-Remaining and "
                "RateLimit-Reset; over a limit: 429 with Retry-After."
            ),
        }
