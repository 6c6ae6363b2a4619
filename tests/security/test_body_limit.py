"""Bodies larger than DEFARM_MAX_BODY_BYTES are refused before DRF parses them."""

import json

import pytest
from django.test import override_settings

LIMIT = 2048


def big_body(size: int) -> str:
    return json.dumps({"padding": "x" * size})


@pytest.fixture
def echo_urls(settings):
    settings.ROOT_URLCONF = "tests.security.echo_urls"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_json_body_over_the_limit_is_refused_with_413_in_the_error_shape(api_client, echo_urls):
    response = api_client.post("/api/echo", big_body(LIMIT), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert response.json()["details"] == {"max_bytes": LIMIT}
    assert "message" in response.json()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_json_body_under_the_limit_is_parsed(api_client, echo_urls):
    response = api_client.post("/api/echo", big_body(LIMIT - 100), content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"keys": ["padding"]}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_a_lying_content_length_is_refused(client, echo_urls):
    response = client.post(
        "/api/echo", "{}", content_type="application/json", CONTENT_LENGTH="not-a-number"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_default_limit_comes_from_defarm_max_body_bytes(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 10 * 1024 * 1024


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_oversized_body_to_a_real_endpoint_is_refused_before_authentication(api_client):
    response = api_client.post("/api/auth/login", big_body(LIMIT), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_oversized_item_body_is_refused_and_nothing_is_created(auth_client):
    body = {"identifiers": [{"key": "lot", "value": "L1"}], "enriched_data": {"x": "y" * LIMIT}}

    response = auth_client.post("/api/items", body, format="json")

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert int(auth_client.get("/api/items")["X-Total-Count"]) == 0
