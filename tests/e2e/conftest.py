"""Browser tests of the admin console: Playwright driving the system's Chromium against
pytest-django's live server. Collected only with DEFARM_E2E=1 (``.ci/run`` has a step)."""

import os
import re
from pathlib import Path

import pytest

# The Playwright sync API runs an event loop in this thread; Django's ORM calls made by the
# tests themselves are still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

E2E_ENABLED = os.environ.get("DEFARM_E2E", "").lower() in {"1", "true", "yes"}
if not E2E_ENABLED:
    collect_ignore_glob = ["test_*.py"]

CHROMIUM = os.environ.get("DEFARM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def staff(transactional_db):
    from tests.accounts.factories import StaffFactory

    return StaffFactory(username="ana.staff")


@pytest.fixture
def staff_page(page, staff):
    """A browser page logged in to the admin as staff, through the login form."""
    from tests.accounts.factories import DEFAULT_PASSWORD

    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content-main")
    assert page.title() == "DeFarm administration | DeFarm"
    return page
