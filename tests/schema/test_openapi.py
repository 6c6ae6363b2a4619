"""The OpenAPI schema: generated without warnings, covering every API view, documenting both
authentication schemes, the error shape and pagination; the docs pages served locally."""

import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.views import APIView

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
ERROR_REF = "#/components/schemas/Error"
PROBLEM_REF = "#/components/schemas/EpcisProblem"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, path_item in schema["paths"].items():
        for method, operation in path_item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def resolve_response(schema, response):
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        return schema["components"]["responses"][name]
    return response


def test_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert target.read_text().startswith("openapi: 3.")


def api_views(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from api_views(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if (
                view_class
                and issubclass(view_class, APIView)
                and route.lstrip("^").startswith("api/")
            ):
                yield route, view_class


def test_every_api_view_is_in_the_schema():
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    documented = {callback.cls for _path, _regex, _method, callback in generator.endpoints}
    served = {
        view_class
        for route, view_class in api_views(get_resolver().url_patterns)
        if not re.search(r"api/(schema|docs|redoc)", route)
    }

    missing = sorted(view.__module__ + "." + view.__name__ for view in served - documented)
    assert served, "no API view found"
    assert missing == []


def test_error_shape_is_a_reusable_component(schema):
    error = schema["components"]["schemas"]["Error"]

    assert error["required"] == ["success", "error", "message"]
    assert set(error["properties"]) == {"success", "error", "message", "details"}


def test_every_operation_documents_its_error_answers(schema):
    problems = []
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        statuses = set(responses)
        if not any(status.startswith("4") for status in statuses):
            problems.append(f"{method.upper()} {path}: no 4xx")
        if "{" in path and "404" not in statuses:
            problems.append(f"{method.upper()} {path}: no 404")
        if operation.get("security") and {} not in operation["security"] and "401" not in statuses:
            problems.append(f"{method.upper()} {path}: no 401")
        if "requestBody" in operation and "400" not in statuses:
            problems.append(f"{method.upper()} {path}: no 400")
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = resolve_response(schema, response).get("content", {})
                if path.startswith("/epcis/"):  # the EPCIS standard's problem details
                    json_schema = content.get("application/problem+json", {}).get("schema", {})
                    if json_schema.get("$ref") != PROBLEM_REF:
                        problems.append(f"{method.upper()} {path}: {status} is not a problem")
                    continue
                json_schema = content.get("application/json", {}).get("schema", {})
                if json_schema.get("$ref") != ERROR_REF and "$ref" in response:
                    problems.append(f"{method.upper()} {path}: {status} is not the Error shape")
    assert problems == []


def test_both_authentication_schemes_are_documented(schema):
    schemes = schema["components"]["securitySchemes"].values()

    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes)
    assert any(
        s["type"] == "apiKey" and s["in"] == "header" and s["name"] == "X-API-Key" for s in schemes
    )


def test_protected_operations_accept_a_jwt_or_an_api_key(schema):
    schemes = schema["components"]["securitySchemes"]
    bearer = {name for name, s in schemes.items() if s["type"] == "http"}
    api_key = {name for name, s in schemes.items() if s["type"] == "apiKey"}
    problems = []
    for path, method, operation in operations(schema):
        names = {name for requirement in operation.get("security", []) for name in requirement}
        if not names or path == "/api/auth/refresh/":  # refresh renews a JWT: JWT only
            continue
        if not (names & bearer and names & api_key):
            problems.append(f"{method.upper()} {path}: {sorted(names)}")
    assert problems == []


def test_paginated_lists_are_arrays_with_paging_parameters(schema):
    """Paged lists are bare arrays, or the one array of the envelope where the engine wrapped
    the list (``data`` on its audit routes, ``proofs`` on its attestation list)."""
    paginated = 0
    for path, method, operation in operations(schema):
        parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if not {"limit", "offset", "page", "per_page"} <= parameters:
            continue  # the one pagination class documents all four
        paginated += 1
        ok = operation["responses"].get("200", {})
        body = ok.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in body:
            body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        if body.get("type") == "object":  # the engine's {"success": true, "data": [...]}
            properties = body.get("properties", {}).values()
            arrays = [field for field in properties if field.get("type") == "array"]
            body = arrays[0] if len(arrays) == 1 else {}
        assert body.get("type") == "array", f"{method.upper()} {path}"
    assert paginated > 0


def test_contract_paths_are_documented(schema):
    paths = set(schema["paths"])
    for expected in [
        "/api/auth/register/",
        "/api/auth/login/",
        "/users/me/profile/",
        "/users/me/credits/balance/",
        "/credit/users/current/",
        "/health/",
        "/api/api-keys/",
        "/api/api-keys/{key_id}/",
        "/api/notifications/",
    ]:
        assert expected in paths


@pytest.mark.django_db
def test_schema_is_served_to_anonymous_callers(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "DeFarm API"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_from_this_server(client, page):
    response = client.get(page)
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)

    assert response.status_code == 200
    assert "cdn" not in html.lower()
    assert assets, "the page links no asset"
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        if asset.endswith(".js"):
            assert client.get(asset).status_code == 200, asset


def test_redoc_script_draws_nothing_from_other_servers(client):
    response = client.get("/api/redoc/redoc.standalone.js")
    script = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "Redoc" in script
    assert "cdn.redoc.ly" not in script


def test_every_operation_has_a_summary(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(schema)
        if not operation.get("summary")
    ]
    assert missing == []
