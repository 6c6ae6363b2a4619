"""Walks the earlier engine's route table (``engine_routes.txt``, a copy of
``shared/spec/engine/routes.txt``) against DeFarm's URL conf.

Each ``METHOD /path/:param`` is resolved with sample values, with and without a trailing
slash, and counts as served when both forms reach a view that answers that method. The routes
not served yet are listed in ``engine_routes_missing.txt``; the test fails when a listed route
is served (take it off the list) or an unlisted one is not (a route was lost).
"""

import uuid
from pathlib import Path

from django.urls import Resolver404, resolve

HERE = Path(__file__).resolve().parent
ROUTES = HERE / "engine_routes.txt"
MISSING = HERE / "engine_routes_missing.txt"

_SAMPLE_UUID = str(uuid.UUID("6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"))
SAMPLES = {
    "dfid": "DFID-20240926-000001-2488",
    "local_id": f"LID-{_SAMPLE_UUID}",
    "user_id": "user-6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    "member_id": "user-6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    "requester_id": "user-6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    "adapter_type": "ipfs-ipfs",
    "key": "sisbov",
    "value": "BR123456789012",
    "network": "stellar-testnet",
    "sequence": "1",
    "event_type": "created",
    "visibility": "public",
    "role_name": "auditor",
}


def engine_routes() -> list[tuple[str, str]]:
    routes = []
    for line in ROUTES.read_text().splitlines():
        if line.strip():
            method, path = line.split()
            routes.append((method, path))
    return routes


def listed_missing() -> set[tuple[str, str]]:
    listed = set()
    for line in MISSING.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            method, path = line.split()
            listed.add((method, path))
    return listed


def sample_path(path: str) -> tuple[str, set[str]]:
    """``path`` with sample values for its parameters, and the values used."""
    parts, values = [], set()
    for part in path.split("/"):
        if part.startswith(":"):
            part = SAMPLES.get(part[1:], _SAMPLE_UUID)
            values.add(part)
        parts.append(part)
    return "/".join(parts), values


def view_answers(path: str, method: str, parameter_values: set[str]) -> bool:
    """True when ``path`` resolves to a view that takes ``method``, with only the route's
    parameters captured (``/storage-history/statistics`` caught as a DFID is not served)."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    if match.args or not {str(value) for value in match.kwargs.values()} <= parameter_values:
        return False
    view = match.func
    actions = getattr(view, "actions", None)
    if actions is not None:  # a DRF viewset: its route maps methods to actions
        return method.lower() in actions
    view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if view_class is not None:
        allowed = getattr(view, "initkwargs", {}).get("http_method_names") or (
            view_class.http_method_names
        )
        return method.lower() in allowed and hasattr(view_class, method.lower())
    allowed_methods = getattr(view, "allowed_methods", None)
    if allowed_methods is not None:
        return method.upper() in allowed_methods
    return method == "GET"  # a plain function view


def route_is_served(method: str, path: str) -> bool:
    concrete, values = sample_path(path)
    forms = {concrete.rstrip("/") or "/", concrete.rstrip("/") + "/"}
    return all(view_answers(form, method, values) for form in forms)


def test_engine_route_table_is_read_whole():
    routes = engine_routes()
    assert len(routes) == 211
    assert len(set(routes)) == 211


def test_served_engine_routes_do_not_shrink():
    routes = engine_routes()
    not_served = {(method, path) for method, path in routes if not route_is_served(method, path)}
    listed = listed_missing()
    unknown = listed - set(routes)
    assert not unknown, f"listed as missing but not an engine route: {sorted(unknown)}"
    lost = sorted(not_served - listed)
    now_served = sorted(listed - not_served)
    assert not lost, "engine routes no longer served (both slash forms):\n" + "\n".join(
        f"{method} {path}" for method, path in lost
    )
    assert not now_served, (
        "engine routes served now; take them off engine_routes_missing.txt:\n"
        + "\n".join(f"{method} {path}" for method, path in now_served)
    )
