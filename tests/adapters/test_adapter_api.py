import threading

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Tier
from adapters.models import AdapterConfig
from adapters.services import adapter_config_create
from audit.models import AdminAction
from defarm.api.exceptions import Conflict
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import client_for

SECRET = "s3cr3t-token-value"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def adapter_types(client) -> list[str]:
    response = client.get("/api/adapters")
    assert response.status_code == 200
    return [entry["adapter_type"] for entry in response.json()["adapters"]]


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        (Tier.BASIC, ["none", "local", "ipfs-ipfs"]),
        (Tier.PROFESSIONAL, ["none", "local", "ipfs-ipfs", "stellar_testnet-ipfs"]),
        (
            Tier.ENTERPRISE,
            ["none", "local", "ipfs-ipfs", "stellar_testnet-ipfs", "stellar_mainnet-ipfs"],
        ),
    ],
)
def test_adapter_types_follow_the_tier(db, tier, expected):
    assert adapter_types(client_for(UserFactory(tier=tier))) == expected


def test_admin_tier_sees_every_type_and_custom_ones(staff_client, staff_user):
    adapter_config_create(admin=staff_user, name="Farm node", adapter_type="custom-farmnode")
    types = adapter_types(staff_client)
    assert types[:7] == [
        "none",
        "local",
        "ipfs-ipfs",
        "stellar_testnet-ipfs",
        "stellar_mainnet-ipfs",
        "ethereum_goerli-ipfs",
        "polygon-arweave",
    ]
    assert "custom-farmnode" in types


def test_user_adapter_list_overrides_the_tier(db):
    user = UserFactory(tier=Tier.BASIC)
    user.available_adapters = ["local", "stellar_mainnet-ipfs"]
    user.save()
    assert adapter_types(client_for(user)) == ["local", "stellar_mainnet-ipfs"]


def test_adapter_types_show_whether_configured(auth_client, staff_user):
    entries = {e["adapter_type"]: e for e in auth_client.get("/api/adapters").json()["adapters"]}
    assert entries["local"]["configured"] and not entries["ipfs-ipfs"]["configured"]
    adapter_config_create(
        admin=staff_user,
        name="node",
        adapter_type="ipfs-ipfs",
        connection_details={"endpoint": "http://ipfs:5001"},
    )
    entries = {e["adapter_type"]: e for e in auth_client.get("/api/adapters").json()["adapters"]}
    assert entries["ipfs-ipfs"]["configured"]


def test_admin_adapters_are_staff_only(auth_client, api_client):
    assert auth_client.get("/api/admin/adapters").status_code == 403
    assert api_client.get("/api/admin/adapters").status_code == 401
    assert (
        auth_client.post(
            "/api/admin/adapters", {"name": "x", "adapter_type": "local"}, format="json"
        ).status_code
        == 403
    )


def test_staff_crud_masks_secrets(staff_client, staff_user):
    response = staff_client.post(
        "/api/admin/adapters",
        {
            "name": "Pinning service",
            "adapter_type": "ipfs-ipfs",
            "connection_details": {
                "endpoint": "https://pin.example.com",
                "auth_token": SECRET,
                "nested": {"private_key": SECRET, "public_key": "GABC"},
            },
            "is_default": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert SECRET not in response.content.decode()
    assert response.json()["success"] is True
    assert response.json()["message"] == "Adapter configuration created successfully"
    body = response.json()["config"]
    assert body["connection_details"]["auth_token"] == "********"
    assert body["connection_details"]["nested"] == {"private_key": "********", "public_key": "GABC"}
    assert body["connection_details"]["endpoint"] == "https://pin.example.com"
    assert body["created_by"] == staff_user.user_id
    config_id = body["config_id"]

    for response in (
        staff_client.get("/api/admin/adapters"),
        staff_client.get(f"/api/admin/adapters/{config_id}"),
    ):
        assert response.status_code == 200
        assert SECRET not in response.content.decode()

    # Sending the mask back keeps the stored secret; a new value replaces it.
    response = staff_client.put(
        f"/api/admin/adapters/{config_id}/",
        {
            "connection_details": {
                "endpoint": "https://pin2.example.com",
                "auth_token": "********",
                "nested": {"private_key": "new-key", "public_key": "GABC"},
            }
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    stored = AdapterConfig.objects.get(pk=config_id).connection_details
    assert stored["auth_token"] == SECRET
    assert stored["nested"]["private_key"] == "new-key"
    assert stored["endpoint"] == "https://pin2.example.com"
    assert "new-key" not in response.content.decode()

    action_log = AdminAction.objects.filter(target_id=config_id)
    assert action_log.count() == 2
    assert all(SECRET not in str(action.action_data) for action in action_log)
    assert "new-key" not in str(action_log.get(action_type="adapter_config_update").action_data)

    deleted = staff_client.delete(f"/api/admin/adapters/{config_id}")
    assert deleted.status_code == 200
    assert deleted.json() == {
        "success": True,
        "message": "Adapter configuration deleted successfully",
    }
    assert not AdapterConfig.objects.filter(pk=config_id).exists()


def test_unknown_adapter_type_is_refused(staff_client):
    response = staff_client.post(
        "/api/admin/adapters", {"name": "x", "adapter_type": "floppy-disk"}, format="json"
    )
    assert response.status_code == 400
    assert "adapter_type" in response.json()["details"]


def test_one_default_per_adapter_type(staff_client, staff_user):
    first = adapter_config_create(
        admin=staff_user, name="a", adapter_type="ipfs-ipfs", is_default=True
    )
    other_type = adapter_config_create(
        admin=staff_user, name="c", adapter_type="local", is_default=True
    )
    response = staff_client.post(
        "/api/admin/adapters",
        {"name": "b", "adapter_type": "IpfsIpfs", "is_default": True},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["config"]["adapter_type"] == "ipfs-ipfs"
    first.refresh_from_db()
    other_type.refresh_from_db()
    assert not first.is_default
    assert other_type.is_default
    defaults = AdapterConfig.objects.filter(adapter_type="ipfs-ipfs", is_default=True)
    assert list(defaults.values_list("name", flat=True)) == ["b"]

    response = staff_client.patch(
        f"/api/admin/adapters/{first.config_id}", {"is_default": True}, format="json"
    )
    assert response.status_code == 200
    assert list(defaults.values_list("name", flat=True)) == ["a"]

    response = staff_client.post(f"/api/admin/adapters/{response.json()['config']['config_id']}")
    assert response.status_code == 405
    second = AdapterConfig.objects.get(name="b")
    response = staff_client.post(f"/api/admin/adapters/{second.config_id}/set-default/")
    assert response.json() == {"success": True, "message": "Default adapter set successfully"}
    assert list(defaults.values_list("name", flat=True)) == ["b"]
    assert staff_client.post(f"/api/admin/adapters/{UNKNOWN_ID}/set-default").status_code == 404


def test_admin_adapter_list_query_count_does_not_grow(staff_client, staff_user):
    def queries_for(rows: int) -> int:
        AdapterConfig.objects.all().delete()
        for index in range(rows):
            adapter_config_create(admin=staff_user, name=f"n{index}", adapter_type="local")
        with CaptureQueriesContext(connection) as context:
            response = staff_client.get("/api/admin/adapters?limit=100")
        assert int(response["X-Total-Count"]) == rows
        assert response.json()["count"] == rows and response.json()["success"] is True
        return len(context.captured_queries)

    assert queries_for(3) == queries_for(30)


def test_adapter_types_query_count_is_constant(staff_client, staff_user):
    def queries_for(rows: int) -> int:
        AdapterConfig.objects.all().delete()
        for index in range(rows):
            adapter_config_create(admin=staff_user, name="n", adapter_type=f"custom-n{index}")
        with CaptureQueriesContext(connection) as context:
            response = staff_client.get("/api/adapters")
        assert response.json()["count"] == 7 + rows
        return len(context.captured_queries)

    assert queries_for(3) == queries_for(30)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_defaults_leave_one_default():
    staff = StaffFactory()
    barrier = threading.Barrier(6)
    outcomes = []

    def create(index: int):
        try:
            barrier.wait()
            adapter_config_create(
                admin=staff, name=f"node {index}", adapter_type="ipfs-ipfs", is_default=True
            )
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=create, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("created") >= 1
    assert AdapterConfig.objects.filter(adapter_type="ipfs-ipfs").count() == outcomes.count(
        "created"
    )
    assert AdapterConfig.objects.filter(adapter_type="ipfs-ipfs", is_default=True).count() == 1


def test_admin_adapter_list_takes_active_only(staff_client, staff_user):
    adapter_config_create(admin=staff_user, name="on", adapter_type="local")
    adapter_config_create(admin=staff_user, name="off", adapter_type="local", is_active=False)
    names = [c["name"] for c in staff_client.get("/api/admin/adapters").json()["configs"]]
    assert sorted(names) == ["off", "on"]
    active = staff_client.get("/api/admin/adapters/?active_only=true").json()
    assert [config["name"] for config in active["configs"]] == ["on"]
    assert active["count"] == 1
    config = active["configs"][0]
    assert config["created_at"] and config["updated_at"]
    assert config["last_tested_at"] is None and config["test_status"] is None
