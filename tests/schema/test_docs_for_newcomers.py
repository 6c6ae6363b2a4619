"""``/api/docs/`` for a newcomer: sections in reading order (authentication first), each
described, and request examples that the API accepts as they are."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _example(schema, path, method, name):
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return content["examples"][name]["value"]


def test_sections_come_in_reading_order_authentication_first(schema):
    names = [tag["name"] for tag in schema["tags"]]
    assert names[0] == "auth"
    assert names.index("items") < names.index("circuits")
    used = {
        tag
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for tag in operation.get("tags", [])
    }
    assert used <= set(names)
    assert "api" not in names
    assert all(tag.get("description") for tag in schema["tags"] if tag["name"] in {"auth", "items"})


def test_the_examples_work_as_written(schema, api_client, user):
    register = _example(schema, "/api/auth/register/", "post", "farmer")
    assert api_client.post("/api/auth/register", register, format="json").status_code == 200
    login = _example(schema, "/api/auth/login/", "post", "by_username")
    answer = api_client.post("/api/auth/login", login, format="json")
    assert answer.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")

    for name in ("steer", "lot"):
        body = _example(schema, "/api/items/", "post", name)
        created = api_client.post("/api/items", body, format="json")
        assert created.status_code in {200, 201}, created.json()

    for name in ("integration", "read_only"):
        body = _example(schema, "/api/api-keys/", "post", name)
        response = api_client.post("/api/api-keys", body, format="json")
        assert response.status_code == 200, response.json()
