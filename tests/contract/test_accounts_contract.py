"""The earlier engine's contract for health, auth, users and credits, API keys, notifications
and the staff routes: each test sends what an engine client sends and reads what it reads
(CONTRACT.md sections 8.1-8.4, 8.15 and 8.24)."""

from datetime import datetime

import pytest


def is_rfc3339(value: str) -> bool:
    if not isinstance(value, str):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value


# --- 8.1 health and root --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/health", "/health/"])
def test_public_service_routes_answer_without_credentials(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_root_describes_the_service(api_client):
    body = api_client.get("/").json()
    assert body["name"] == "DeFarm Traceability API"
    assert isinstance(body["version"], str)
    assert isinstance(body["description"], str)
    assert len(body["features"]) == 10
    assert all(isinstance(feature, str) for feature in body["features"])


def test_health_is_the_engines_liveness_answer(api_client):
    body = api_client.get("/health").json()
    assert body["status"] == "healthy"
    assert body["uptime"] == "System operational"
    assert is_rfc3339(body["timestamp"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/db", "/health/db/"])
def test_health_db_reports_a_connected_database(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    database = response.json()["database"]
    assert database["status"] == "connected"
    assert isinstance(database["message"], str)
    assert is_rfc3339(database["timestamp"])


@pytest.mark.django_db
def test_health_db_is_503_in_the_same_shape_when_the_database_does_not_answer(
    api_client, monkeypatch
):
    from defarm import health

    monkeypatch.setattr(health, "_database_answers", lambda: False)
    response = api_client.get("/health/db")
    assert response.status_code == 503
    assert response.json()["database"]["status"] != "connected"
