"""OpenAPI post-processing for readers of ``/api/docs/``: operations grouped by the API's
sections, authentication first, each section described; and realistic request examples for
the first calls a newcomer makes (register, log in, create an item, create an API key)
where the view gives none."""

from typing import Any

from defarm.api.index import SECTION_DESCRIPTIONS

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
TAG_ORDER = ["auth", *[name for name in SECTION_DESCRIPTIONS if name != "auth"], "health"]
EXTRA_TAG_DESCRIPTIONS = {"health": "The service banner, liveness and database checks."}

SISBOV_STEER = {
    "namespace": "bovino",
    "key": "sisbov",
    "value": "BR510792599999",
    "id_type": "Canonical",
}

# (path, method) -> {example name: (summary, value)}
REQUEST_EXAMPLES: dict[tuple[str, str], dict[str, tuple[str, Any]]] = {
    ("/api/auth/register/", "post"): {
        "farmer": (
            "A new account (the password has upper and lower case, a digit and a symbol)",
            {"username": "maria", "email": "maria@example.com", "password": "Pasture-2025!"},
        )
    },
    ("/api/auth/login/", "post"): {
        "by_username": ("Log in", {"username": "maria", "password": "Pasture-2025!"}),
        "demo_account": (
            "A demo account (after manage.py seed_demo)",
            {"username": "pullet", "password": "demo123"},
        ),
    },
    ("/api/items/", "post"): {
        "steer": (
            "A steer by its SISBOV number and ear tag",
            {
                "identifiers": [
                    SISBOV_STEER,
                    {"namespace": "bovino", "key": "ear_tag", "value": "BV-0101"},
                ],
                "enriched_data": {"breed": "Nelore", "sex": "M", "born": "2025-01-15"},
            },
        ),
        "lot": (
            "A lot of soybeans by its lot code",
            {
                "identifiers": [{"namespace": "soja", "key": "lot", "value": "SJ-2025-0042"}],
                "enriched_data": {"harvest": "2025", "tonnes": 38.5},
            },
        ),
    },
    ("/api/api-keys/", "post"): {
        "integration": (
            "A key for an ERP integration that reads and writes, limited to 600 requests a minute",
            {
                "name": "ERP integration",
                "organization_type": "Producer",
                "permissions": {"read": True, "write": True, "admin": False, "custom": {}},
                "rate_limit_per_minute": 600,
                "expires_in_days": 365,
            },
        ),
        "read_only": ("A read-only key (the default permissions)", {"name": "Dashboard"}),
    },
}


def _section(path: str) -> str:
    parts = [part for part in path.split("/") if part]
    if not parts or parts[0] in {"health", "healthz"}:
        return "health"
    if parts[0] == "api":
        return parts[1] if len(parts) > 1 else "health"
    return parts[0]


def _add_examples(operation: dict[str, Any], examples: dict[str, tuple[str, Any]]) -> None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None or "examples" in content or "example" in content:
        return
    content["examples"] = {
        name: {"summary": summary, "value": value} for name, (summary, value) in examples.items()
    }


def document_sections(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    used: list[str] = []
    for path, path_item in result.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            tags = operation.get("tags") or []
            if not tags or tags == ["api"]:
                operation["tags"] = tags = [_section(path)]
            used.extend(tag for tag in tags if tag not in used)
            examples = REQUEST_EXAMPLES.get((path, method))
            if examples:
                _add_examples(operation, examples)

    def order(tag: str) -> tuple[int, str]:
        return (TAG_ORDER.index(tag) if tag in TAG_ORDER else len(TAG_ORDER), tag)

    descriptions = {**SECTION_DESCRIPTIONS, **EXTRA_TAG_DESCRIPTIONS}
    result["tags"] = [
        {"name": tag, **({"description": descriptions[tag]} if tag in descriptions else {})}
        for tag in sorted(used, key=order)
    ]
    return result
