"""Secrets stay hidden in the admin: pages, CSV exports, and saving a form that showed them
masked keeps them."""

import json

import pytest
from django.urls import reverse

from circuits.models import Circuit

pytestmark = pytest.mark.django_db

PASSWORD_HASH = "pbkdf2_sha256$1000000$salt$c2VjcmV0LWhhc2g="


def export(client, changelist: str, objects) -> str:
    response = client.post(
        reverse(changelist),
        {"action": "export_as_csv", "_selected_action": [str(obj.pk) for obj in objects]},
    )
    return b"".join(response.streaming_content).decode()


def test_protected_circuit_password_hash_is_never_shown(staff_browser, user):
    circuit = Circuit.objects.create(
        owner=user,
        name="Protected",
        public_settings={"access_mode": "protected", "password_hash": PASSWORD_HASH},
    )
    page = staff_browser.get(reverse("admin:circuits_circuit_change", args=[circuit.pk]))
    assert PASSWORD_HASH not in page.content.decode()
    assert "protected" in page.content.decode()
    exported = export(staff_browser, "admin:circuits_circuit_changelist", [circuit])
    assert PASSWORD_HASH not in exported


def test_adapter_secrets_are_masked_and_kept_when_saved_unchanged(staff_browser, staff_user):
    from adapters.services import adapter_config_create

    config = adapter_config_create(
        admin=staff_user,
        name="Pinata",
        adapter_type="ipfs-ipfs",
        connection_details={"endpoint": "https://ipfs.example.com", "api_token": "tok-123456"},
    )
    change_url = reverse("admin:adapters_adapterconfig_change", args=[config.pk])
    page = staff_browser.get(change_url).content.decode()
    assert "tok-123456" not in page
    assert "https://ipfs.example.com" in page
    assert "tok-123456" not in export(
        staff_browser, "admin:adapters_adapterconfig_changelist", [config]
    )

    masked = page.split('name="connection_details"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
    shown = json.loads(masked.replace("&quot;", '"'))
    shown["endpoint"] = "https://ipfs2.example.com"
    response = staff_browser.post(
        change_url,
        {
            "name": "Pinata",
            "description": "",
            "adapter_type": "ipfs-ipfs",
            "connection_details": json.dumps(shown),
            "contract_configs": "null",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert config.connection_details == {
        "endpoint": "https://ipfs2.example.com",
        "api_token": "tok-123456",
    }


def test_api_key_pages_show_the_prefix_never_the_hash(staff_browser, user):
    from accounts.services.api_keys import api_key_create

    api_key, _ = api_key_create(user=user, name="Reader")
    changelist = staff_browser.get(reverse("admin:accounts_apikey_changelist")).content.decode()
    change = staff_browser.get(
        reverse("admin:accounts_apikey_change", args=[api_key.pk])
    ).content.decode()
    for page in (changelist, change):
        assert api_key.key_prefix in page
        assert api_key.key_hash not in page
