"""Bodies the JSON decoder cannot take whole: answered 400 in the error shape, never 500."""

import pytest

from defarm.api.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

DEEP_ARRAY = "[" * 100_000


def test_deeply_nested_body_on_unauthenticated_login_is_a_400(api_client):
    response = api_client.post("/api/auth/login", DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert "nests deeper" in body["message"]


def test_deeply_nested_body_on_an_authenticated_route_is_a_400(auth_client):
    response = auth_client.post("/api/items", DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_a_body_one_level_past_the_limit_is_refused(auth_client):
    nested = "1"
    for _ in range(MAX_JSON_DEPTH):
        nested = f'{{"a": {nested}}}'
    body = f'{{"identifiers": [], "enriched_data": {nested}}}'
    response = auth_client.post("/api/items", body, content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper" in response.json()["message"]


def test_a_reasonably_nested_body_is_accepted(auth_client):
    nested = "1"
    for _ in range(10):
        nested = f'{{"a": {nested}}}'
    identifiers = '[{"key": "lot", "value": "LOT-NESTED"}]'
    body = f'{{"identifiers": {identifiers}, "enriched_data": {nested}}}'
    response = auth_client.post("/api/items", body, content_type="application/json")
    assert response.status_code in (200, 201), response.content[:300]
