"""Every DeFarm model's admin pages open for staff, stay closed to everyone else, and their
changelists run the same number of queries for 3 rows as for 30."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from defarm.admin_site import DEFARM_APP_LABELS
from tests.admin.builders import make, make_many

pytestmark = pytest.mark.django_db

DEFARM_MODELS = [
    model for label in DEFARM_APP_LABELS for model in apps.get_app_config(label).get_models()
]
MODEL_IDS = [f"{model._meta.app_label}.{model.__name__}" for model in DEFARM_MODELS]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", DEFARM_MODELS, ids=MODEL_IDS)
def test_every_model_is_registered(model):
    assert admin.site.is_registered(model)


@pytest.mark.parametrize("model", DEFARM_MODELS, ids=MODEL_IDS)
def test_staff_open_changelist_search_add_and_change(model, staff_browser, rf, staff_user):
    row = make(model)
    model_admin = admin.site._registry[model]

    assert staff_browser.get(url(model, "changelist")).status_code == 200
    assert staff_browser.get(url(model, "changelist"), {"q": "anything"}).status_code == 200
    assert staff_browser.get(url(model, "change", row.pk)).status_code == 200

    request = rf.get("/")
    request.user = staff_user
    add_status = staff_browser.get(url(model, "add")).status_code
    assert add_status == (200 if model_admin.has_add_permission(request) else 403)


def test_index_shows_every_app_with_its_description(staff_browser):
    response = staff_browser.get(reverse("admin:index"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>DeFarm administration | DeFarm</title>" in page
    for label in DEFARM_APP_LABELS:
        assert apps.get_app_config(label).verbose_name in page
    assert "Where data is stored" in page


def test_non_staff_user_is_refused(user, admin_client_for):
    client = admin_client_for(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert client.get(reverse("admin:items_item_changelist")).status_code == 302


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302


def test_non_staff_cannot_log_in(user, client):
    from tests.accounts.factories import DEFAULT_PASSWORD

    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200  # the form again, with an error
    assert client.get(reverse("admin:index")).status_code == 302


def test_staff_log_in_with_their_password(staff_user, client):
    from tests.accounts.factories import DEFAULT_PASSWORD

    response = client.post(
        reverse("admin:login"), {"username": staff_user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def _changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", DEFARM_MODELS, ids=MODEL_IDS)
def test_changelist_queries_do_not_grow_with_rows(model, staff_browser):
    make_many(model, 3)
    staff_browser.get(url(model, "changelist"))  # warm the content-type cache
    with_three = _changelist_queries(staff_browser, model)
    make_many(model, 27)
    with_thirty = _changelist_queries(staff_browser, model)
    assert with_thirty == with_three


@pytest.mark.parametrize("model", DEFARM_MODELS, ids=MODEL_IDS)
def test_change_form_queries_do_not_grow_with_related_rows(model, staff_browser):
    """Inlines of big relations show a bounded, select_related page."""
    row = make(model)
    inline_models = [inline.model for inline in admin.site._registry[model].inlines]
    fks = {
        inline_model: next(
            field.name
            for field in inline_model._meta.concrete_fields
            if field.is_relation and field.related_model is model
        )
        for inline_model in inline_models
    }

    def add_related(count):
        for inline_model, fk in fks.items():
            for _ in range(count):
                make(inline_model, **{fk: row})

    add_related(3)
    staff_browser.get(url(model, "change", row.pk))  # warm the content-type cache
    with CaptureQueriesContext(connection) as few:
        assert staff_browser.get(url(model, "change", row.pk)).status_code == 200
    add_related(27)
    with CaptureQueriesContext(connection) as many:
        assert staff_browser.get(url(model, "change", row.pk)).status_code == 200
    assert len(many) == len(few), [query["sql"][:150] for query in many.captured_queries]
