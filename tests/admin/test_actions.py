"""Staff actions in the admin call the API's services and leave both records: an
``admin_actions`` row and an entry in Django's admin log."""

import csv
import hashlib
import io
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.models import ApiKey, CreditTransaction, Tier, TransactionType, User, UserStatus
from audit.models import AdminAction
from circuits.models import (
    CircuitJoinRequest,
    CircuitPendingItem,
    CircuitStatus,
    PendingItemStatus,
    WebhookConfig,
    WebhookDelivery,
)
from items.models import ConflictResolution, ConflictStatus
from tests.accounts.factories import UserFactory
from tests.admin.builders import make
from tests.admin.scenario import pending_push

pytestmark = pytest.mark.django_db


def run_action(client, changelist: str, action: str, objects, **data):
    return client.post(
        reverse(changelist),
        {"action": action, "_selected_action": [str(obj.pk) for obj in objects], **data},
    )


def staff_actions(staff_user, action_type: str, target_id) -> int:
    return AdminAction.objects.filter(
        admin=staff_user, action_type=action_type, target_id=str(target_id)
    ).count()


# --- Users ------------------------------------------------------------------------------------


def test_freeze_and_unfreeze_call_the_staff_service(staff_browser, staff_user, user):
    response = run_action(staff_browser, "admin:accounts_user_changelist", "freeze", [user])
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.status == UserStatus.SUSPENDED
    assert staff_actions(staff_user, "user_set_status", user.pk) == 1
    assert LogEntry.objects.filter(object_id=user.pk, change_message__contains="Frozen").exists()

    run_action(staff_browser, "admin:accounts_user_changelist", "unfreeze", [user])
    user.refresh_from_db()
    assert user.status == UserStatus.ACTIVE
    assert staff_actions(staff_user, "user_set_status", user.pk) == 2


def test_staff_cannot_freeze_themselves(staff_browser, staff_user):
    run_action(staff_browser, "admin:accounts_user_changelist", "freeze", [staff_user])
    staff_user.refresh_from_db()
    assert staff_user.status == UserStatus.ACTIVE


def test_set_tier_asks_the_tier_then_changes_it(staff_browser, staff_user, user):
    form_page = run_action(staff_browser, "admin:accounts_user_changelist", "set_tier", [user])
    assert form_page.status_code == 200
    assert b'name="tier"' in form_page.content

    run_action(
        staff_browser,
        "admin:accounts_user_changelist",
        "set_tier",
        [user],
        apply="1",
        tier=Tier.PROFESSIONAL,
    )
    user.refresh_from_db()
    assert user.tier == Tier.PROFESSIONAL
    assert staff_actions(staff_user, "user_set_tier", user.pk) == 1


def test_grant_credits_form_writes_a_ledger_row_shown_under_the_user(
    staff_browser, staff_user, user
):
    form_page = run_action(staff_browser, "admin:accounts_user_changelist", "grant_credits", [user])
    assert b'name="amount"' in form_page.content
    assert b'name="reason"' in form_page.content

    response = run_action(
        staff_browser,
        "admin:accounts_user_changelist",
        "grant_credits",
        [user],
        apply="1",
        amount="250",
        reason="Pilot programme",
    )
    assert response.status_code == 302
    row = CreditTransaction.objects.get(user=user, description="Pilot programme")
    assert row.transaction_type == TransactionType.GRANT
    assert row.amount == 250
    assert row.balance_after == 350  # 100 welcome credits + 250
    assert staff_actions(staff_user, "credits_adjust", user.pk) == 1

    page = staff_browser.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert "Pilot programme" in page.content.decode()


def test_grant_credits_form_refuses_zero(staff_browser, user):
    response = run_action(
        staff_browser,
        "admin:accounts_user_changelist",
        "grant_credits",
        [user],
        apply="1",
        amount="0",
        reason="nothing",
    )
    assert response.status_code == 200  # the form again
    assert not CreditTransaction.objects.filter(user=user, description="nothing").exists()


def test_user_created_from_the_admin_has_a_hashed_password_and_welcome_credits(
    staff_browser, staff_user
):
    response = staff_browser.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "maria",
            "email": "maria@example.com",
            "password1": "Campo-Verde-2025!",
            "password2": "Campo-Verde-2025!",
            "tier": Tier.BASIC,
            "status": UserStatus.ACTIVE,
        },
    )
    assert response.status_code == 302
    maria = User.objects.get(username="maria")
    assert maria.password != "Campo-Verde-2025!"
    assert maria.check_password("Campo-Verde-2025!")
    assert maria.credit_balance.credits == 100
    assert staff_actions(staff_user, "user_create", maria.pk) == 1


def test_weak_password_is_refused_on_the_add_form(staff_browser):
    response = staff_browser.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "weak",
            "email": "weak@example.com",
            "password1": "password",
            "password2": "password",
            "tier": Tier.BASIC,
            "status": UserStatus.ACTIVE,
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="weak").exists()


def test_user_change_form_never_shows_the_password_hash(staff_browser, user):
    page = staff_browser.get(reverse("admin:accounts_user_change", args=[user.pk])).content
    assert user.password.encode() not in page


def test_granting_staff_rights_goes_through_the_service(staff_browser, staff_user, user):
    response = staff_browser.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "username": user.username,
            "email": user.email,
            "workspace_id": user.workspace_id,
            "is_admin": "on",
            "available_adapters": "",
            **_empty_inline_forms(),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.is_admin
    assert staff_actions(staff_user, "user_set_admin", user.pk) == 1


def _empty_inline_forms() -> dict:
    data = {}
    for prefix in ("credit_transactions", "api_keys"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "0",
            }
        )
    return data


# --- API keys ---------------------------------------------------------------------------------


def test_api_key_created_in_the_admin_is_shown_once(staff_browser, staff_user, user):
    response = staff_browser.post(
        reverse("admin:accounts_apikey_add"),
        {"user": user.pk, "name": "Farm sync", "permissions": ["read", "write"]},
    )
    assert response.status_code == 302
    api_key = ApiKey.objects.get(user=user, name="Farm sync")
    assert response["Location"] == reverse("admin:accounts_apikey_change", args=[api_key.pk])
    assert api_key.permissions == ["read", "write"]

    first = staff_browser.get(response["Location"]).content.decode()
    plaintext = re.search(r'class="defarm-new-key">(dfm_[A-Za-z0-9]{32})<', first).group(1)
    assert hashlib.sha256(plaintext.encode()).hexdigest() == api_key.key_hash
    assert plaintext.startswith(api_key.key_prefix)
    assert api_key.key_hash not in first

    second = staff_browser.get(response["Location"]).content.decode()
    assert plaintext not in second
    assert staff_actions(staff_user, "api_key_create", user.pk) == 1


def test_admin_permission_is_refused_for_a_non_staff_owner(staff_browser, user):
    response = staff_browser.post(
        reverse("admin:accounts_apikey_add"),
        {"user": user.pk, "name": "Too strong", "permissions": ["admin"]},
    )
    assert response.status_code == 302  # back to the form with the service's message
    assert not ApiKey.objects.filter(name="Too strong").exists()


def test_revoke_api_key(staff_browser, staff_user, user):
    from accounts.services.api_keys import api_key_create

    api_key, _ = api_key_create(user=user, name="Old")
    run_action(staff_browser, "admin:accounts_apikey_changelist", "revoke", [api_key])
    api_key.refresh_from_db()
    assert not api_key.is_active
    assert staff_actions(staff_user, "api_key_revoke", user.pk) == 1


# --- Circuits ---------------------------------------------------------------------------------


def test_approve_pending_item(staff_browser, staff_user, user):
    push = pending_push(owner=user)
    response = run_action(
        staff_browser,
        "admin:circuits_circuitpendingitem_changelist",
        "approve",
        [push.pending_item],
    )
    assert response.status_code == 302
    push.pending_item.refresh_from_db()
    assert push.pending_item.status == PendingItemStatus.APPROVED
    assert push.circuit.circuit_items.filter(item=push.item).exists()
    assert staff_actions(staff_user, "pending_item_approve", push.pending_item.pk) == 1
    assert LogEntry.objects.filter(object_id=str(push.pending_item.pk)).exists()


def test_reject_pending_item_with_a_reason(staff_browser, staff_user, user):
    push = pending_push(owner=user)
    run_action(
        staff_browser,
        "admin:circuits_circuitpendingitem_changelist",
        "reject",
        [push.pending_item],
        apply="1",
        reason="Missing lot",
    )
    push.pending_item.refresh_from_db()
    assert push.pending_item.status == PendingItemStatus.REJECTED
    assert not push.circuit.circuit_items.exists()
    assert staff_actions(staff_user, "pending_item_reject", push.pending_item.pk) == 1


def test_circuit_change_form_lists_pending_items_and_links(staff_browser, user):
    push = pending_push(owner=user)
    page = staff_browser.get(
        reverse("admin:circuits_circuit_change", args=[push.circuit.pk])
    ).content.decode()
    assert push.item.dfid in page
    assert f"circuit__exact={push.circuit.pk}" in page


def test_deactivate_circuit(staff_browser, staff_user, user):
    from circuits.services import circuit_create

    circuit = circuit_create(owner=user, name="Grain")
    run_action(staff_browser, "admin:circuits_circuit_changelist", "deactivate", [circuit])
    circuit.refresh_from_db()
    assert circuit.status == CircuitStatus.INACTIVE
    assert staff_actions(staff_user, "circuit_deactivate", circuit.pk) == 1


def test_join_request_approve(staff_browser, staff_user, user, other_user):
    from circuits.services import circuit_create, join_request_create

    circuit = circuit_create(owner=user, name="Milk")
    join_request = join_request_create(circuit=circuit, requester=other_user)
    run_action(
        staff_browser,
        "admin:circuits_circuitjoinrequest_changelist",
        "approve",
        [join_request],
        apply="1",
        role="Viewer",
    )
    join_request.refresh_from_db()
    assert join_request.status == "Approved"
    assert circuit.members.get(member=other_user).role == "Viewer"
    assert staff_actions(staff_user, "join_request_approve", join_request.pk) == 1


def test_join_request_reject(staff_browser, staff_user, user, other_user):
    from circuits.services import circuit_create, join_request_create

    circuit = circuit_create(owner=user, name="Coffee")
    join_request = join_request_create(circuit=circuit, requester=other_user)
    run_action(
        staff_browser, "admin:circuits_circuitjoinrequest_changelist", "reject", [join_request]
    )
    join_request.refresh_from_db()
    assert join_request.status == "Rejected"
    assert not circuit.members.filter(member=other_user).exists()
    assert CircuitJoinRequest.objects.filter(pk=join_request.pk).exists()


def test_webhook_delivery_retry(staff_browser, staff_user):
    delivery = make(WebhookDelivery, status="Failed")
    run_action(staff_browser, "admin:circuits_webhookdelivery_changelist", "retry", [delivery])
    delivery.refresh_from_db()
    assert delivery.status == "Pending"
    assert staff_actions(staff_user, "webhook_delivery_retry", delivery.pk) == 1


def test_webhook_secrets_are_masked_and_kept(staff_browser, user):
    from circuits.services import circuit_create

    circuit = circuit_create(owner=user, name="Hooks")
    webhook = WebhookConfig.objects.create(
        circuit=circuit,
        name="ERP",
        url="https://erp.example.com/hook",
        trigger_events=["item_pushed"],
        auth_type="bearer",
        auth_config={"token": "s3cr3t-bearer-token"},
    )
    page = staff_browser.get(reverse("admin:circuits_webhookconfig_change", args=[webhook.pk]))
    assert b"s3cr3t-bearer-token" not in page.content

    export = run_action(
        staff_browser, "admin:circuits_webhookconfig_changelist", "export_as_csv", [webhook]
    )
    assert b"s3cr3t-bearer-token" not in b"".join(export.streaming_content)


def test_private_webhook_url_is_refused_on_the_form(staff_browser, user):
    from circuits.services import circuit_create

    circuit = circuit_create(owner=user, name="Private")
    response = staff_browser.post(
        reverse("admin:circuits_webhookconfig_add"),
        {
            "circuit": circuit.pk,
            "name": "Internal",
            "url": "http://127.0.0.1:8080/hook",
            "trigger_events": "item_pushed",
            "enabled": "on",
            "auth_type": "none",
            "auth_config": "null",
            "retry_config": "null",
        },
    )
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert "loopback" in str(response.context["adminform"].form.errors["url"])
    assert not WebhookConfig.objects.filter(name="Internal").exists()


# --- Items ------------------------------------------------------------------------------------


def test_conflict_resolved_keep_separate(staff_browser, staff_user):
    conflict = ConflictResolution.objects.create(
        identifier_key="sisbov",
        identifier_value="BR000000000001",
        conflicting_dfids=["DFID-20250101-000001-1", "DFID-20250101-000002-1"],
        resolution_strategy="ManualReview",
    )
    run_action(
        staff_browser,
        "admin:items_conflictresolution_changelist",
        "resolve",
        [conflict],
        apply="1",
        strategy="keep_separate",
    )
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.KEPT_SEPARATE
    assert AdminAction.objects.filter(admin=staff_user, target_id=str(conflict.pk)).count() == 1


def test_item_search_by_identifier_value_key_value_and_dfid(staff_browser, user):
    push = pending_push(owner=user, identifier_value="BR999888777666")
    other = pending_push(owner=UserFactory(), identifier_value="BR111222333444")
    changelist = reverse("admin:items_item_changelist")

    def found(term):
        page = staff_browser.get(changelist, {"q": term}).content.decode()
        return {push.item.dfid in page, other.item.dfid in page}

    assert found("BR999888777666") == {True, False}
    assert found("sisbov=BR999888777666") == {True, False}
    assert found("lot=BR999888777666") == {False}
    assert found(push.item.dfid) == {True, False}
    assert found(push.item.dfid[:13]) == {True}


def test_item_change_form_links_to_its_circuits_and_storage(staff_browser, user):
    push = pending_push(owner=user)
    page = staff_browser.get(
        reverse("admin:items_item_change", args=[push.item.dfid])
    ).content.decode()
    assert "BR123456789012" in page  # identifiers inline
    assert f"/admin/circuits/circuititem/?item__exact={push.item.dfid}" in page
    assert f"/admin/adapters/storagehistory/?item__exact={push.item.dfid}" in page
    filtered = staff_browser.get(
        reverse("admin:circuits_circuitpendingitem_changelist"), {"item__exact": push.item.dfid}
    )
    assert filtered.status_code == 200
    assert str(push.circuit.name) in filtered.content.decode()


# --- CSV export ---------------------------------------------------------------------------------


def test_csv_export_of_selected_users_leaves_out_password_hashes(staff_browser, user, other_user):
    response = run_action(
        staff_browser, "admin:accounts_user_changelist", "export_as_csv", [user, other_user]
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["username"] for row in rows} == {user.username, other_user.username}
    assert "password" not in rows[0]


def test_csv_export_across_the_filtered_list(staff_browser, user):
    from accounts.services.api_keys import api_key_create

    api_key_create(user=user, name="One")
    api_key_create(user=user, name="Two")
    response = staff_browser.post(
        reverse("admin:accounts_apikey_changelist") + "?is_active__exact=1",
        {"action": "export_as_csv", "select_across": "1", "_selected_action": ["x"]},
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["name"] for row in rows) == ["One", "Two"]
    assert "key_hash" not in rows[0]


def test_pending_item_changelist_filters_by_status(staff_browser, user):
    push = pending_push(owner=user)
    page = staff_browser.get(
        reverse("admin:circuits_circuitpendingitem_changelist"), {"status__exact": "Approved"}
    )
    assert push.item.dfid not in page.content.decode()
    assert CircuitPendingItem.objects.count() == 1


def test_user_change_form_saves_as_a_browser_posts_it(staff_browser, staff_user, user):
    """The read-only ledger and key inlines ride along in the post without changing anything."""
    from accounts.services.api_keys import api_key_create
    from tests.admin.forms import form_fields

    api_key_create(user=user, name="Sync")
    change_url = reverse("admin:accounts_user_change", args=[user.pk])
    data = form_fields(staff_browser.get(change_url).content.decode(), "user_form")
    assert data["credit_transactions-INITIAL_FORMS"] == ["1"]
    data["email"] = ["renamed@example.com"]
    response = staff_browser.post(change_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.email == "renamed@example.com"
    assert user.credit_transactions.count() == 1
    assert user.api_keys.get().name == "Sync"
    assert staff_actions(staff_user, "user_update", user.pk) == 1


def test_member_added_in_the_admin_gets_the_role_permissions(staff_browser, staff_user, user):
    from circuits.models import CircuitMember
    from circuits.services import circuit_create

    circuit = circuit_create(owner=user, name="Soy")
    newcomer = UserFactory()
    response = staff_browser.post(
        reverse("admin:circuits_circuitmember_add"),
        {"circuit": circuit.pk, "member": newcomer.pk, "role": "Member"},
    )
    assert response.status_code == 302
    membership = CircuitMember.objects.get(circuit=circuit, member=newcomer)
    assert sorted(membership.permissions) == ["Pull", "Push"]
    assert staff_actions(staff_user, "member_add", circuit.pk) == 1


def test_custom_role_in_use_is_not_deleted(staff_browser, user):
    from circuits.models import CircuitCustomRole
    from circuits.services import circuit_create, member_add, role_create

    circuit = circuit_create(owner=user, name="Cotton")
    role = role_create(circuit=circuit, actor=user, role_name="Auditor", permissions=["Pull"])
    member_add(circuit=circuit, actor=user, member=UserFactory(), role="Auditor")
    response = staff_browser.post(
        reverse("admin:circuits_circuitcustomrole_delete", args=[role.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert CircuitCustomRole.objects.filter(pk=role.pk).exists()
