"""Staff work in the admin console through a real browser."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import ApiKey, CreditTransaction
from circuits.models import PendingItemStatus
from defarm.admin_site import DEFARM_APP_LABELS
from tests.accounts.factories import UserFactory
from tests.admin.scenario import pending_push

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run_action(page, action: str, row_value: str) -> None:
    page.check(f"input.action-select[value='{row_value}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_index_shows_the_apps_and_every_changelist_opens(staff_page):
    for label in DEFARM_APP_LABELS:
        expect(staff_page.locator(f"#content-main .app-{label}")).to_be_visible()
    expect(staff_page.locator("#content-main")).to_contain_text("Where data is stored")

    for model in admin.site._registry:
        if model._meta.app_label not in DEFARM_APP_LABELS:
            continue
        opts = model._meta
        response = staff_page.goto(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status == 200, opts.label
        expect(staff_page.locator("#changelist")).to_be_visible()


def test_non_staff_cannot_enter(page, transactional_db):
    from tests.accounts.factories import DEFAULT_PASSWORD

    member = UserFactory(username="joao.member")
    page.goto("/admin/login/")
    page.fill("#id_username", member.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator(".errornote")).to_be_visible()
    page.goto("/admin/accounts/user/")
    expect(page.locator("#id_username")).to_be_visible()  # back on the login form


def test_search_an_item_by_identifier_value(staff_page):
    owner = UserFactory()
    wanted = pending_push(owner=owner, identifier_value="BR555444333222")
    other = pending_push(owner=UserFactory(), identifier_value="BR111000999888")

    staff_page.goto("/admin/items/item/")
    staff_page.fill("#searchbar", "BR555444333222")
    staff_page.press("#searchbar", "Enter")
    results = staff_page.locator("#result_list")
    expect(results).to_contain_text(wanted.item.dfid)
    expect(results).not_to_contain_text(other.item.dfid)

    staff_page.click(f"#result_list a:text('{wanted.item.dfid}')")
    expect(staff_page.locator("#content-main")).to_contain_text("BR555444333222")
    staff_page.click("#content-main a[href*='/circuititem/?item__exact=']")
    expect(staff_page.locator("#content h1")).to_contain_text("circuit item")
    expect(staff_page.locator("#changelist")).to_be_visible()


def test_approve_a_pending_item_through_the_action(staff_page):
    push = pending_push(owner=UserFactory())
    staff_page.goto("/admin/circuits/circuitpendingitem/")
    run_action(staff_page, "approve", str(push.pending_item.pk))
    expect(staff_page.locator(".messagelist")).to_contain_text("updated")
    push.pending_item.refresh_from_db()
    assert push.pending_item.status == PendingItemStatus.APPROVED
    expect(staff_page.locator("#result_list")).to_contain_text("Approved")


def test_grant_credits_through_the_form_and_see_the_ledger_row(staff_page):
    farmer = UserFactory(username="farmer.luiza")
    staff_page.goto("/admin/accounts/user/")
    run_action(staff_page, "grant_credits", farmer.pk)
    staff_page.fill("#id_amount", "75")
    staff_page.fill("#id_reason", "Harvest bonus")
    staff_page.click("input[name=apply]")
    expect(staff_page.locator(".messagelist")).to_contain_text("updated")

    staff_page.goto(f"/admin/accounts/user/{farmer.pk}/change/")
    ledger = staff_page.locator("#credit_transactions-group")
    expect(ledger).to_contain_text("Harvest bonus")
    expect(ledger).to_contain_text("175")
    assert CreditTransaction.objects.filter(user=farmer, amount=75).count() == 1


def test_create_an_api_key_and_see_it_once(staff_page):
    owner = UserFactory(username="coop.norte")
    staff_page.goto("/admin/accounts/apikey/add/")
    staff_page.click(".field-user .select2-selection")
    staff_page.fill(".select2-search__field", "coop.norte")
    staff_page.click(".select2-results__option:text('coop.norte')")
    staff_page.fill("#id_name", "ERP sync")
    staff_page.check("input[name=permissions][value=write]")
    staff_page.click("input[name=_save]")

    shown = staff_page.locator("#new-api-key .defarm-new-key")
    expect(shown).to_have_text(re.compile(r"^dfm_[A-Za-z0-9]{32}$"))
    plaintext = shown.inner_text()
    api_key = ApiKey.objects.get(user=owner, name="ERP sync")
    assert plaintext.startswith(api_key.key_prefix)
    assert api_key.permissions == ["read", "write"]

    staff_page.reload()
    expect(staff_page.locator("#content-main")).to_contain_text(api_key.key_prefix)
    expect(staff_page.locator("#new-api-key")).to_have_count(0)
    assert plaintext not in staff_page.content()
