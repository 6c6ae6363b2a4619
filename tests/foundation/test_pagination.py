"""Pages: a bare array, the total in ``X-Total-Count``, the neighbours in a ``Link`` header,
``limit``/``offset`` or ``page``/``per_page``, and a COUNT query only when the page alone cannot
tell the total."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.items.factories import item_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(user):
    return [item_for(user) for _ in range(7)]


def page(client, query: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/items?{query}")
    assert response.status_code == 200, response.json()
    return response, [q["sql"] for q in queries]


def counted(sql: list[str]) -> bool:
    return any("COUNT(" in statement.upper() for statement in sql)


def links(response) -> dict[str, str]:
    parsed = {}
    for part in response["Link"].split(", "):
        url, rel = part.split("; ")
        parsed[rel.removeprefix('rel="').removesuffix('"')] = url.strip("<>")
    return parsed


def test_a_full_page_counts_the_rest(auth_client, items):
    response, sql = page(auth_client, "limit=3")
    assert isinstance(response.json(), list) and len(response.json()) == 3
    assert response["X-Total-Count"] == "7"
    rels = links(response)
    assert "offset=3" in rels["next"] and "prev" not in rels
    assert "offset=6" in rels["last"] and "offset" not in rels["first"]
    assert counted(sql)


@pytest.mark.parametrize(
    ("query", "rows"), [("limit=3&offset=6", 1), ("limit=50", 7), ("limit=10&offset=2", 5)]
)
def test_the_last_page_knows_the_count_without_counting(auth_client, items, query, rows):
    response, sql = page(auth_client, query)
    assert response["X-Total-Count"] == "7"
    assert len(response.json()) == rows
    assert "next" not in links(response)
    assert not counted(sql)


def test_an_empty_first_page_counts_zero_without_counting(auth_client):
    response, sql = page(auth_client, "")
    assert response.json() == []
    assert response["X-Total-Count"] == "0"
    assert not counted(sql)


def test_an_offset_past_the_end_still_gives_the_count(auth_client, items):
    response, sql = page(auth_client, "limit=3&offset=20")
    assert response.json() == []
    assert response["X-Total-Count"] == "7"
    assert counted(sql)


def test_page_and_per_page_are_one_based_pages(auth_client, items):
    first, _ = page(auth_client, "page=1&per_page=3")
    third, _ = page(auth_client, "page=3&per_page=3")
    listed = [row["dfid"] for row in page(auth_client, "")[0].json()]
    assert [row["dfid"] for row in first.json()] == listed[:3]
    assert [row["dfid"] for row in third.json()] == listed[6:]
    rels = links(first)
    assert "page=2" in rels["next"] and "per_page=3" in rels["next"]
    assert "page=1" in links(third)["first"] and "page=2" in links(third)["prev"]


def test_default_page_is_100_rows_and_limit_caps_at_1000(auth_client, user):
    from defarm.api.pagination import LimitOffsetPagination

    assert LimitOffsetPagination.default_limit == 100
    assert LimitOffsetPagination.max_limit == 1000


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=x", "offset=-1", "offset=1.5", "page=0", "per_page=x"]
)
def test_bad_bounds_answer_400(auth_client, query):
    response = auth_client.get(f"/api/items?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["error"] == "validation_error"
