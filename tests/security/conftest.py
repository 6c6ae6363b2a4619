"""A small world owned by one user, built through the API itself: an item, a local item, a
circuit (protected public page with a password, the item pushed to it, a webhook with
credentials), an API key, a notification, a private event. Every secret the world holds is
listed so tests can look for it in answers."""

import uuid
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiKey, User
from circuits.models import Circuit
from items.models import ConflictResolution, PendingItem
from items.snapshots.services import snapshot_anchor_record, snapshot_take
from tests.accounts.factories import DEFAULT_PASSWORD, NotificationFactory, UserFactory
from tests.conftest import client_for
from tests.items.factories import canonical, contextual

CIRCUIT_PASSWORD = "circuit-access-pass-7Q"
WEBHOOK_TOKEN = "webhook-bearer-token-9f8e7d6c"
WEBHOOK_SIGNING_SECRET = "webhook-signing-secret-1a2b3c4d"


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    """Login throttles counted in the cache start from zero in every test."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    owner: User
    owner_client: APIClient
    ids: dict[str, str] = field(default_factory=dict)
    api_key: str = ""
    secrets: dict[str, str] = field(default_factory=dict)


def ok(response, *statuses):
    statuses = statuses or (200, 201)
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    return response.json() if response.content else None


AUDIT_EVENT = {
    "event_type": "data",
    "action": "export",
    "resource": "item",
    "outcome": "success",
    "severity": "low",
}
INCIDENT = {
    "title": "Lost tablet",
    "description": "-",
    "severity": "low",
    "category": "data-breach",
}
REPORT = {"report_type": "gdpr-data-subject", "period_start": 0, "period_end": 4102444800}


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.DATA_DIR = tmp_path / "data"
    settings.WEBHOOKS_ALLOW_LOOPBACK = True  # the webhook points at this machine, never outside
    owner = UserFactory(tier="Enterprise")
    client = client_for(owner)
    world = World(owner=owner, owner_client=client)

    item = ok(
        client.post(
            "/api/items",
            {"identifiers": [canonical()], "enriched_data": {"weight_kg": 420}},
            format="json",
        )
    )
    world.ids["dfid"] = item["dfid"]
    local = ok(
        client.post(
            "/api/items/local", {"identifiers": [contextual(value="LOT-SEC")]}, format="json"
        )
    )
    world.ids["local_id"] = local["data"]["local_id"]

    circuit = ok(client.post("/api/circuits", {"name": "Valley traders"}, format="json"))
    circuit_id = circuit["circuit_id"]
    world.ids["circuit_id"] = circuit_id
    ok(
        client.put(
            f"/api/circuits/{circuit_id}/public-settings",
            {"public_settings": {"access_mode": "protected", "access_password": CIRCUIT_PASSWORD}},
            format="json",
        )
    )
    pushed = client.post(f"/api/circuits/{circuit_id}/push/{item['dfid']}", format="json")
    if pushed.status_code in (200, 201):
        world.ids["operation_id"] = str(pushed.json().get("operation_id", ""))
    # A public circuit publishing the item too: the public routes have something to show.
    showcase = ok(client.post("/api/circuits", {"name": "Valley showcase"}, format="json"))
    showcase_id = showcase["circuit_id"]
    ok(
        client.put(
            f"/api/circuits/{showcase_id}/public-settings",
            {"public_settings": {"access_mode": "public", "auto_publish_pushed_items": True}},
            format="json",
        )
    )
    ok(client.post(f"/api/circuits/{showcase_id}/push/{item['dfid']}", format="json"))
    # What the worker takes once a write commits (tests never commit), and an anchoring.
    snapshot = snapshot_take(entity_type="item", entity_id=item["dfid"], operation="Requested")
    world.ids["snapshot_id"] = snapshot.snapshot_id
    snapshot_take(entity_type="circuit", entity_id=circuit_id, operation="Requested")
    published = snapshot_take(
        entity_type="item", entity_id=item["dfid"], scope=showcase_id, operation="Requested"
    )
    world.ids["cid"] = published.cid  # readable by the owner and by anyone
    snapshot_anchor_record(
        snapshot=snapshot,
        network="stellar-testnet",
        transaction_hash="0" * 64,
        ledger_timestamp=1_760_000_000,
        ledger=1,
    )

    webhook = ok(
        client.post(
            f"/api/circuits/{circuit_id}/post-actions/webhooks",
            {
                "name": "ERP",
                "url": "http://127.0.0.1:9/hook",
                "trigger_events": ["item_pushed"],
                "auth_type": "BearerToken",
                "auth_credentials": WEBHOOK_TOKEN,
                "signing_secret": WEBHOOK_SIGNING_SECRET,
            },
            format="json",
        )
    )
    world.ids["webhook_id"] = str(webhook["data"]["id"])

    key = ok(client.post("/api/api-keys", {"name": "ERP sync"}, format="json"))
    world.api_key = key["api_key"]
    world.ids["key_id"] = str(key["metadata"]["id"])

    world.ids["notification_id"] = str(NotificationFactory(user=owner).notification_id)
    conflict = ConflictResolution.objects.create(
        identifier_key="sisbov",
        identifier_value="BR000000000001",
        conflicting_dfids=[world.ids["dfid"], "DFID-20240926-000001-2488"],
        resolution_strategy="ManualReview",
    )
    world.ids["conflict_id"] = str(conflict.conflict_id)
    world.ids["pending_id"] = str(
        PendingItem.objects.create(
            user=owner, conflict=conflict, identifiers=[canonical()]
        ).pending_id
    )
    event = ok(
        client.post(
            "/api/events",
            {"dfid": item["dfid"], "event_type": "Updated", "visibility": "Private"},
            format="json",
        )
    )
    world.ids["event_id"] = str(event["event_id"])
    local_event = ok(
        client.post(
            "/api/events/local",
            {"event_type": "Updated", "visibility": "Private", "metadata": {"scale": 1}},
            format="json",
        )
    )
    world.ids["local_event_id"] = str(local_event["local_event_id"])
    receipt = ok(
        client.post(
            "/api/receipts",
            {"data": "d2VpZ2hpbmc=", "identifiers": [{"key": "lot", "value": "LOT-SEC"}]},
            format="json",
        )
    )
    world.ids["receipt_id"] = str(receipt["id"])
    audit = "/audit/audit"
    audit_event = ok(client.post(f"{audit}/events", AUDIT_EVENT, format="json"))
    world.ids["audit_event_id"] = audit_event["data"]["event_id"]
    incident = ok(client.post(f"{audit}/incidents", INCIDENT, format="json"))
    world.ids["incident_id"] = incident["data"]["incident_id"]
    report = ok(client.post(f"{audit}/compliance/reports", REPORT, format="json"))
    world.ids["report_id"] = report["data"]["report_id"]
    activity = ok(
        client.post(
            "/api/user-activity",
            {
                "activity_type": "Export",
                "category": "Items",
                "resource_type": "Item",
                "resource_id": world.ids["dfid"],
                "action": "export_csv",
                "description": "Exported the herd register",
            },
            format="json",
        )
    )
    world.ids["activity_id"] = activity["data"]["activity_id"]
    world.ids["workspace_id"] = owner.workspace_id  # the personal workspace
    epcis_event = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "ObjectEvent",
        "eventTime": "2026-07-22T06:45:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgln:9521141.12345.0"],
    }
    captured = client.post("/epcis/events", epcis_event, format="json")
    assert captured.status_code == 202, captured.content
    world.ids["capture_id"] = captured.json()["captureID"]
    named = {"name": "observed", "query": {"EQ_action": ["OBSERVE"]}}
    assert client.post("/epcis/queries", named, format="json").status_code == 201
    world.ids["query_name"] = "observed"

    owner.refresh_from_db()
    world.secrets = {
        "account password": DEFAULT_PASSWORD,
        "password hash": owner.password,
        "API key": world.api_key,
        "API key hash": ApiKey.objects.get(pk=world.ids["key_id"]).key_hash,
        "webhook token": WEBHOOK_TOKEN,
        "webhook signing secret": WEBHOOK_SIGNING_SECRET,
        "circuit password": CIRCUIT_PASSWORD,
    }
    circuit_settings = Circuit.objects.get(pk=circuit_id).public_settings
    world.secrets["circuit password hash"] = circuit_settings["password_hash"]
    return world


@pytest.fixture
def intruder(db) -> APIClient:
    """A signed-in user who belongs to nothing of the world."""
    return client_for(UserFactory())


def random_uuid() -> str:
    return str(uuid.uuid4())
