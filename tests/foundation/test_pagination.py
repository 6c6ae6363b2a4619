"""``?limit=&offset=`` pages: the envelope, the bounds, and a COUNT query only when the page
alone cannot tell the total."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def notifications(user):
    return NotificationFactory.create_batch(7, user=user)


def page(client, query: str) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/notifications?{query}")
    assert response.status_code == 200, response.json()
    return response.json(), [q["sql"] for q in queries]


def counted(sql: list[str]) -> bool:
    return any("COUNT(" in statement.upper() for statement in sql)


def test_a_full_page_counts_the_rest(auth_client, notifications):
    body, sql = page(auth_client, "limit=3")
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert "offset=3" in body["next"] and body["previous"] is None
    assert counted(sql)


@pytest.mark.parametrize(
    ("query", "rows"), [("limit=3&offset=6", 1), ("limit=50", 7), ("limit=10&offset=2", 5)]
)
def test_the_last_page_knows_the_count_without_counting(auth_client, notifications, query, rows):
    body, sql = page(auth_client, query)
    assert body["count"] == 7
    assert len(body["results"]) == rows
    assert body["next"] is None
    assert not counted(sql)


def test_an_empty_first_page_counts_zero_without_counting(auth_client):
    body, sql = page(auth_client, "")
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert not counted(sql)


def test_an_offset_past_the_end_still_gives_the_count(auth_client, notifications):
    body, sql = page(auth_client, "limit=3&offset=20")
    assert body["count"] == 7
    assert body["results"] == []
    assert counted(sql)


def test_an_exact_last_page_counts_and_has_no_next(auth_client, notifications):
    body, _ = page(auth_client, "limit=7")
    assert body["count"] == 7
    assert body["next"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "offset=-1", "offset=1.5"])
def test_bad_bounds_answer_400(auth_client, query):
    response = auth_client.get(f"/api/notifications?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
