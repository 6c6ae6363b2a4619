"""DeFarm's IPFS backend against a real IPFS node (js-ipfs serving the Kubo HTTP RPC, started by
the ``ipfs_node`` fixture): the CID DeFarm computes is the node's, and the bytes round-trip."""

import json

import pytest

from adapters.backends import IPFS_MAX_SINGLE_BLOCK, IpfsStorageAdapter, StorageFailed
from adapters.cid import cid_v1_raw
from adapters.models import AdapterConfig, StorageHistory
from adapters.selectors import storage_adapter_for
from circuits import signals
from circuits.models import Circuit
from tests.adapters.factories import CircuitFactory, EventFactory, ItemFactory
from tests.conftest import client_for

pytestmark = pytest.mark.ipfs


def test_stored_bytes_get_the_cid_defarm_computes_and_come_back(ipfs_node):
    backend = IpfsStorageAdapter(ipfs_node.endpoint)
    data = b'{"dfid":"DFID-1","events":[]}'

    location = backend.store(data)

    cid = location["IPFS"]["cid"]
    assert cid == cid_v1_raw(data)
    assert location == {"IPFS": {"cid": cid, "pinned": True, "size": len(data)}}
    assert backend.retrieve(location) == data
    assert ipfs_node.call("cat", arg=cid) == data  # the node itself serves it
    pins = json.loads(ipfs_node.call("pin/ls", arg=cid, **{"cid-base": "base32"}))
    assert cid in pins["Keys"]


def test_content_up_to_one_block_keeps_the_raw_cid(ipfs_node):
    backend = IpfsStorageAdapter(ipfs_node.endpoint)
    data = bytes(range(256)) * (IPFS_MAX_SINGLE_BLOCK // 256)  # exactly one full block

    location = backend.store(data)

    assert location["IPFS"]["cid"] == cid_v1_raw(data)
    assert backend.retrieve(location) == data


def test_canonical_json_snapshot_round_trips(ipfs_node):
    backend = IpfsStorageAdapter(ipfs_node.endpoint)
    snapshot = {"dfid": "DFID-2", "data": {"peso": 412.5, "raça": "Nelore"}, "events": []}

    location = backend.store(snapshot)

    data = backend.retrieve(location)
    assert json.loads(data) == snapshot
    assert location["IPFS"]["cid"] == cid_v1_raw(data)


def test_unknown_cid_is_a_storage_error(ipfs_node):
    backend = IpfsStorageAdapter(ipfs_node.endpoint, timeout=3)  # offline: it waits for peers
    missing = cid_v1_raw(b"never added")
    with pytest.raises(StorageFailed):
        backend.retrieve({"IPFS": {"cid": missing, "pinned": True}})


def test_health_reports_the_node_answering(ipfs_node):
    assert IpfsStorageAdapter(ipfs_node.endpoint).health_problem() is None


def test_push_through_a_circuit_stores_in_the_node(ipfs_node, user):
    AdapterConfig.objects.create(
        name="test node",
        adapter_type="ipfs-ipfs",
        connection_details={"endpoint": ipfs_node.endpoint},
        is_default=True,
        created_by="staff",
    )
    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": "ipfs-ipfs"})
    item = ItemFactory(created_by=user)
    EventFactory(item=item)

    signals.item_pushed.send(sender=Circuit, circuit=circuit, item=item, user=user, operation=None)

    record = StorageHistory.objects.get(item=item)
    cid = record.storage_location["IPFS"]["cid"]
    stored = ipfs_node.call("cat", arg=cid)
    assert cid == cid_v1_raw(stored)
    assert json.loads(stored)["dfid"] == item.dfid
    assert storage_adapter_for(adapter_type="ipfs-ipfs").retrieve(record.storage_location) == (
        stored
    )


def test_adapter_health_route_reports_the_node(ipfs_node, user):
    AdapterConfig.objects.create(
        name="test node",
        adapter_type="ipfs-ipfs",
        connection_details={"endpoint": ipfs_node.endpoint},
        is_default=True,
        created_by="staff",
    )
    response = client_for(user).get("/api/adapters/ipfs-ipfs/health")
    assert response.status_code == 200, response.content
    assert response.json()["healthy"] is True
