"""Errors under ``/epcis/`` as the standard's RFC 7807 problem details.

The EPCIS 2.0 REST binding defines its own error shape (``type`` naming an
``epcisException:...``, ``title``, ``status``, ``detail``); EPCIS clients branch on ``type``. This
is the one documented exception to DeFarm's ``{"success": false, "error", ...}`` shape, and only
for the routes under ``/epcis/``. Everything else about an error (authentication, the audit of
refusals, database outages, rollback) is decided by DeFarm's own handler first.
"""

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response

from defarm.api.exceptions import exception_handler as defarm_exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


class EpcisProblem(exceptions.APIException):
    """An EPCIS exception with its standard type."""

    def __init__(self, *, exception_type: str, title: str, detail: str, status_code: int):
        super().__init__(detail=detail)
        self.exception_type = exception_type
        self.title = title
        self.status_code = status_code


def validation_problem(detail: str) -> EpcisProblem:
    return EpcisProblem(
        exception_type="epcisException:ValidationException",
        title="Invalid EPCIS document",
        detail=detail,
        status_code=status.HTTP_400_BAD_REQUEST,
    )


def query_parameter_problem(detail: str) -> EpcisProblem:
    return EpcisProblem(
        exception_type="epcisException:QueryParameterException",
        title="Invalid query parameter",
        detail=detail,
        status_code=status.HTTP_400_BAD_REQUEST,
    )


def no_such_resource_problem(detail: str) -> EpcisProblem:
    return EpcisProblem(
        exception_type="epcisException:NoSuchResourceException",
        title="No such resource",
        detail=detail,
        status_code=status.HTTP_404_NOT_FOUND,
    )


_BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("epcisException:ValidationException", "Invalid request"),
    401: ("epcisException:SecurityException", "Not authenticated"),
    402: ("epcisException:ImplementationException", "Insufficient credits"),
    403: ("epcisException:SecurityException", "Not allowed"),
    404: ("epcisException:NoSuchResourceException", "No such resource"),
    405: ("epcisException:ImplementationException", "Method not allowed"),
    406: ("epcisException:NotAcceptableException", "Not acceptable"),
    413: ("epcisException:CaptureLimitExceededException", "Too large"),
    414: ("epcisException:URITooLongException", "URI too long"),
    415: ("epcisException:UnsupportedMediaTypeException", "Unsupported media type"),
    429: ("epcisException:ImplementationException", "Too many requests"),
    503: ("epcisException:ImplementationException", "Service unavailable"),
}


def problem_body(
    *, status_code: int, detail: str, exception_type: str | None = None, title: str | None = None
) -> dict[str, Any]:
    default_type, default_title = _BY_STATUS.get(
        status_code, ("epcisException:ImplementationException", "Error")
    )
    return {
        "type": exception_type or default_type,
        "title": title or default_title,
        "status": status_code,
        "detail": detail,
    }


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = defarm_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data if isinstance(response.data, dict) else {}
    detail = str(data.get("message") or data.get("detail") or "")
    if isinstance(exc, EpcisProblem):
        body = problem_body(
            status_code=exc.status_code,
            detail=str(exc.detail),
            exception_type=exc.exception_type,
            title=exc.title,
        )
    else:
        body = problem_body(status_code=response.status_code, detail=detail)
    headers = {name: value for name, value in response.items() if name.lower() != "content-type"}
    return Response(
        body, status=response.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE
    )
