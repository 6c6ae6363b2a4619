import pytest
from django.conf import settings as django_settings

from defarm.middleware import HEALTH_PATHS


@pytest.mark.django_db
def test_healthz_reports_database(api_client, settings):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in {"postgresql", "sqlite"}


def test_unknown_api_path_answers_json_404(api_client):
    response = api_client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "not_found", "message": "Not found."}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health", "/health/db", "/healthz", "/healthz/"])
def test_health_answers_any_host_under_production_settings(client, settings, path):
    """Railway's checker sends Host: healthcheck.railway.app over plain HTTP; neither the host
    list nor the HTTPS redirect may turn a healthy service into a failed deploy."""
    settings.ALLOWED_HOSTS = ["defarm.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.DEBUG = False
    for host in ("healthcheck.railway.app", "10.0.0.7:8080", "not-listed.example"):
        response = client.get(path, HTTP_HOST=host)
        assert response.status_code == 200, (host, response.content)
    refused = client.get("/api/", HTTP_HOST="not-listed.example")
    assert refused.status_code == 400


def test_health_checks_are_served_before_any_other_middleware():
    assert {"/health", "/health/db", "/healthz"} <= HEALTH_PATHS
    assert django_settings.MIDDLEWARE[0] == "defarm.middleware.HealthCheckMiddleware"
