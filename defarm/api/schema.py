"""OpenAPI additions shared by every endpoint: the error shape as a reusable component and the
error answers every operation can give, documented once here instead of on each view."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import inline_serializer
from rest_framework import mixins, serializers

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every failure answers in this shape, whatever raised it.",
    "properties": {
        "success": {"type": "boolean", "enum": [False], "description": "Always false."},
        "error": {
            "type": "string",
            "description": "Snake-case code clients branch on, e.g. `validation_error`.",
            "example": "not_found",
        },
        "message": {"type": "string", "description": "Human-readable explanation."},
        "details": {
            "type": "object",
            "additionalProperties": {},
            "description": "Optional. For validation errors: field -> list of messages.",
        },
    },
    "required": ["success", "error", "message"],
}

_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}

# name -> (status, description, headers)
ERROR_RESPONSES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "ValidationErrorResponse": (
        "400",
        "`validation_error`: the body or a query parameter is not valid; `details` maps each "
        "field to its messages.",
        None,
    ),
    "NotAuthenticatedResponse": (
        "401",
        "`not_authenticated`, `invalid_token`, `token_expired`, `invalid_api_key`, "
        "`api_key_expired`, `api_key_inactive`: no valid JWT or API key.",
        None,
    ),
    "PermissionDeniedResponse": (
        "403",
        "`permission_denied`, `ip_not_allowed`, `endpoint_not_allowed`: the caller may not do "
        "this.",
        None,
    ),
    "InsufficientCreditsResponse": (
        "402",
        "`insufficient_credits`: the operation costs more credits than the caller has.",
        None,
    ),
    "NotFoundResponse": (
        "404",
        "`not_found`: no such object (in the path or referenced by the body), or the caller "
        "may not see it.",
        None,
    ),
    "ConflictResponse": (
        "409",
        "`conflict` (or a more specific code): the change conflicts with the current state.",
        None,
    ),
    "PayloadTooLargeResponse": (
        "413",
        "`payload_too_large`: the body is larger than the server accepts "
        "(`DEFARM_MAX_BODY_BYTES`).",
        None,
    ),
    "UnsupportedMediaTypeResponse": (
        "415",
        "`unsupported_media_type`: send `application/json`.",
        None,
    ),
    "RateLimitedResponse": (
        "429",
        "`rate_limit_exceeded`: too many requests; see `Retry-After`.",
        _RETRY_AFTER,
    ),
    "DatabaseUnavailableResponse": (
        "503",
        "`database_unavailable`: the database is not answering; retry after `Retry-After`.",
        _RETRY_AFTER,
    ),
}

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
CHARGING_METHODS = {"post", "put", "patch"}


# Under /epcis/ errors are the EPCIS standard's RFC 7807 problem details instead.
EPCIS_PATH_PREFIX = "/epcis/"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 7807 problem details, the EPCIS 2.0 REST binding's error shape (only "
    "under `/epcis/`); `type` names the standard's exception.",
    "properties": {
        "type": {"type": "string", "example": "epcisException:ValidationException"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}
# Every EPCIS route refuses a GS1-EPCIS-Version / GS1-CBV-Version of another major version and
# an unknown GS1-EPC-Format.
EPCIS_NOT_ACCEPTABLE = (
    "406",
    "EpcisNotAcceptableResponse",
    "epcisException:NotAcceptableException: GS1-EPCIS-Version or GS1-CBV-Version names a "
    "version other than 2.x, or GS1-EPC-Format a format the standard does not define.",
)


def _response_component(
    description: str, headers: dict[str, Any] | None, *, problem: bool = False
) -> dict[str, Any]:
    content = (
        {"application/problem+json": {"schema": {"$ref": "#/components/schemas/EpcisProblem"}}}
        if problem
        else {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    )
    component: dict[str, Any] = {"description": description, "content": content}
    if headers:
        component["headers"] = headers
    return component


def _needs_authentication(operation: dict[str, Any]) -> bool:
    security = operation.get("security")
    return bool(security) and {} not in security


def _error_responses_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error answers the shared API plumbing can give for this operation."""
    names = []
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    writes = method in WRITE_METHODS
    if (
        writes
        or has_body
        or "{" in path  # a path parameter of the wrong form (not a UUID, an unknown type)
        or any(parameter.get("in") == "query" for parameter in parameters)
    ):
        names.append("ValidationErrorResponse")
    names.append("NotAuthenticatedResponse")  # also a public operation given a bad credential
    if method in CHARGING_METHODS:
        names.append("InsufficientCreditsResponse")
    if _needs_authentication(operation):
        names.append("PermissionDeniedResponse")
    if "{" in path or writes:
        names.append("NotFoundResponse")
    if writes:
        names.append("ConflictResponse")
    if has_body:
        names += ["PayloadTooLargeResponse", "UnsupportedMediaTypeResponse"]
    names += ["RateLimitedResponse", "DatabaseUnavailableResponse"]
    return names


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Postprocessing hook: the Error component and the error answers of every operation.

    Answers a view documents itself (e.g. its own 409) are kept as they are.
    """
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    responses = components.setdefault("responses", {})
    for name, (_status, description, headers) in ERROR_RESPONSES.items():
        responses[name] = _response_component(description, headers)
    if any(path.startswith(EPCIS_PATH_PREFIX) for path in result.get("paths", {})):
        components["schemas"].setdefault("EpcisProblem", PROBLEM_SCHEMA)
        for name, (_status, description, headers) in ERROR_RESPONSES.items():
            responses[f"Epcis{name}"] = _response_component(
                description.split(":")[0].replace("`", "") + " (as an EPCIS problem).",
                headers,
                problem=True,
            )
        _status, name, description = EPCIS_NOT_ACCEPTABLE
        responses[name] = _response_component(description, None, problem=True)

    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            operation_responses = operation.setdefault("responses", {})
            prefix = "Epcis" if path.startswith(EPCIS_PATH_PREFIX) else ""
            for name in _error_responses_for(path, method, operation):
                status = ERROR_RESPONSES[name][0]
                operation_responses.setdefault(
                    status, {"$ref": f"#/components/responses/{prefix}{name}"}
                )
            if prefix:
                status, name, _description = EPCIS_NOT_ACCEPTABLE
                operation_responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
    return result


def data_envelope(serializer_class: type[serializers.Serializer], *, name: str, many=False):
    """The documented form of ``{"success": true, "data": <serializer>}``."""
    return inline_serializer(
        name=name,
        fields={"success": serializers.BooleanField(), "data": serializer_class(many=many)},
    )


def _is_drf_own(view_class: type, method: str, mixin: type) -> bool:
    """Whether ``view_class.method`` is the mixin's own (extend_schema_view copies the
    function it documents, so the comparison is by qualified name)."""
    function = getattr(view_class, method, None)
    return getattr(function, "__qualname__", None) == getattr(mixin, method).__qualname__


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with the success statuses DeFarm's views really answer: the
    earlier engine's routes answer 200 when they create and when they delete, so 201 and 204
    are documented only for DRF's own ``create()`` and ``destroy()``."""

    def _is_create_operation(self) -> bool:
        if not super()._is_create_operation():
            return False
        return _is_drf_own(type(self.view), "create", mixins.CreateModelMixin)

    def _get_response_bodies(self, direction="response"):
        if (
            self.method == "DELETE"
            and not isinstance(self.get_response_serializers(), dict)  # none declared
            and not _is_drf_own(type(self.view), "destroy", mixins.DestroyModelMixin)
        ):
            return {"200": {"description": "Deleted."}}
        return super()._get_response_bodies(direction)
