"""Malformed input is the client's error (4xx in the error shape), never a 500."""

import pytest

from tests.items.factories import canonical


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("limit={}", "limit"),
    ],
)
def test_invalid_page_parameters_are_refused(auth_client, query, parameter):
    response = auth_client.get(f"/api/notifications?{query}")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert parameter in response.json()["details"]


def test_page_parameters_in_range_are_served(auth_client):
    response = auth_client.get("/api/notifications?limit=5000&offset=0")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": [], "count": 0}


@pytest.mark.postgresql
def test_a_nul_character_postgresql_cannot_store_is_a_400(auth_client):
    body = {"identifiers": [canonical()], "enriched_data": {"note": "a\u0000b"}}

    response = auth_client.post("/api/items", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_a_nul_character_never_makes_a_server_error(auth_client):
    body = {"identifiers": [canonical()], "enriched_data": {"note": "a\u0000b"}}

    response = auth_client.post("/api/items", body, format="json")

    assert response.status_code in (200, 400)
    assert "error" in response.json() or "dfid" in response.json()


def test_malformed_json_is_a_validation_error(auth_client):
    response = auth_client.post("/api/items", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_a_json_body_that_is_not_an_object_is_refused(auth_client):
    response = auth_client.post("/api/circuits", "[1, 2, 3]", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_an_unsupported_content_type_is_a_415_in_the_error_shape(auth_client):
    response = auth_client.post("/api/circuits", "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


@pytest.mark.parametrize("data", ["", "bm90IGJhc2U2NA==", "%%%not-base64%%%"])
def test_receipt_data_of_any_shape_is_a_client_answer(auth_client, data):
    body = {"data": data, "identifiers": [{"key": "lot", "value": "L1"}]}
    response = auth_client.post("/api/receipts", body, format="json")

    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["error"] == "validation_error"


def test_unknown_paths_and_methods_answer_in_the_error_shape(auth_client):
    missing = auth_client.get("/api/no-such-thing")
    not_allowed = auth_client.put("/users/me/profile", {}, format="json")

    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    assert not_allowed.status_code == 405
    assert not_allowed.json()["error"] == "method_not_allowed"
