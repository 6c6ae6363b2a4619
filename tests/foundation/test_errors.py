from unittest import mock

import pytest
from django.db import OperationalError


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not_answer(api_client):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("connection refused"),
    ):
        response = api_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_database_outage_outside_drf_views_answers_json_503(client):
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=OperationalError("connection refused"),
    ):
        client.cookies["sessionid"] = "x" * 32
        response = client.get("/admin/")
    assert response.status_code == 503
    assert response.json()["error"] == "database_unavailable"
    assert response["Retry-After"] == "5"


def test_method_not_allowed_has_the_error_shape(api_client):
    response = api_client.delete("/healthz")
    assert response.status_code == 405
