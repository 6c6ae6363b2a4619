import pytest

from accounts.models import Tier
from circuits.services import circuit_set_public_settings
from items.services import event_record
from tests.accounts.factories import UserFactory
from tests.circuits.factories import CircuitFactory, circuit_url, item_for, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


# --- adapter ------------------------------------------------------------------------------------


def test_adapter_get_and_put(auth_client, user, circuit):
    response = auth_client.get(circuit_url(circuit, "/adapter"))
    assert response.status_code == 200
    assert response.json()["adapter_type"] == "none"
    response = auth_client.put(
        circuit_url(circuit, "/adapter"),
        {"adapter_type": "ipfs-ipfs", "sponsor_adapter_access": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["adapter_type"] == "ipfs-ipfs"
    assert response.json()["sponsor_adapter_access"] is True
    assert response.json()["configured_by"] == user.pk
    circuit.refresh_from_db()
    assert circuit.adapter_config["adapter_type"] == "ipfs-ipfs"


def test_adapter_beyond_the_tier_is_refused_naming_tier_and_adapter(auth_client, circuit):
    response = auth_client.put(
        circuit_url(circuit, "/adapter"), {"adapter_type": "stellar_testnet-ipfs"}, format="json"
    )
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "tier_limit_exceeded"
    assert "stellar_testnet-ipfs" in body["message"]
    assert body["details"]["tier"] == "Basic"
    circuit.refresh_from_db()
    assert circuit.adapter_config is None


def test_professional_owner_may_pick_stellar_testnet():
    owner = UserFactory(tier=Tier.PROFESSIONAL)
    circuit = CircuitFactory(owner=owner)
    response = client_for(owner).put(
        circuit_url(circuit, "/adapter"), {"adapter_type": "stellar_testnet-ipfs"}, format="json"
    )
    assert response.status_code == 200


def test_unknown_adapter_type_is_400(auth_client, circuit):
    response = auth_client.put(
        circuit_url(circuit, "/adapter"), {"adapter_type": "floppy"}, format="json"
    )
    assert response.status_code == 400


def test_adapter_put_needs_manage_permissions(circuit):
    admin = member_of(circuit, "Admin")
    assert client_for(admin).get(circuit_url(circuit, "/adapter")).status_code == 200
    response = client_for(admin).put(
        circuit_url(circuit, "/adapter"), {"adapter_type": "local"}, format="json"
    )
    assert response.status_code == 403


# --- public settings and the public view --------------------------------------------------------


def publish(circuit, user, **settings):
    circuit_set_public_settings(circuit=circuit, actor=user, public_settings=settings)


def test_public_settings_password_is_hashed_and_never_returned(auth_client, circuit):
    response = auth_client.put(
        circuit_url(circuit, "/public-settings"),
        {
            "public_settings": {
                "access_mode": "protected",
                "access_password": "open sesame",
                "public_name": "Valley",
            }
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert "open sesame" not in response.content.decode()
    assert "password_hash" not in response.content.decode()
    assert response.json()["data"]["public_settings"]["has_password"] is True
    circuit.refresh_from_db()
    stored = circuit.public_settings["password_hash"]
    assert stored and "open sesame" not in stored
    detail = auth_client.get(circuit_url(circuit)).content.decode()
    assert "password_hash" not in detail
    assert stored not in detail
    # Saved again without a password: the hash is kept.
    auth_client.put(
        circuit_url(circuit, "/public-settings"),
        {"public_settings": {"access_mode": "protected", "public_name": "Valley 2"}},
        format="json",
    )
    circuit.refresh_from_db()
    assert circuit.public_settings["password_hash"] == stored


def test_public_settings_validation(auth_client, user, circuit):
    path = circuit_url(circuit, "/public-settings")
    for settings in ({"access_mode": "secret"}, {"access_mode": "protected"}):
        response = auth_client.put(path, {"public_settings": settings}, format="json")
        assert response.status_code == 400
    response = auth_client.put(path, {"access_mode": "public"}, format="json")
    assert response.status_code == 400  # the settings go inside "public_settings"
    response = auth_client.put(
        path, {"public_settings": {"access_mode": "scheduled"}}, format="json"
    )
    assert response.status_code == 400
    outsider_item = item_for(user)
    response = auth_client.put(
        path,
        {"public_settings": {"access_mode": "public", "published_items": [outsider_item.dfid]}},
        format="json",
    )
    assert response.status_code == 400
    assert outsider_item.dfid in response.json()["message"]


def test_public_view_shows_branding_and_public_events_of_published_items(
    auth_client, api_client, user, circuit
):
    published = item_for(user, enriched_data={"breed": "Nelore"})
    hidden = item_for(user)
    for item in (published, hidden):
        auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    event_record(item=published, event_type="Updated", user=user, metadata={"note": "vaccinated"})
    event_record(
        item=published,
        event_type="Updated",
        user=user,
        metadata={"note": "private"},
        visibility="Private",
    )
    response = auth_client.put(
        circuit_url(circuit, "/public-settings"),
        {
            "public_settings": {
                "access_mode": "public",
                "public_name": "Valley beef",
                "primary_color": "#006400",
                "published_items": [published.dfid],
            }
        },
        format="json",
    )
    assert response.status_code == 200, response.content

    response = api_client.get(circuit_url(circuit, "/public"))
    assert response.status_code == 200, response.content
    body = response.json()["data"]
    assert body["public_name"] == "Valley beef"
    assert body["primary_color"] == "#006400"
    assert [item["dfid"] for item in body["published_items_with_events"]] == [published.dfid]
    events = body["published_items_with_events"][0]["events"]
    assert events and all(e["event_type"] != "PushedToCircuit" for e in events)  # CircuitOnly
    assert {"note": "vaccinated"} in [e["metadata"] for e in events]
    assert {"note": "private"} not in [e["metadata"] for e in events]


def test_public_view_is_404_when_not_public(api_client, user, circuit):
    assert api_client.get(circuit_url(circuit, "/public")).status_code == 404
    assert api_client.get("/api/circuits/nope/public").status_code == 404
    publish(circuit, user, access_mode="public", enabled=False)
    response = api_client.get(circuit_url(circuit, "/public"))
    assert response.status_code == 404
    assert response.json()["error"] == "circuit_not_public"


def test_public_view_scheduled(api_client, user, circuit):
    item = item_for(user)
    client_for(user).post(circuit_url(circuit, f"/push/{item.dfid}"))
    publish(
        circuit,
        user,
        access_mode="scheduled",
        public_from="2999-01-01T00:00:00Z",
        published_items=[item.dfid],
    )
    early = api_client.get(circuit_url(circuit, "/public"))
    assert early.status_code == 200
    assert early.json()["data"]["is_currently_accessible"] is False
    assert early.json()["data"]["published_items"] == []
    publish(
        circuit,
        user,
        access_mode="scheduled",
        public_from="2020-01-01T00:00:00Z",
        published_items=[item.dfid],
    )
    open_now = api_client.get(circuit_url(circuit, "/public")).json()["data"]
    assert open_now["is_currently_accessible"] is True
    assert open_now["published_items"] == [item.dfid]


def test_public_view_protected(api_client, user, circuit):
    publish(circuit, user, access_mode="protected", password="open sesame")
    path = circuit_url(circuit, "/public")
    missing = api_client.get(path)
    assert missing.status_code == 200
    assert missing.json()["data"]["requires_password"] is True
    assert missing.json()["data"]["is_currently_accessible"] is False
    wrong = api_client.get(path, HTTP_X_CIRCUIT_PASSWORD="guess")
    assert wrong.status_code == 403
    assert wrong.json()["error"] == "invalid_circuit_password"
    right = api_client.get(path, HTTP_X_CIRCUIT_PASSWORD="open sesame")
    assert right.json()["data"]["is_currently_accessible"] is True
    assert api_client.get(path, {"password": "open sesame"}).status_code == 200


def test_public_view_ignores_a_bad_token(user, circuit):
    publish(circuit, user, access_mode="public")
    client = client_for(user)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get(circuit_url(circuit, "/public")).status_code == 200


def test_public_settings_need_manage_permissions(circuit):
    admin = member_of(circuit, "Admin")
    response = client_for(admin).put(
        circuit_url(circuit, "/public-settings"),
        {"public_settings": {"access_mode": "public"}},
        format="json",
    )
    assert response.status_code == 403


def test_wrong_passwords_are_limited(api_client, user, circuit):
    from django.core.cache import cache

    cache.clear()
    publish(circuit, user, access_mode="protected", password="open sesame")
    path = circuit_url(circuit, "/public")
    for _ in range(10):
        assert api_client.get(path, HTTP_X_CIRCUIT_PASSWORD="guess").status_code == 403
    response = api_client.get(path, HTTP_X_CIRCUIT_PASSWORD="open sesame")
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limit_exceeded"
    cache.clear()
