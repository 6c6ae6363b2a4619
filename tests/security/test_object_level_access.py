"""Another signed-in user reaches none of the world's objects by id: every endpoint that takes
an id answers 404 (not 403, not 200) and changes nothing."""

import pytest

from accounts.models import ApiKey, Notification
from circuits.models import Circuit
from items.models import Item
from tests.items.factories import canonical

# (method, path template, body): every endpoint that takes an id of something the world owns.
ID_ENDPOINTS = [
    ("get", "/api/items/{dfid}", None),
    ("put", "/api/items/{dfid}", {"enriched_data": {"stolen": True}}),
    ("delete", "/api/items/{dfid}", None),
    ("put", "/api/items/{dfid}/deprecate", None),
    ("get", "/api/events/item/{dfid}", None),
    ("get", "/api/items/{dfid}/storage-history", None),
    ("post", "/api/items/{dfid}/merge", "{intruder_dfid}"),
    ("post", "/api/items/{intruder_dfid}/merge", "{dfid}"),
    ("post", "/api/items/{dfid}/split", {"identifiers_for_new_item": [{"key": "l", "value": "x"}]}),
    ("get", "/api/storage-history/{dfid}", None),
    ("post", "/api/storage-history/{dfid}/migrate", {"adapter_type": "local"}),
    ("get", "/api/storage-history/{dfid}/locations", None),
    (
        "post",
        "/api/storage-history/{dfid}/primary",
        {"storage_location": {"Local": {"id": "bafkreigh2akisca"}}},
    ),
    ("get", "/api/items/mapping/{local_id}", None),
    ("post", "/api/items/local/unmerge", {"merged_lid": "{local_id}"}),
    ("post", "/api/items/local/merge", {"master_lid": "{local_id}", "merge_lids": ["{local_id}"]}),
    ("get", "/api/events/{event_id}", None),
    ("post", "/api/events/{event_id}/metadata", {"stolen": True}),
    ("get", "/api/events/local/{local_event_id}", None),
    ("get", "/api/receipts/{receipt_id}", None),
    ("post", "/api/receipts/{receipt_id}/verify", {"data": "eA=="}),
    ("post", "/api/items/{dfid}/share", {"recipient_user_id": "{intruder_id}"}),
    ("get", "/api/items/{dfid}/shared-with/{intruder_id}", None),
    ("delete", "/api/items/{dfid}/shared-with/{intruder_id}", None),
    ("get", "/api/circuits/{circuit_id}", None),
    ("patch", "/api/circuits/{circuit_id}", {"name": "taken over"}),
    ("delete", "/api/circuits/{circuit_id}", None),
    ("put", "/api/circuits/{circuit_id}", {"name": "taken over"}),
    ("put", "/api/circuits/{circuit_id}/deactivate", {}),
    ("get", "/api/circuits/{circuit_id}/activities", None),
    ("get", "/api/circuits/{circuit_id}/adapter", None),
    ("put", "/api/circuits/{circuit_id}/adapter", {"adapter_type": "local"}),
    ("get", "/api/circuits/{circuit_id}/items", None),
    ("get", "/api/circuits/{circuit_id}/requests/pending", None),
    ("post", "/api/circuits/{circuit_id}/requests/{intruder_id}/approve", {}),
    ("post", "/api/circuits/{circuit_id}/members", {"member_id": "{intruder_id}", "role": "Admin"}),
    ("patch", "/api/circuits/{circuit_id}/members/{owner_id}", {"role": "Member"}),
    ("delete", "/api/circuits/{circuit_id}/members/{owner_id}", None),
    ("get", "/api/circuits/{circuit_id}/operations", None),
    ("get", "/api/circuits/{circuit_id}/operations/pending", None),
    ("get", "/api/circuits/{circuit_id}/operations/{operation_id}", None),
    ("post", "/api/circuits/operations/{operation_id}/approve", {}),
    ("post", "/api/circuits/operations/{operation_id}/reject", {}),
    ("get", "/api/circuits/{circuit_id}/pending-items", None),
    (
        "put",
        "/api/circuits/{circuit_id}/public-settings",
        {"public_settings": {"access_mode": "public"}},
    ),
    ("post", "/api/circuits/{circuit_id}/pull/{dfid}", {}),
    ("post", "/api/circuits/{circuit_id}/push/{intruder_dfid}", {}),
    ("post", "/api/circuits/{circuit_id}/push/batch", {"items": [{"dfid": "{intruder_dfid}"}]}),
    ("post", "/api/circuits/{circuit_id}/push-local", {"local_id": "{local_id}"}),
    ("get", "/api/circuits/{circuit_id}/roles", None),
    ("post", "/api/circuits/{circuit_id}/roles", {"role_name": "Spy", "permissions": ["pull"]}),
    ("put", "/api/circuits/{circuit_id}/roles/Spy", {"permissions": ["pull"]}),
    ("delete", "/api/circuits/{circuit_id}/roles/Spy", None),
    ("get", "/api/circuits/{circuit_id}/post-actions", None),
    (
        "post",
        "/api/circuits/{circuit_id}/post-actions/webhooks",
        {"name": "x", "url": "http://127.0.0.1:9/"},
    ),
    ("get", "/api/circuits/{circuit_id}/post-actions/webhooks/{webhook_id}", None),
    (
        "put",
        "/api/circuits/{circuit_id}/post-actions/webhooks/{webhook_id}",
        {"url": "http://127.0.0.1:8/"},
    ),
    ("delete", "/api/circuits/{circuit_id}/post-actions/webhooks/{webhook_id}", None),
    ("get", "/api/circuits/{circuit_id}/post-actions/deliveries", None),
    ("post", "/api/circuits/{circuit_id}/post-actions/webhooks/{webhook_id}/test", {}),
    ("get", "/api/api-keys/{key_id}", None),
    ("patch", "/api/api-keys/{key_id}", {"name": "mine now"}),
    ("delete", "/api/api-keys/{key_id}", None),
    ("post", "/api/api-keys/{key_id}/revoke", {}),
    ("get", "/api/api-keys/{key_id}/usage", None),
    ("patch", "/api/notifications/{notification_id}/read", {}),
]


def fill(template, values):
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


@pytest.fixture
def intruder_values(world, intruder):
    intruder_item = intruder.post("/api/items", {"identifiers": [canonical()]}, format="json")
    assert intruder_item.status_code == 200, intruder_item.content
    return {
        **world.ids,
        "owner_id": world.owner.user_id,
        "intruder_id": intruder.user.user_id,
        "intruder_dfid": intruder_item.json()["dfid"],
    }


def test_another_users_objects_are_not_found_and_stay_unchanged(world, intruder, intruder_values):
    """One pass over every endpoint (the world is costly to build): each answers 404
    ``not_found``; afterwards the world's objects are as they were."""
    wrong = []
    for method, template, body in ID_ENDPOINTS:
        path = fill(template, intruder_values)
        arguments = {"format": "json"} if body is not None else {}
        response = getattr(intruder, method)(path, fill(body, intruder_values), **arguments)
        error = response.json().get("error") if response.content else None
        if response.status_code != 404 or error != "not_found":
            wrong.append(f"{method.upper()} {template}: {response.status_code} {error}")
    assert wrong == []

    item = Item.objects.get(pk=world.ids["dfid"])
    assert item.status == "Active"
    assert "stolen" not in (item.enriched_data or {})
    circuit = Circuit.objects.get(pk=world.ids["circuit_id"])
    assert circuit.name == "Valley traders"
    assert circuit.status == "Active"
    assert circuit.public_settings["access_mode"] == "protected"
    assert not circuit.members.filter(member_id=intruder.user.user_id).exists()
    key = ApiKey.objects.get(pk=world.ids["key_id"])
    assert key.is_active
    assert key.name == "ERP sync"
    assert not Notification.objects.get(pk=world.ids["notification_id"]).is_read
    webhook = world.owner_client.get(
        "/api/circuits/{circuit_id}/post-actions/webhooks/{webhook_id}".format(**world.ids)
    )
    assert webhook.status_code == 200
    assert webhook.json()["data"]["url"] == "http://127.0.0.1:9/hook"


def test_the_owner_reaches_the_same_objects(world):
    """The 404s above come from ownership, not from broken paths."""
    client = world.owner_client
    for path in [
        "/api/items/{dfid}",
        "/api/items/mapping/{local_id}",
        "/api/events/{event_id}",
        "/api/circuits/{circuit_id}",
        "/api/circuits/{circuit_id}/post-actions/webhooks/{webhook_id}",
        "/api/api-keys/{key_id}",
        "/api/api-keys/{key_id}/usage",
    ]:
        response = client.get(path.format(**world.ids))
        assert response.status_code == 200, (path, response.content[:300])


def test_ledger_and_notifications_lists_hold_only_the_callers_rows(world, intruder):
    owner_ledger = world.owner_client.get("/users/me/credits/history").json()["transactions"]
    intruder_ledger = intruder.get("/users/me/credits/history").json()["transactions"]
    owner_rows = {row["transaction_id"] for row in owner_ledger}

    assert owner_rows
    assert owner_rows.isdisjoint({row["transaction_id"] for row in intruder_ledger})
    notifications = intruder.get("/api/notifications").json()["data"]
    assert world.ids["notification_id"] not in {n["id"] for n in notifications}


def test_another_users_items_and_circuits_are_not_listed(world, intruder):
    items = intruder.get("/api/items").json()
    circuits = intruder.get("/api/circuits").json()
    keys = intruder.get("/api/api-keys").json()

    assert world.ids["dfid"] not in {item["dfid"] for item in items}
    assert world.ids["circuit_id"] not in {c["circuit_id"] for c in circuits}
    assert world.ids["key_id"] not in {str(k["metadata"]["id"]) for k in keys}


STAFF_ENDPOINTS = [
    ("put", "/api/admin/users/{owner_id}", {"is_admin": True}),
    ("post", "/api/admin/users/{owner_id}/credits", {"amount": 1000, "reason": "gift"}),
    ("get", "/api/admin/users", None),
    ("get", "/api/admin/actions", None),
    ("get", "/api/admin/adapters", None),
    ("get", "/api/admin/conflicts", None),
]


def test_staff_endpoints_refuse_other_users(world, intruder, intruder_values):
    wrong = []
    for method, template, body in STAFF_ENDPOINTS:
        path = fill(template, intruder_values)
        arguments = {"format": "json"} if body is not None else {}
        response = getattr(intruder, method)(path, body, **arguments)
        error = response.json().get("error")
        if response.status_code != 403 or error != "permission_denied":
            wrong.append(f"{method.upper()} {template}: {response.status_code} {error}")
    assert wrong == []
    world.owner.refresh_from_db()
    assert not world.owner.is_admin
