"""The earlier engine's adapter and storage-history routes, sent and read as its clients do."""

import pytest
from django.db import connection
from django.db.models import CharField, Value
from django.test.utils import CaptureQueriesContext

from accounts.models import Tier, User
from adapters.models import AdapterConfig, StorageHistory
from tests.accounts.factories import UserFactory
from tests.adapters.factories import CircuitFactory, ItemFactory, circuit_hold, member_add
from tests.adapters.kubo import FakeKubo
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ADAPTER_FIELDS = {
    "adapter_type",
    "name",
    "description",
    "item_storage",
    "event_storage",
    "requires_blockchain",
    "available",
}


def record(item, adapter_type="local", location=None, stored_at=1_700_000_000, **fields):
    return StorageHistory.objects.create(
        item=item,
        adapter_type=adapter_type,
        storage_location=location or {"Local": {"id": f"bafkrei{stored_at}"}},
        stored_at_ts=stored_at,
        triggered_by=fields.pop("triggered_by", "circuit_push"),
        **fields,
    )


# --- /api/adapters ------------------------------------------------------------------------------


def test_adapter_list_answers_the_engine_shape(db):
    user = UserFactory(tier=Tier.PROFESSIONAL)
    body = client_for(user).get("/api/adapters/").json()
    assert body["success"] is True
    assert body["user_id"] == user.user_id and body["tier"] == "Professional"
    assert body["using_custom_adapters"] is False
    assert body["count"] == len(body["adapters"])
    entries = {entry["adapter_type"]: entry for entry in body["adapters"]}
    assert set(entries["ipfs-ipfs"]) >= ADAPTER_FIELDS
    assert entries["stellar_testnet-ipfs"]["item_storage"] == "StellarTestnet"
    assert entries["stellar_testnet-ipfs"]["event_storage"] == "IPFS"
    assert entries["stellar_testnet-ipfs"]["requires_blockchain"] is True
    assert entries["ipfs-ipfs"]["requires_blockchain"] is False
    assert entries["ipfs-ipfs"]["name"] == "ipfs-ipfs"


def test_adapter_routes_need_credentials(api_client):
    for path in (
        "/api/adapters",
        "/api/adapters/templates",
        "/api/adapters/ipfs-ipfs/status",
        "/api/adapters/ipfs-ipfs/health",
        "/api/storage-history/statistics",
    ):
        response = api_client.get(path)
        assert response.status_code == 401, path
        assert response.json()["success"] is False
    assert api_client.post("/api/adapters/select", {}, format="json").status_code == 401


@pytest.mark.parametrize("sent", ["IpfsIpfs", "ipfs-ipfs", " ipfs-ipfs "])
def test_selecting_an_adapter_is_recorded(auth_client, user, sent):
    response = auth_client.post("/api/adapters/select", {"adapter_type": sent}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True and body["message"] == "Adapter selected successfully"
    assert body["adapter_type"] == "ipfs-ipfs" and body["user_id"] == user.user_id
    assert body["description"] and body["updated_at"]
    assert User.objects.get(pk=user.pk).selected_adapter == "ipfs-ipfs"
    assert auth_client.get("/api/adapters").json()["selected_adapter"] == "ipfs-ipfs"


def test_selecting_an_adapter_outside_the_tier_is_refused(auth_client, user):
    response = auth_client.post(
        "/api/adapters/select", {"adapter_type": "StellarMainnetIpfs"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["success"] is False
    assert response.json()["error"] == "tier_limit_exceeded"
    assert User.objects.get(pk=user.pk).selected_adapter is None
    unknown = auth_client.post("/api/adapters/select", {"adapter_type": "Ipfs"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["error"] == "validation_error"


def test_templates_describe_every_real_adapter(auth_client):
    body = auth_client.get("/api/adapters/templates").json()
    assert body["success"] is True
    for name in ("ipfs-ipfs", "stellar_testnet-ipfs", "stellar_mainnet-ipfs"):
        assert set(body["templates"][name]) == {
            "description",
            "cost",
            "scalability",
            "decentralization",
            "use_case",
        }


def test_adapter_status_in_either_spelling(auth_client, user):
    record(ItemFactory(created_by=user), stored_at=1_700_000_500)
    body = auth_client.get("/api/adapters/local/status?client_id=x&tier=y").json()
    assert body["success"] is True and body["adapter_type"] == "local"
    status = body["status"]
    assert status["is_synced"] is True and status["pending_operations"] == 0
    assert status["last_sync"].startswith("2023-11-14T22:")
    assert status["error_count"] == 0 and status["details"]["records"] == 1

    ipfs = auth_client.get("/api/adapters/IpfsIpfs/status").json()
    assert ipfs["adapter_type"] == "ipfs-ipfs"
    assert ipfs["status"]["is_synced"] is False and ipfs["status"]["last_sync"] is None
    assert "endpoint" in ipfs["status"]["details"]["reason"]

    unknown = auth_client.get("/api/adapters/nothing/status")
    assert unknown.status_code == 400 and unknown.json()["error"] == "validation_error"


def test_adapter_health_checks_the_backend(auth_client, staff_user):
    local = auth_client.get("/api/adapters/local/health")
    assert local.status_code == 200
    assert local.json()["healthy"] is True and local.json()["checked_at"]

    unconfigured = auth_client.get("/api/adapters/ipfs-ipfs/health/")
    assert unconfigured.status_code == 503
    body = unconfigured.json()
    assert body["success"] is False and body["error"] == "adapter_unhealthy"
    assert body["healthy"] is False and body["adapter_type"] == "ipfs-ipfs"

    with FakeKubo() as kubo:
        AdapterConfig.objects.create(
            name="node",
            adapter_type="ipfs-ipfs",
            connection_details={"endpoint": kubo.endpoint},
            created_by=staff_user.pk,
        )
        healthy = auth_client.get("/api/adapters/IpfsIpfs/health")
    assert healthy.status_code == 200 and healthy.json()["healthy"] is True
    assert auth_client.get("/api/adapters/x/health").status_code == 400


# --- /api/storage-history -----------------------------------------------------------------------


def test_locations_of_an_item_newest_first(auth_client, user):
    item = ItemFactory(created_by=user)
    older = record(item, stored_at=1_700_000_000)
    newer = record(item, stored_at=1_700_000_100)
    for path in (
        f"/api/storage-history/{item.dfid}/locations",
        f"/api/storage-history/{item.dfid}/locations/?dfid={item.dfid}",
    ):
        body = auth_client.get(path).json()
        assert body == {
            "success": True,
            "dfid": item.dfid,
            "locations": [newer.storage_location, older.storage_location],
            "count": 2,
        }
    other = auth_client.get(f"/api/storage-history/{item.dfid}/locations?dfid=DFID-other")
    assert other.status_code == 400


def test_statistics_count_what_the_caller_may_see(auth_client, user, other_user, staff_client):
    mine = ItemFactory(created_by=user)
    record(mine, stored_at=1)
    engine_spelled = record(mine, adapter_type="ipfs-ipfs", stored_at=2)
    StorageHistory.objects.filter(pk=engine_spelled.pk).update(
        adapter_type=Value("IpfsIpfs", CharField())
    )
    record(mine, triggered_by="manual", stored_at=3)
    record(ItemFactory(created_by=other_user), stored_at=4)

    statistics = auth_client.get("/api/storage-history/statistics").json()["statistics"]
    assert statistics["total_items_tracked"] == 1
    assert statistics["total_storage_locations"] == 3
    assert statistics["adapter_distribution"] == {"ipfs-ipfs": 1, "local": 2}
    assert statistics["migration_count"] == 2
    assert statistics["generated_at"]

    everything = staff_client.get("/api/storage-history/statistics/").json()["statistics"]
    assert everything["total_items_tracked"] == 2
    assert everything["total_storage_locations"] == 4


def test_statistics_query_count_does_not_grow(auth_client, user):
    def queries_for(rows: int) -> int:
        StorageHistory.objects.all().delete()
        for index in range(rows):
            record(ItemFactory(created_by=user), stored_at=index)
        with CaptureQueriesContext(connection) as context:
            body = auth_client.get("/api/storage-history/statistics").json()
        assert body["statistics"]["total_storage_locations"] == rows
        return len(context.captured_queries)

    assert queries_for(3) == queries_for(30)


def test_primary_set_makes_an_earlier_location_primary(auth_client, user):
    item = ItemFactory(created_by=user)
    older = record(item, stored_at=1_700_000_000)
    record(item, stored_at=1_700_000_100)
    response = auth_client.post(
        f"/api/storage-history/{item.dfid}/primary",
        {"storage_location": older.storage_location},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True and body["dfid"] == item.dfid
    assert body["requested_primary"] == older.storage_location
    assert body["data"]["is_primary"] is True
    history = auth_client.get(f"/api/storage-history/{item.dfid}").json()["data"]
    assert history["current_primary"] == older.storage_location
    assert len(history["storage_records"]) == 3  # nothing rewritten, one record added

    missing = auth_client.post(
        f"/api/storage-history/{item.dfid}/primary",
        {"storage_location": {"Local": {"id": "elsewhere"}}},
        format="json",
    )
    assert missing.status_code == 404
    malformed = auth_client.post(
        f"/api/storage-history/{item.dfid}/primary",
        {"storage_location": "Local"},
        format="json",
    )
    assert malformed.status_code == 400


def test_primary_set_needs_the_right_to_migrate(user, other_user):
    circuit = CircuitFactory(owner=user)
    item = ItemFactory(created_by=user)
    circuit_hold(circuit, item)
    member_add(circuit, other_user)
    older = record(item, stored_at=1)
    record(item, stored_at=2)
    response = client_for(other_user).post(
        f"/api/storage-history/{item.dfid}/primary",
        {"storage_location": older.storage_location},
        format="json",
    )
    assert response.status_code == 403
    assert StorageHistory.objects.filter(item=item).count() == 2


def test_migrate_refuses_a_user_id_naming_someone_else(auth_client, user, other_user):
    item = ItemFactory(created_by=user)
    response = auth_client.post(
        f"/api/storage-history/{item.dfid}/migrate",
        {"target_adapter_type": "local", "user_id": other_user.user_id},
        format="json",
    )
    assert response.status_code == 403
    assert not StorageHistory.objects.exists()
    missing = auth_client.post(f"/api/storage-history/{item.dfid}/migrate", {}, format="json")
    assert missing.status_code == 400
