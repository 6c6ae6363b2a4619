"""Lists refuse query parameters they do not know: ``GET /api/items?identifier=x`` is a 400
naming ``identifier`` and the parameters the list takes, not every item as if the lookup had
matched.

A list knows: the paging parameters, the ordering parameters, its FilterSet's filters, the
query parameters its OpenAPI documentation declares (``extend_schema(parameters=...)``), those
a view lists in ``known_query_params``, and those the earlier engine's clients sent to the same
route (they keep working, see ``ENGINE_QUERY_PARAMETERS``).
"""

import re
from collections.abc import Iterable

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers

PAGING_PARAMETERS = frozenset({"limit", "offset", "page", "per_page"})
ORDERING_PARAMETERS = frozenset({"ordering", "order_by", "sort", "sort_by", "order"})
# DRF's format override (``?format=json``).
ALWAYS_KNOWN = PAGING_PARAMETERS | ORDERING_PARAMETERS | {"format"}

# What the earlier engine's clients send to its list routes (engine CONTRACT.md, "query").
ENGINE_QUERY_PARAMETERS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern), frozenset(names))
    for pattern, names in (
        (r"^/users/me/credits/history/?$", {"limit"}),
        (r"^/api/api-keys/?$", {"include_inactive"}),
        (r"^/api/api-keys/[^/]+/usage/?$", {"days"}),
        (r"^/api/items(/search)?/?$", {"identifier_key", "identifier_value", "status"}),
        (r"^/api/items/pending/?$", {"reason", "priority_min"}),
        (r"^/api/events/timeline/?$", {"start_date", "end_date"}),
        (r"^/api/circuits(/list)?/?$", {"user_id", "include_public", "status"}),
        (r"^/api/circuits/[^/]+/items/?$", {"include_events"}),
        (r"^/api/adapters/[^/]+/status/?$", {"client_id", "tier"}),
        (r"^/api/storage-history/[^/]+/locations/?$", {"dfid"}),
        (r"^/api/notifications/?$", {"since", "unread_only"}),
        (r"^/api/proofs/?$", {"user_id", "circuit_type", "status"}),
        (
            r"^/api/user-activity/?$",
            {
                "category",
                "activity_type",
                "resource_type",
                "start_date",
                "end_date",
                "search_query",
                "user_id",
            },
        ),
        (r"^/api/user-activity/stats/?$", {"period_days"}),
        (
            r"^/audit/audit/events/user/[^/]+/?$",
            {"event_type", "severity", "start_date", "end_date", "user_id"},
        ),
        (r"^/audit/audit/incidents/?$", {"severity", "status", "assignee"}),
        (r"^/audit/audit/compliance/reports/?$", {"report_type", "status"}),
        (r"^/api/admin/users/?$", {"username", "email", "tier", "status", "is_admin"}),
        (r"^/api/admin/actions/?$", {"admin_id"}),
        (r"^/api/admin/adapters/?$", {"active_only"}),
    )
)

_documented_cache: dict[tuple[type, str], frozenset[str]] = {}


def _names_in(parameters: Iterable) -> set[str]:
    names: set[str] = set()
    for parameter in parameters:
        if isinstance(parameter, OpenApiParameter):
            if parameter.location == OpenApiParameter.QUERY:
                names.add(parameter.name)
        elif isinstance(parameter, serializers.Serializer):
            names.update(parameter.fields)
        elif isinstance(parameter, type) and issubclass(parameter, serializers.Serializer):
            names.update(parameter().fields)
    return names


def _documented_parameters(view, method: str) -> frozenset[str]:
    """Query parameters the view's ``extend_schema`` declares for this action or method."""
    handler_name = getattr(view, "action", None) or method.lower()
    key = (type(view), f"{handler_name}:{method}")
    cached = _documented_cache.get(key)
    if cached is not None:
        return cached
    names: set[str] = set()
    handler = getattr(view, handler_name, None)
    schema_class = getattr(handler, "kwargs", {}).get("schema")
    if schema_class is not None:
        schema = schema_class()
        schema.view = view
        schema.method = method.upper()
        names = _names_in(schema.get_override_parameters())
    _documented_cache[key] = frozenset(names)
    return _documented_cache[key]


def _filterset_parameters(view, queryset) -> set[str]:
    filterset_class = DjangoFilterBackend().get_filterset_class(view, queryset)
    if filterset_class is None:
        return set()
    names: set[str] = set()
    for name, filter_ in filterset_class.base_filters.items():
        names.add(name)
        widget = filter_.field_class.widget
        # Range-style filters read ``<name>_min``/``<name>_after`` and the like.
        for suffix in getattr(widget, "suffixes", ()) or ():
            if suffix:
                names.add(f"{name}_{suffix}")
    return names


def known_query_parameters(request, view, queryset=None) -> set[str]:
    names = set(ALWAYS_KNOWN)
    names.update(getattr(view, "known_query_params", ()))
    names.update(_documented_parameters(view, request.method))
    if queryset is not None:
        names.update(_filterset_parameters(view, queryset))
    for pattern, engine_names in ENGINE_QUERY_PARAMETERS:
        if pattern.match(request.path):
            names.update(engine_names)
    return names


def refuse_unknown_query_parameters(request, view, queryset=None) -> None:
    """400 ``validation_error`` naming each unknown parameter and the ones the list takes."""
    if view is None:
        return
    known = known_query_parameters(request, view, queryset)
    unknown = sorted(set(request.query_params) - known)
    if not unknown:
        return
    takes = ", ".join(sorted(known - {"format"}))
    details: dict[str, list[str] | list] = {
        name: [f"Unknown query parameter. This list takes: {takes}."] for name in unknown
    }
    raise exceptions.ValidationError(details)
