"""What staff read: model names spelled as words, Unix-seconds columns as dates."""

from datetime import UTC, datetime

import pytest
from django.contrib import admin

from accounts.models import ApiKeyRateCounter
from items.models import DfidCounter
from tests.items.factories import canonical, item_for

pytestmark = pytest.mark.django_db


def test_counter_tables_have_readable_names():
    assert ApiKeyRateCounter._meta.verbose_name_plural == "API key rate counters"
    assert DfidCounter._meta.verbose_name_plural == "DFID counters"


def test_epoch_columns_show_as_dates_on_the_change_form(staff_browser, user):
    item = item_for(user, canonical())
    page = staff_browser.get(f"/admin/items/item/{item.pk}/change/").content.decode()
    created = datetime.fromtimestamp(item.created_at_ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert created in page
    assert f">{item.created_at_ts}<" not in page


def test_every_admin_shows_its_epoch_columns_as_dates():
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.get_readonly_fields(None, None):
            assert not (isinstance(name, str) and name.endswith("_ts")), (model, name)
