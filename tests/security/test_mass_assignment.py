"""A client cannot set what the server owns (owner, tier, balance, staff flag, hashes, ids,
timestamps): sent in a body, such fields are ignored or refused, never applied."""

import pytest

from accounts.models import ApiKey, CreditBalance, User
from circuits.models import Circuit
from items.models import Event, Item
from tests.accounts.factories import UserFactory
from tests.items.factories import canonical

SERVER_OWNED_USER_FIELDS = {
    "tier": "Enterprise",
    "is_admin": True,
    "is_staff": True,
    "is_superuser": True,
    "status": "Active",
    "credits": 1_000_000,
    "balance": 1_000_000,
    "user_id": "user-chosen-by-the-client",
    "password_hash": "pbkdf2_sha256$1$salt$forged",
    "available_adapters": ["stellar_mainnet-ipfs"],
}


def refused_or_ignored(response) -> bool:
    return response.status_code in (200, 201, 400)


def test_registration_ignores_server_owned_fields(db, api_client):
    body = {
        "username": "eager",
        "email": "eager@example.com",
        "password": "Str0ng-enough-pass!",
        **SERVER_OWNED_USER_FIELDS,
    }

    response = api_client.post("/api/auth/register", body, format="json")

    assert refused_or_ignored(response), response.content
    user = User.objects.filter(username="eager").first()
    if response.status_code == 400:
        assert user is None
        return
    assert user.tier == "Basic"
    assert not user.is_admin
    assert user.user_id != "user-chosen-by-the-client"
    assert not user.password.startswith("pbkdf2_sha256$1$")
    assert user.available_adapters in (None, [])
    assert CreditBalance.objects.get(user=user).credits < 1_000_000


def test_a_user_cannot_raise_their_own_tier_or_balance(auth_client, user):
    before = CreditBalance.objects.get(user=user).credits
    for method in ("patch", "put", "post"):
        getattr(auth_client, method)("/users/me/profile", SERVER_OWNED_USER_FIELDS, format="json")
        getattr(auth_client, method)(
            "/users/me/credits/balance", {"credits": 10**9, "amount": 10**9}, format="json"
        )

    user.refresh_from_db()
    assert user.tier == "Basic"
    assert not user.is_admin
    assert CreditBalance.objects.get(user=user).credits == before
    me = auth_client.get("/users/me/profile").json()
    assert me["tier"] == "Basic"
    assert me["is_admin"] is False


def test_api_key_creation_ignores_hash_prefix_owner_and_state(auth_client, user, other_user):
    body = {
        "name": "sync",
        "key_hash": "0" * 64,
        "key_prefix": "dfm_forg",
        "user_id": other_user.user_id,
        "user": other_user.user_id,
        "is_active": False,
        "last_used_at_ts": 1,
        "created_at_ts": 1,
        "key_id": "00000000-0000-4000-8000-000000000001",
    }

    response = auth_client.post("/api/api-keys", body, format="json")

    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert not ApiKey.objects.filter(name="sync").exists()
        return
    key = ApiKey.objects.get(pk=response.json()["metadata"]["id"])
    assert key.user_id == user.user_id
    assert key.key_hash != "0" * 64
    assert key.key_prefix == response.json()["api_key"][: len(key.key_prefix)]
    assert key.is_active
    assert key.created_at_ts > 1
    assert str(key.key_id) != "00000000-0000-4000-8000-000000000001"


def test_a_non_staff_user_cannot_create_an_admin_key(auth_client):
    response = auth_client.post(
        "/api/api-keys",
        {
            "name": "root",
            "permissions": {"read": True, "write": False, "admin": True, "custom": {}},
        },
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert not ApiKey.objects.filter(name="root").exists()


def test_api_key_update_cannot_move_or_reactivate_the_key(auth_client, user, other_user):
    created = auth_client.post("/api/api-keys", {"name": "sync"}, format="json").json()
    key_id = created["metadata"]["id"]
    auth_client.post(f"/api/api-keys/{key_id}/revoke")

    auth_client.patch(
        f"/api/api-keys/{key_id}",
        {"user_id": other_user.user_id, "key_hash": "1" * 64, "is_active": True},
        format="json",
    )

    key = ApiKey.objects.get(pk=key_id)
    assert key.user_id == user.user_id
    assert key.key_hash != "1" * 64
    assert not key.is_active


def test_item_creation_ignores_dfid_hash_owner_and_status(auth_client, user, other_user):
    body = {
        "identifiers": [canonical()],
        "dfid": "DFID-20200101-000001-ABCD",
        "item_hash": "f" * 64,
        "created_by": other_user.user_id,
        "status": "Deprecated",
        "created_at_ts": 1,
    }

    response = auth_client.post("/api/items", body, format="json")

    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert not Item.objects.filter(dfid="DFID-20200101-000001-ABCD").exists()
        return
    item = Item.objects.get(pk=response.json()["dfid"])
    assert item.dfid != "DFID-20200101-000001-ABCD"
    assert item.item_hash != "f" * 64
    assert item.created_by_id == user.user_id
    assert item.status == "Active"
    assert item.created_at_ts > 1


def test_item_update_cannot_change_owner_status_or_hash(auth_client, user, other_user):
    dfid = auth_client.post("/api/items", {"identifiers": [canonical()]}, format="json").json()[
        "dfid"
    ]
    before = Item.objects.get(pk=dfid)

    auth_client.put(
        f"/api/items/{dfid}",
        {"created_by": other_user.user_id, "status": "Merged", "item_hash": "e" * 64, "dfid": "x"},
        format="json",
    )

    item = Item.objects.get(pk=dfid)
    assert item.created_by_id == user.user_id
    assert item.status == "Active"
    assert item.item_hash != "e" * 64
    assert item.dfid == before.dfid


def test_circuit_creation_and_update_ignore_owner_and_status(auth_client, user, other_user):
    stolen = auth_client.post(
        "/api/circuits", {"name": "Traders", "owner_id": other_user.user_id}, format="json"
    )
    assert stolen.status_code == 403  # owner_id may only name the caller
    response = auth_client.post(
        "/api/circuits",
        {
            "name": "Traders",
            "owner_id": user.user_id,
            "owner": other_user.user_id,
            "status": "Archived",
            "circuit_id": "00000000-0000-4000-8000-000000000002",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    circuit_id = response.json()["circuit_id"]
    auth_client.patch(
        f"/api/circuits/{circuit_id}",
        {"owner_id": other_user.user_id, "status": "Archived"},
        format="json",
    )

    circuit = Circuit.objects.get(pk=circuit_id)
    assert circuit.owner_id == user.user_id
    assert circuit.status == "Active"
    assert circuit_id != "00000000-0000-4000-8000-000000000002"


def test_event_creation_ignores_the_author(auth_client, user, other_user):
    dfid = auth_client.post("/api/items", {"identifiers": [canonical()]}, format="json").json()[
        "dfid"
    ]

    response = auth_client.post(
        "/api/events",
        {"dfid": dfid, "event_type": "Updated", "created_by": other_user.user_id},
        format="json",
    )

    assert response.status_code in (200, 201), response.content
    assert Event.objects.get(pk=response.json()["event_id"]).created_by_id == user.user_id


@pytest.mark.parametrize("field", ["is_admin", "tier"])
def test_staff_flags_are_changed_only_by_staff(auth_client, field):
    target = UserFactory()
    value = True if field == "is_admin" else "Enterprise"

    response = auth_client.put(f"/api/admin/users/{target.user_id}", {field: value}, format="json")

    assert response.status_code == 403
    target.refresh_from_db()
    assert getattr(target, field) != value
