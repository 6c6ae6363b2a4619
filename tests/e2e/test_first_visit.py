"""A newcomer's first visit in a browser: the landing page, the admin login, the demo data."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_landing_page_then_the_admin_shows_the_seeded_items(page, staff):
    from tests.accounts.factories import DEFAULT_PASSWORD

    call_command("seed_demo")

    page.goto("/")
    expect(page).to_have_title("DeFarm: traceability for agricultural supply chains")
    expect(page.locator("h1")).to_have_text("DeFarm")
    expect(page.get_by_role("link", name="API documentation")).to_have_attribute(
        "href", "/api/docs/"
    )

    page.get_by_role("link", name="Admin console").click()
    page.fill("#id_username", staff.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content-main")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/items/item/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(7)  # two farms and five head of cattle
    expect(page.locator("#result_list")).to_contain_text("DFID-")
    table_width, room = page.evaluate(
        "[document.querySelector('#result_list').scrollWidth,"
        " document.querySelector('#changelist .results').clientWidth]"
    )
    assert table_width <= room, "the items list fits a 1280-pixel screen"

    page.fill("#searchbar", "BR510792500001")
    page.press("#searchbar", "Enter")
    expect(rows).to_have_count(1)
    rows.first.locator("th a").click()
    expect(page.locator("#content-main")).to_contain_text("BR510792500001")
    expect(page.locator("#content-main")).to_contain_text("Nelore")


@pytest.mark.parametrize("path", ["/", "/api/docs/", "/api/redoc/"])
def test_pages_ask_nothing_of_other_servers(page, live_server, path):
    """The landing page and both API references load every asset from here, also what their
    scripts ask for once they have rendered (Redoc's sidebar logo)."""
    elsewhere = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:", f"blob:{live_server.url}"))
            else elsewhere.append(request.url)
        ),
    )
    page.goto(path)
    page.wait_for_load_state("networkidle")
    if path == "/api/redoc/":
        expect(page.locator("img[alt='redocly logo']")).to_be_attached()  # the sidebar rendered
    assert elsewhere == []
