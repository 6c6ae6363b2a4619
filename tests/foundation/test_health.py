import pytest


@pytest.mark.django_db
def test_healthz_reports_database(api_client, settings):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in {"postgresql", "sqlite-memory"}


def test_unknown_api_path_answers_json_404(api_client):
    response = api_client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "not_found", "message": "Not found."}
