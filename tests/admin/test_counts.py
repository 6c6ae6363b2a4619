"""Big tables are never counted row by row in the admin."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from defarm.admin_site import EstimatedCountPaginator
from items.models import Item
from tests.admin.builders import make_many

pytestmark = pytest.mark.django_db

BIG_CHANGELISTS = [
    "admin:items_item_changelist",
    "admin:items_itemidentifier_changelist",
    "admin:items_event_changelist",
    "admin:accounts_apikeyusage_changelist",
    "admin:accounts_credittransaction_changelist",
    "admin:audit_log_changelist",
]


def count_queries(captured) -> list[str]:
    return [query["sql"] for query in captured if re.search(r"COUNT\(", query["sql"], re.I)]


@pytest.mark.parametrize("changelist", BIG_CHANGELISTS)
def test_big_changelists_count_at_most_the_cap(changelist, staff_browser):
    with CaptureQueriesContext(connection) as captured:
        response = staff_browser.get(reverse(changelist), {"q": "x"})
    assert response.status_code == 200
    for sql in count_queries(captured):
        assert f"LIMIT {EstimatedCountPaginator.COUNT_CAP + 1}" in sql, sql


def test_count_is_capped_and_marked_estimated(monkeypatch, staff_browser):
    monkeypatch.setattr(EstimatedCountPaginator, "COUNT_CAP", 5)
    make_many(Item, 8)
    page = staff_browser.get(reverse("admin:items_item_changelist"), {"status": "Active"})
    assert "about</span> 6 items" in page.content.decode()


@pytest.mark.postgresql
def test_unfiltered_list_uses_the_planner_estimate_on_postgresql(monkeypatch, staff_browser):
    monkeypatch.setattr(EstimatedCountPaginator, "COUNT_CAP", 5)
    make_many(Item, 12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE items")
    with CaptureQueriesContext(connection) as captured:
        page = staff_browser.get(reverse("admin:items_item_changelist"))
    assert not count_queries(captured)
    assert any("reltuples" in query["sql"] for query in captured)
    assert "about</span> 12 items" in page.content.decode()
