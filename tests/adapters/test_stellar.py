"""Anchoring on Stellar (``stellar_testnet-ipfs``, ``stellar_mainnet-ipfs``) with the official
SDK. The built transactions are decoded from their XDR and their signatures verified with the
SDK; submission goes to ``tests/adapters/horizon.py``, a local stand-in for Horizon's
``GET /accounts/{id}`` and ``POST /transactions`` (no test reaches a real Stellar network)."""

import hashlib
import json

import pytest
from stellar_sdk import Account, Keypair, Network, TransactionEnvelope
from stellar_sdk.exceptions import BadSignatureError
from stellar_sdk.memo import HashMemo
from stellar_sdk.operation import ManageData

from accounts.models import Tier
from adapters.backends import AdapterNotConfigured, StorageFailed
from adapters.cid import cid_v1_raw
from adapters.models import AdapterConfig, StorageHistory, StorageTrigger
from adapters.selectors import storage_adapter_for
from adapters.services import (
    item_cid_anchor,
    item_store_for_circuit,
    stellar_anchor_cid,
    stellar_anchor_merkle_root,
)
from adapters.stellar import (
    CID_DATA_NAME,
    MERKLE_ROOT_DATA_NAME,
    MainnetNotEnabled,
    anchor_payload,
    stellar_anchor_build,
    stellar_network_for,
)
from tests.accounts.factories import UserFactory
from tests.adapters.factories import CircuitFactory, EventFactory, ItemFactory
from tests.adapters.horizon import FakeHorizon
from tests.adapters.kubo import FakeKubo
from tests.conftest import client_for

SIGNER = Keypair.random()
CONTENT = b'{"dfid":"DFID-20250101-000001-0","events":[]}'
CID = cid_v1_raw(CONTENT)
TESTNET = "stellar_testnet-ipfs"
MAINNET = "stellar_mainnet-ipfs"


@pytest.fixture(autouse=True)
def no_stellar_network(settings):
    """Every test starts with no network configured, whatever the environment says."""
    settings.STELLAR_TESTNET_HORIZON_URL = ""
    settings.STELLAR_TESTNET_SECRET_KEY = ""
    settings.STELLAR_MAINNET_ENABLED = False
    settings.STELLAR_MAINNET_HORIZON_URL = ""
    settings.STELLAR_MAINNET_SECRET_KEY = ""
    settings.STELLAR_TIMEOUT = 5


@pytest.fixture
def horizon(settings):
    with FakeHorizon(
        passphrase=Network.TESTNET_NETWORK_PASSPHRASE, accounts={SIGNER.public_key: 41}
    ) as server:
        settings.STELLAR_TESTNET_HORIZON_URL = server.url
        settings.STELLAR_TESTNET_SECRET_KEY = SIGNER.secret
        yield server


@pytest.fixture
def kubo(db):
    with FakeKubo() as node:
        AdapterConfig.objects.create(
            name="node",
            adapter_type="ipfs-ipfs",
            connection_details={"endpoint": node.endpoint},
            is_default=True,
            created_by="staff",
        )
        yield node


def decoded(envelope: TransactionEnvelope, passphrase=Network.TESTNET_NETWORK_PASSPHRASE):
    return TransactionEnvelope.from_xdr(envelope.to_xdr(), passphrase)


def signed_by(envelope: TransactionEnvelope, keypair: Keypair) -> bool:
    for signature in envelope.signatures:
        try:
            keypair.verify(envelope.hash(), signature.signature)
            return True
        except BadSignatureError:
            continue
    return False


# --- The transaction ------------------------------------------------------------------------


def test_cid_anchor_carries_the_cid_and_its_digest_and_is_signed(horizon):
    network = stellar_network_for(adapter_type=TESTNET)
    envelope = stellar_anchor_build(
        network=network, account=Account(SIGNER.public_key, 41), cid=CID
    )

    transaction = decoded(envelope).transaction
    assert transaction.source.account_id == SIGNER.public_key
    assert transaction.sequence == 42
    assert transaction.fee == 100
    [operation] = transaction.operations
    assert isinstance(operation, ManageData)
    assert operation.data_name == CID_DATA_NAME
    assert operation.data_value == CID.encode()
    assert isinstance(transaction.memo, HashMemo)
    assert transaction.memo.memo_hash == hashlib.sha256(CONTENT).digest()
    assert transaction.preconditions.time_bounds.max_time > 0

    assert signed_by(decoded(envelope), SIGNER)
    assert not signed_by(decoded(envelope), Keypair.random())
    # Signed for the testnet: the same envelope read as a mainnet one does not verify.
    assert not signed_by(decoded(envelope, Network.PUBLIC_NETWORK_PASSPHRASE), SIGNER)


def test_merkle_root_anchor_carries_the_root(horizon):
    root = hashlib.sha256(b"root").digest()
    network = stellar_network_for(adapter_type=TESTNET)
    envelope = stellar_anchor_build(
        network=network, account=Account(SIGNER.public_key, 7), merkle_root=root
    )
    transaction = decoded(envelope).transaction
    [operation] = transaction.operations
    assert operation.data_name == MERKLE_ROOT_DATA_NAME
    assert operation.data_value == root.hex().encode()
    assert transaction.memo.memo_hash == root
    assert signed_by(decoded(envelope), SIGNER)


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"cid": CID, "merkle_root": b"\0" * 32},
        {"cid": ""},
        {"cid": "b" + "a" * 64},
        {"merkle_root": b"\0" * 31},
    ],
)
def test_what_cannot_be_anchored_is_refused(arguments):
    with pytest.raises(ValueError):
        anchor_payload(**arguments)


# --- Configuration --------------------------------------------------------------------------


def test_without_a_configured_network_nothing_is_submitted(settings):
    with pytest.raises(AdapterNotConfigured, match="No network is configured") as error:
        stellar_anchor_cid(adapter_type=TESTNET, cid=CID)
    assert error.value.details["missing"] == [
        "STELLAR_TESTNET_HORIZON_URL",
        "STELLAR_TESTNET_SECRET_KEY",
    ]
    settings.STELLAR_TESTNET_HORIZON_URL = "http://127.0.0.1:9"
    with pytest.raises(AdapterNotConfigured, match="STELLAR_TESTNET_SECRET_KEY"):
        stellar_anchor_cid(adapter_type=TESTNET, cid=CID)


def test_a_secret_that_is_not_a_seed_is_refused(settings):
    settings.STELLAR_TESTNET_HORIZON_URL = "http://127.0.0.1:9"
    settings.STELLAR_TESTNET_SECRET_KEY = "not-a-seed"
    with pytest.raises(AdapterNotConfigured, match="not a Stellar secret seed"):
        stellar_anchor_cid(adapter_type=TESTNET, cid=CID)


def test_mainnet_is_refused_unless_explicitly_enabled(settings):
    with FakeHorizon(
        passphrase=Network.PUBLIC_NETWORK_PASSPHRASE, accounts={SIGNER.public_key: 5}
    ) as mainnet:
        settings.STELLAR_MAINNET_HORIZON_URL = mainnet.url
        settings.STELLAR_MAINNET_SECRET_KEY = SIGNER.secret
        with pytest.raises(MainnetNotEnabled) as error:
            stellar_anchor_cid(adapter_type=MAINNET, cid=CID)
        assert error.value.error_code == "stellar_mainnet_not_enabled"
        assert mainnet.requests == []

        settings.STELLAR_MAINNET_ENABLED = True
        anchor = stellar_anchor_cid(adapter_type=MAINNET, cid=CID)
    assert anchor.network == "mainnet"
    [envelope] = mainnet.submitted
    assert anchor.transaction_hash == envelope.hash_hex()
    assert signed_by(decoded(envelope, Network.PUBLIC_NETWORK_PASSPHRASE), SIGNER)


# --- Submission (to the local Horizon stand-in) -----------------------------------------------


def test_anchor_is_submitted_and_its_hash_returned(horizon):
    anchor = stellar_anchor_cid(adapter_type=TESTNET, cid=CID)

    [envelope] = horizon.submitted
    assert anchor.transaction_hash == envelope.hash_hex()
    assert len(anchor.transaction_hash) == 64
    assert anchor.ledger == horizon.ledger
    assert (anchor.data_name, anchor.data_value) == (CID_DATA_NAME, CID)
    assert anchor.memo_hash == hashlib.sha256(CONTENT).hexdigest()
    assert horizon.requests == [
        ("GET", f"/accounts/{SIGNER.public_key}"),
        ("POST", "/transactions"),
    ]

    second = stellar_anchor_merkle_root(adapter_type=TESTNET, merkle_root=b"\1" * 32)
    assert horizon.submitted[1].transaction.sequence == 43  # the account's next sequence
    assert second.transaction_hash != anchor.transaction_hash


def test_an_unfunded_signing_account_is_reported(horizon):
    horizon.accounts.clear()
    with pytest.raises(StorageFailed) as error:
        stellar_anchor_cid(adapter_type=TESTNET, cid=CID)
    assert error.value.error_code == "stellar_account_not_found"
    assert "fund it first" in str(error.value.detail)
    assert horizon.submitted == []


def test_a_refused_transaction_is_reported_with_its_result_codes(horizon):
    horizon.check = lambda envelope: "tx_insufficient_fee"
    with pytest.raises(StorageFailed) as error:
        stellar_anchor_cid(adapter_type=TESTNET, cid=CID)
    assert error.value.error_code == "stellar_transaction_failed"
    assert error.value.details["result_codes"] == {"transaction": "tx_insufficient_fee"}


def test_a_silent_horizon_is_reported(settings):
    settings.STELLAR_TESTNET_HORIZON_URL = "http://127.0.0.1:9"
    settings.STELLAR_TESTNET_SECRET_KEY = SIGNER.secret
    with pytest.raises(StorageFailed) as error:
        stellar_anchor_cid(adapter_type=TESTNET, cid=CID)
    assert error.value.error_code == "stellar_unreachable"


# --- Storage history ----------------------------------------------------------------------------


def test_anchoring_an_items_cid_is_recorded_in_storage_history(horizon, user):
    item = ItemFactory(created_by=user)
    record = item_cid_anchor(
        item=item,
        adapter_type=TESTNET,
        cid=CID,
        triggered_by=StorageTrigger.MANUAL,
        triggered_by_id=user.user_id,
    )
    [envelope] = horizon.submitted
    assert record.storage_location["Stellar"]["transaction_id"] == envelope.hash_hex()
    assert record.storage_location["Stellar"]["cid"] == CID
    assert record.metadata == {"network": "stellar-testnet", "ipfs_cid": CID}
    assert record.is_active


def test_refused_anchor_records_nothing(user):
    item = ItemFactory(created_by=user)
    with pytest.raises(AdapterNotConfigured):
        item_cid_anchor(
            item=item,
            adapter_type=TESTNET,
            cid=CID,
            triggered_by=StorageTrigger.MANUAL,
            triggered_by_id=user.user_id,
        )
    assert not StorageHistory.objects.exists()


def test_push_through_a_stellar_circuit_stores_in_ipfs_and_anchors_the_cid(horizon, kubo, user):
    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": TESTNET})
    item = ItemFactory(created_by=user)
    EventFactory(item=item)

    record = item_store_for_circuit(circuit=circuit, item=item, user=user)

    location = record.storage_location["Stellar"]
    [envelope] = horizon.submitted
    assert location["transaction_id"] == envelope.hash_hex()
    assert location["network"] == "testnet"
    cid = location["cid"]
    assert cid in kubo.pins and cid == cid_v1_raw(kubo.blocks[cid])
    assert decoded(envelope).transaction.operations[0].data_value == cid.encode()
    backend = storage_adapter_for(adapter_type=TESTNET)
    assert json.loads(backend.retrieve(record.storage_location))["dfid"] == item.dfid

    body = client_for(user).get(f"/api/items/{item.dfid}/storage-history").json()
    [row] = body["records"]
    assert row["network"] == "stellar-testnet"
    assert row["ipfs_cid"] == cid and row["ipfs_pinned"] is True
    history = client_for(user).get(f"/api/storage-history/{item.dfid}").json()["data"]
    assert history["current_primary"]["Stellar"]["transaction_id"] == envelope.hash_hex()


def test_stellar_without_ipfs_refuses_before_anchoring(horizon, user):
    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": TESTNET})
    with pytest.raises(AdapterNotConfigured, match="No IPFS node is configured"):
        item_store_for_circuit(circuit=circuit, item=ItemFactory(created_by=user), user=user)
    assert horizon.requests == []
    assert not StorageHistory.objects.exists()


# --- Routes ---------------------------------------------------------------------------------------


def test_migration_to_stellar_anchors_and_answers_the_transaction(horizon, kubo, db):
    user = UserFactory(tier=Tier.PROFESSIONAL)
    item = ItemFactory(created_by=user)
    response = client_for(user).post(
        f"/api/storage-history/{item.dfid}/migrate",
        {"target_adapter_type": "StellarTestnetIpfs"},
        format="json",
    )
    assert response.status_code == 200, response.content
    [envelope] = horizon.submitted
    location = response.json()["data"]["storage_location"]["Stellar"]
    assert location["transaction_id"] == envelope.hash_hex()


def test_migration_to_mainnet_not_enabled_is_refused_in_the_error_shape(staff_user, user):
    item = ItemFactory(created_by=user)
    response = client_for(staff_user).post(
        f"/api/storage-history/{item.dfid}/migrate",
        {"target_adapter_type": MAINNET},
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["success"] is False
    assert body["error"] == "stellar_mainnet_not_enabled"
    assert "STELLAR_MAINNET_ENABLED" in body["message"]
    assert not StorageHistory.objects.exists()


def test_status_and_health_report_the_network(horizon, kubo, user):
    client = client_for(user)
    status = client.get(f"/api/adapters/{TESTNET}/status").json()["status"]
    assert status["is_synced"] is True and status["details"]["configured"] is True
    health = client.get(f"/api/adapters/{TESTNET}/health")
    assert health.status_code == 200 and health.json()["healthy"] is True

    horizon.accounts.clear()
    unhealthy = client.get(f"/api/adapters/{TESTNET}/health")
    assert unhealthy.status_code == 503
    assert "does not exist" in unhealthy.json()["message"]


def test_status_and_health_say_when_no_network_is_configured(user):
    client = client_for(user)
    status = client.get(f"/api/adapters/{MAINNET}/status").json()["status"]
    assert status["is_synced"] is False
    assert "STELLAR_MAINNET_ENABLED" in status["details"]["reason"]
    health = client.get(f"/api/adapters/{TESTNET}/health")
    assert health.status_code == 503
    assert "No network is configured" in health.json()["message"]


def test_adapter_list_says_stellar_is_configured_only_with_network_and_ipfs(settings, db):
    staff = UserFactory(tier=Tier.ADMIN)
    client = client_for(staff)

    def configured():
        entries = {
            row["adapter_type"]: row for row in client.get("/api/adapters").json()["adapters"]
        }
        return entries[TESTNET]["configured"], entries[MAINNET]["configured"]

    assert configured() == (False, False)
    settings.STELLAR_TESTNET_HORIZON_URL = "http://127.0.0.1:9"
    settings.STELLAR_TESTNET_SECRET_KEY = SIGNER.secret
    assert configured() == (False, False)  # no IPFS node for the content yet
    AdapterConfig.objects.create(
        name="node",
        adapter_type="ipfs-ipfs",
        connection_details={"endpoint": "http://127.0.0.1:9"},
        created_by="staff",
    )
    assert configured() == (True, False)
    settings.STELLAR_MAINNET_HORIZON_URL = "http://127.0.0.1:9"
    settings.STELLAR_MAINNET_SECRET_KEY = SIGNER.secret
    assert configured() == (True, False)  # mainnet not enabled
    settings.STELLAR_MAINNET_ENABLED = True
    assert configured() == (True, True)


# --- POST /api/test/test-push (staff) ------------------------------------------------------------


def test_test_push_is_staff_only(api_client, user):
    body = {"adapter_type": "local", "test_data": "hello"}
    assert api_client.post("/api/test/test-push", body, format="json").status_code == 401
    response = client_for(user).post("/api/test/test-push", body, format="json")
    assert response.status_code == 403


def test_test_push_to_the_local_store_answers_its_cid(staff_user):
    response = client_for(staff_user).post(
        "/api/test/test-push", {"adapter_type": "local", "test_data": "hello"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True and body["adapter_type"] == "Local-Local"
    assert body["hash"] == body["location"]["Local"]["id"]
    data = storage_adapter_for(adapter_type="local").retrieve(body["location"])
    assert json.loads(data)["test_data"] == "hello"
    assert not StorageHistory.objects.exists()


def test_test_push_to_stellar_testnet_anchors_and_answers_the_hash(horizon, kubo, staff_user):
    response = client_for(staff_user).post(
        "/api/test/test-push",
        {"adapter_type": "stellar-testnet", "test_data": "hello"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    [envelope] = horizon.submitted
    assert body["adapter_type"] == "Stellar-Testnet-IPFS"
    assert body["storage_location"] == "Stellar Testnet + IPFS"
    assert body["hash"] == envelope.hash_hex()
    cid = body["location"]["Stellar"]["cid"]
    assert json.loads(kubo.blocks[cid])["test_data"] == "hello"


def test_test_push_refuses_mainnet_and_unknown_targets(staff_user):
    client = client_for(staff_user)
    mainnet = client.post(
        "/api/test/test-push", {"adapter_type": "stellar-mainnet", "test_data": "x"}, format="json"
    )
    assert mainnet.status_code == 409
    assert mainnet.json()["error"] == "stellar_mainnet_not_enabled"
    testnet = client.post(
        "/api/test/test-push", {"adapter_type": "stellar-testnet", "test_data": "x"}, format="json"
    )
    assert testnet.status_code == 409 and testnet.json()["error"] == "adapter_not_configured"
    unknown = client.post(
        "/api/test/test-push", {"adapter_type": "ethereum", "test_data": "x"}, format="json"
    )
    assert unknown.status_code == 400 and unknown.json()["success"] is False


@pytest.mark.ipfs
def test_anchoring_through_a_real_ipfs_node(ipfs_node, horizon, user):
    """The content goes to a real IPFS node (js-ipfs), the anchor to the Horizon stand-in: the
    CID the transaction carries is the node's, and its memo is the SHA-256 of the stored bytes."""
    AdapterConfig.objects.create(
        name="test node",
        adapter_type="ipfs-ipfs",
        connection_details={"endpoint": ipfs_node.endpoint},
        is_default=True,
        created_by="staff",
    )
    circuit = CircuitFactory(owner=user, adapter_config={"adapter_type": TESTNET})
    item = ItemFactory(created_by=user)

    record = item_store_for_circuit(circuit=circuit, item=item, user=user)

    cid = record.storage_location["Stellar"]["cid"]
    stored = ipfs_node.call("cat", arg=cid)
    assert cid == cid_v1_raw(stored)
    [envelope] = horizon.submitted
    transaction = decoded(envelope).transaction
    assert transaction.operations[0].data_value == cid.encode()
    assert transaction.memo.memo_hash == hashlib.sha256(stored).digest()
    assert record.storage_location["Stellar"]["transaction_id"] == envelope.hash_hex()
