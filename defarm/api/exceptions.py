"""One error shape for every failure:
``{"success": false, "error": code, "message": text, "details": {...}}``."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("defarm.api")


class ApiError(exceptions.APIException):
    """An API error with its own code, status and optional details."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message or self.default_detail, code or self.default_code)
        if status_code is not None:
            self.status_code = status_code
        self.error_code = code or self.default_code
        self.details = details


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with existing data."


class InsufficientCredits(ApiError):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "insufficient_credits"
    default_detail = "Not enough credits for this operation."


_CODES_BY_CLASS: list[tuple[type[Exception], str]] = [
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "validation_error"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limit_exceeded"),
]


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "error": code, "message": message}
    if details:
        body["details"] = details
    return body


# SQLSTATE classes that mean the database cannot be reached or is not serving: connection
# exceptions (08), insufficient resources (53: too many connections, disk full), operator
# intervention (57P: shutting down, starting up). Any other database error is the request's
# own problem (54: a value too large for an index) or a bug, never an outage.
OUTAGE_SQLSTATE_PREFIXES = ("08", "53", "57P")


def database_error_sqlstate(exc: Exception) -> str | None:
    """The SQLSTATE of a database error (psycopg's, kept as the Django error's cause)."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(exc, "sqlstate", None)


def database_error_is_outage(exc: Exception) -> bool:
    """Whether ``exc`` says the database is unavailable (not that one statement failed)."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = database_error_sqlstate(exc)
    return sqlstate is None or sqlstate.startswith(OUTAGE_SQLSTATE_PREFIXES)


def database_unavailable_response() -> JsonResponse:
    return JsonResponse(
        error_body("database_unavailable", "The database is not answering; try again shortly."),
        status=503,
        headers={"Retry-After": "5"},
    )


def _validation_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            field: [str(message) for message in messages]
            if isinstance(messages, list)
            else _validation_details(messages)
            if isinstance(messages, dict)
            else [str(messages)]
            for field, messages in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(message) for message in detail]}
    return {"non_field_errors": [str(detail)]}


def _first_message(details: dict[str, Any]) -> str:
    for field, messages in details.items():
        if isinstance(messages, list) and messages:
            return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
        if isinstance(messages, dict):
            return f"{field}: {_first_message(messages)}"
    return "Invalid input."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, (OperationalError, InterfaceError)) and database_error_is_outage(exc):
        logger.error("Database unavailable: %s", exc)
        set_rollback()
        return Response(
            error_body("database_unavailable", "The database is not answering; try again shortly."),
            status=503,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DataError) or (database_error_sqlstate(exc) or "").startswith("54"):
        # Input the database cannot hold (a NUL character, a number out of range) is the
        # client's error, not a server error.
        logger.warning("Value refused by the database: %s", exc)
        set_rollback()
        return Response(
            error_body(
                "validation_error",
                "A value cannot be stored: out of range, too long (to store or to index), or "
                "containing NUL characters.",
            ),
            status=400,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):  # e.g. a malformed UUID reaching a query
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        if isinstance(exc, DatabaseError):
            logger.exception("Database error", exc_info=exc)
        return None  # a real 500: Django's handler500 answers in the same shape

    from audit.hooks import audit_refusal  # the audit app loads after this module

    audit_refusal(exc, context)

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, str(exc.detail), exc.details)
    elif isinstance(exc, (exceptions.ValidationError, exceptions.ParseError)):
        details = _validation_details(exc.detail)
        body = error_body("validation_error", _first_message(details), details)
    else:
        code = next((c for cls, c in _CODES_BY_CLASS if isinstance(exc, cls)), None)
        if code is None:
            code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        detail_code = getattr(exc.detail, "code", None)
        if isinstance(detail_code, str) and detail_code not in {
            "not_authenticated",
            "authentication_failed",
            "permission_denied",
            "not_found",
            "method_not_allowed",
            "throttled",
            "error",
            "invalid",
        }:
            code = detail_code  # e.g. invalid_api_key, ip_not_allowed raised with that code
        body = error_body(code, str(exc.detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)
