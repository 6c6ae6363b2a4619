"""The shared FilterSet: one form class per FilterSet class, fresh data and errors per request."""

import pytest

from items.filters import EventFilter, ItemFilter

pytestmark = pytest.mark.django_db


def test_each_filterset_class_builds_its_form_class_once():
    first = ItemFilter({"identifier_key": "lot"}).form
    second = ItemFilter({"identifier_key": "ear_tag"}).form
    assert type(first) is type(second)
    assert first is not second
    assert type(EventFilter({}).form) is not type(first)
    assert set(type(EventFilter({}).form).base_fields) == {"dfid", "event_type", "visibility"}


def test_a_warm_form_class_still_validates_each_request(auth_client):
    assert auth_client.get("/api/items?namespace=bovino").status_code == 200
    response = auth_client.get("/api/items?namespace=not-a-namespace")
    assert response.status_code == 400
    assert "namespace" in response.json()["details"]
    assert auth_client.get("/api/items?namespace=suino").status_code == 200


def test_an_invalid_choice_filter_lists_the_valid_values(auth_client):
    response = auth_client.get("/api/events?visibility=bogus")
    assert response.status_code == 400
    message = response.json()["details"]["visibility"][0]
    assert message.startswith("bogus is not a valid value; valid values: ")
    assert "Public" in message and "Private" in message


def test_an_invalid_api_key_permission_lists_the_valid_values(auth_client):
    response = auth_client.post(
        "/api/api-keys", {"name": "k", "permissions": ["writ"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"].endswith("valid values: read, write, admin.")
