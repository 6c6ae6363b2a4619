"""The admin's CSV import: the same service as POST /api/items/import, as the staff member."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from items.models import Item
from tests.items.factories import sisbov

pytestmark = pytest.mark.django_db

URL = "/admin/items/item/import-csv/"


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("herd.csv", content, content_type="text/csv")


def test_the_changelist_links_to_the_import(staff_browser):
    assert URL in staff_browser.get("/admin/items/item/").content.decode()


def test_staff_import_a_file_and_see_failed_rows_by_line(staff_browser, staff_user):
    content = f"canonical:bovino:sisbov,data:breed\n{sisbov()},Nelore\nBR1,Angus\n".encode()
    response = staff_browser.post(URL, {"file": upload(content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Imported: 2 rows" in page
    assert "<td>3</td><td>invalid</td>" in page and "sisbov=BR1" in page
    item = Item.objects.get()
    assert item.created_by == staff_user and item.enriched_data == {"breed": "Nelore"}
    assert item.events.get().metadata["source"] == "admin"


def test_a_bad_header_is_shown_and_writes_nothing(staff_browser):
    response = staff_browser.post(URL, {"file": upload(b"lot\nL-1\n")})
    assert response.status_code == 200
    assert "Line 1: column &#x27;lot&#x27; is not canonical" in response.content.decode()
    assert not Item.objects.exists()


def test_non_staff_cannot_reach_the_import(admin_client_for, user):
    response = admin_client_for(user).get(URL)
    assert response.status_code == 302  # to the admin login
