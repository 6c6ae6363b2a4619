"""``manage.py seed_demo``: the engine's demo accounts and a small supply chain, written once."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiKey, User
from adapters.models import StorageHistory
from circuits.models import (
    Circuit,
    CircuitCustomRole,
    CircuitItem,
    CircuitMember,
    CircuitOperation,
    CircuitPendingItem,
)
from items.models import Event, Item, ItemIdentifier

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = (
    User,
    Item,
    ItemIdentifier,
    Event,
    Circuit,
    CircuitMember,
    CircuitCustomRole,
    CircuitItem,
    CircuitPendingItem,
    CircuitOperation,
    StorageHistory,
    ApiKey,
)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seeding_twice_leaves_one_copy(capsys):
    call_command("seed_demo")
    first = _counts()
    output = capsys.readouterr().out
    assert "dfm_" in output, "the demo API key is shown once"
    call_command("seed_demo")
    assert _counts() == first
    second = capsys.readouterr().out
    assert "nothing to create" in second
    assert "dfm_" not in second


def test_the_engine_demo_accounts_log_in_with_the_documented_password(api_client):
    call_command("seed_demo")
    for username, user_id in (
        ("hen", "hen-admin-001"),
        ("pullet", "pullet-user-001"),
        ("cock", "cock-user-001"),
        ("basic_farmer", "basic-farmer-001"),
        ("pro_farmer", "pro-farmer-001"),
        ("enterprise_farmer", "enterprise-farmer-001"),
    ):
        response = api_client.post(
            "/api/auth/login", {"username": username, "password": "demo123"}, format="json"
        )
        assert response.status_code == 200, (username, response.json())
        assert response.json()["user_id"] == user_id
    assert User.objects.get(username="hen").is_admin


def test_the_supply_chain_has_something_of_everything():
    call_command("seed_demo")
    circuit = Circuit.objects.get(name="Cooperativa Vale do Teles Pires")
    assert circuit.permissions["require_approval_for_push"] is True
    assert set(circuit.members.values_list("role", flat=True)) == {
        "Owner",
        "Admin",
        "Member",
        "Veterinarian",
    }
    assert circuit.circuit_items.count() == 2
    assert circuit.pending_items.filter(status="Pending").count() == 1, "an approval waits"
    sisbov = ItemIdentifier.objects.filter(namespace="bovino", key="sisbov")
    assert sisbov.count() == 5
    event_types = set(Event.objects.values_list("event_type", flat=True))
    assert {"Vaccinated", "Weighed", "Moved"} <= event_types
    first = sisbov.get(value="BR510792500001").item
    assert first.storage_history.count() == 2
    key = ApiKey.objects.get(user__username="pullet")
    assert set(key.permissions) == {"read", "write"}


def test_production_settings_refuse_without_force(settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.filter(username="hen").exists()
    call_command("seed_demo", "--force")
    assert User.objects.filter(username="hen").exists()
