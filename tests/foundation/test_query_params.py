"""Lists refuse unknown query parameters (a 400 naming the parameter and the known ones) instead
of answering every row as if the filter had matched; the parameters they document, the paging
and ordering parameters and those the earlier engine's clients sent still work."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.items.factories import canonical, item_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["identifier=BR123", "search=BR123", "identifer_key=ear"])
def test_an_unknown_parameter_is_a_400_naming_it_and_the_known_ones(auth_client, user, query):
    item_for(user, canonical())
    response = auth_client.get(f"/api/items?{query}")
    assert response.status_code == 400
    body = response.json()
    name = query.split("=")[0]
    assert body["error"] == "validation_error"
    assert name in body["details"]
    assert body["message"].startswith(f"{name}: Unknown query parameter.")
    for known in ("identifier_key", "identifier_value", "limit", "offset", "page", "per_page"):
        assert known in body["message"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=5&offset=0",
        "page=1&per_page=5",
        "identifier_key=ear_tag&identifier_value=1",
        "status=active",
        "format=json",
    ],
)
def test_known_parameters_still_filter(auth_client, user, query):
    item_for(user, canonical())
    response = auth_client.get(f"/api/items?{query}")
    assert response.status_code == 200, response.json()


def test_the_engine_clients_parameters_are_known(auth_client):
    """``GET /api/circuits?user_id=...`` was how the engine's clients asked before tokens."""
    response = auth_client.get(f"/api/circuits?user_id={auth_client.user.pk}&include_public=true")
    assert response.status_code == 200, response.json()


def _paginated_list_paths(schema):
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if not operation or "{" in path:
            continue
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if {"limit", "offset"} <= names:
            yield path, names


def test_every_paginated_list_knows_what_its_documentation_declares(staff_client):
    """The refusal and the OpenAPI documentation agree: every documented query parameter of a
    list is among the known ones the 400 names."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    checked = 0
    for path, documented in _paginated_list_paths(schema):
        response = staff_client.get(f"{path}?surely_not_a_parameter=1")
        if response.status_code != 400:
            continue  # a list staff may not read (403) says nothing about its parameters
        checked += 1
        message = response.json()["message"]
        assert "surely_not_a_parameter: Unknown query parameter." in message, path
        takes = set(message.split("This list takes: ", 1)[1].rstrip(".").split(", "))
        assert documented <= takes, (path, documented - takes)
    assert checked >= 10
