"""Anchoring on Stellar with the official SDK (``stellar-sdk``).

An anchor is one transaction from DeFarm's signing account to itself that carries what it
anchors twice:

- a ``manage_data`` entry: ``defarm.cid`` = the CID (a CIDv1 is 59 bytes, within the 64 a data
  value holds), or ``defarm.merkle_root`` = the root as 64 hex digits;
- the memo hash: the 32-byte SHA-256 the CID names (the digest of the stored bytes), or the
  Merkle root itself.

The entry's name is always the same, so the account keeps one entry (no growing reserve) and the
history of anchors is the account's transactions. The transaction is signed with the secret key
of the network's environment variable and submitted to the configured Horizon URL. Testnet needs
``STELLAR_TESTNET_HORIZON_URL`` and ``STELLAR_TESTNET_SECRET_KEY``; mainnet also needs
``STELLAR_MAINNET_ENABLED=true``, otherwise it is refused. Without a configured network nothing
is built or submitted.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework import status
from stellar_sdk import Account, Keypair, Network, Server, TransactionBuilder, TransactionEnvelope
from stellar_sdk import exceptions as sdk_errors
from stellar_sdk.client.requests_client import RequestsClient

from adapters import registry
from adapters.backends import (
    AdapterNotConfigured,
    IpfsStorageAdapter,
    StorageAdapter,
    StorageFailed,
)
from adapters.cid import cid_v1_raw_digest

CID_DATA_NAME = "defarm.cid"
MERKLE_ROOT_DATA_NAME = "defarm.merkle_root"
MANAGE_DATA_VALUE_MAX = 64

_NETWORKS = {
    registry.STELLAR_TESTNET: ("testnet", Network.TESTNET_NETWORK_PASSPHRASE),
    registry.STELLAR_MAINNET: ("mainnet", Network.PUBLIC_NETWORK_PASSPHRASE),
}


class MainnetNotEnabled(AdapterNotConfigured):
    """Stellar mainnet was asked for but this deployment has not explicitly enabled it."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "stellar_mainnet_not_enabled"
    default_detail = (
        "Anchoring on the Stellar mainnet is not enabled in this deployment "
        "(STELLAR_MAINNET_ENABLED); nothing was submitted."
    )


@dataclass(frozen=True)
class StellarNetwork:
    """Where and as whom anchors of one adapter type are submitted."""

    adapter_type: str
    name: str  # "testnet" or "mainnet"
    passphrase: str
    horizon_url: str
    keypair: Keypair
    base_fee: int
    timeout: float

    @property
    def public_key(self) -> str:
        return self.keypair.public_key

    def server(self) -> Server:
        client = RequestsClient(
            num_retries=0, request_timeout=int(self.timeout), post_timeout=self.timeout
        )
        return Server(horizon_url=self.horizon_url, client=client)


@dataclass(frozen=True)
class StellarAnchor:
    """A submitted anchor: its transaction hash and what it carried."""

    transaction_hash: str
    network: str
    adapter_type: str
    source_account: str
    ledger: int | None
    data_name: str
    data_value: str
    memo_hash: str  # hex

    def as_dict(self) -> dict[str, Any]:
        return {
            "transaction_hash": self.transaction_hash,
            "network": self.network,
            "adapter_type": self.adapter_type,
            "source_account": self.source_account,
            "ledger": self.ledger,
            "data_name": self.data_name,
            "data_value": self.data_value,
            "memo_hash": self.memo_hash,
        }


def _network_settings(name: str) -> tuple[str, str]:
    if name == "mainnet":
        return settings.STELLAR_MAINNET_HORIZON_URL, settings.STELLAR_MAINNET_SECRET_KEY
    return settings.STELLAR_TESTNET_HORIZON_URL, settings.STELLAR_TESTNET_SECRET_KEY


def stellar_network_for(*, adapter_type: str) -> StellarNetwork:
    """The configured network of ``adapter_type`` (``stellar_testnet-ipfs``,
    ``stellar_mainnet-ipfs``). Raises AdapterNotConfigured when its Horizon URL or signing key
    is missing or the key is not a Stellar secret seed, MainnetNotEnabled for mainnet unless
    explicitly enabled."""
    if adapter_type not in _NETWORKS:
        raise AdapterNotConfigured(
            f"{adapter_type!r} is not a Stellar adapter type; use "
            f"{registry.STELLAR_TESTNET} or {registry.STELLAR_MAINNET}.",
            details={"adapter_type": adapter_type},
        )
    name, passphrase = _NETWORKS[adapter_type]
    if name == "mainnet" and not settings.STELLAR_MAINNET_ENABLED:
        raise MainnetNotEnabled(details={"adapter_type": adapter_type})
    horizon_url, secret = _network_settings(name)
    prefix = f"STELLAR_{name.upper()}"
    missing = [
        variable
        for variable, value in (
            (f"{prefix}_HORIZON_URL", horizon_url),
            (f"{prefix}_SECRET_KEY", secret),
        )
        if not value
    ]
    if missing:
        raise AdapterNotConfigured(
            f"No network is configured for the {adapter_type} adapter: set "
            f"{' and '.join(missing)}; nothing was submitted.",
            details={"adapter_type": adapter_type, "missing": missing},
        )
    try:
        keypair = Keypair.from_secret(secret)
    except (sdk_errors.Ed25519SecretSeedInvalidError, ValueError) as error:
        raise AdapterNotConfigured(
            f"{prefix}_SECRET_KEY is not a Stellar secret seed (S...); nothing was submitted.",
            details={"adapter_type": adapter_type},
        ) from error
    return StellarNetwork(
        adapter_type=adapter_type,
        name=name,
        passphrase=passphrase,
        horizon_url=horizon_url.rstrip("/") + "/",
        keypair=keypair,
        base_fee=settings.STELLAR_BASE_FEE,
        timeout=settings.STELLAR_TIMEOUT,
    )


def stellar_network_problem(*, adapter_type: str) -> str | None:
    """None when the network of ``adapter_type`` is configured (and, for mainnet, enabled);
    otherwise why not. Reads settings only."""
    try:
        stellar_network_for(adapter_type=adapter_type)
    except AdapterNotConfigured as error:
        return str(error.detail)
    return None


def _cid_memo(cid: str) -> bytes:
    """The 32 bytes a CID puts in the memo: the SHA-256 a raw CIDv1 names (the digest of the
    stored bytes); for any other CID, the SHA-256 of its text."""
    try:
        return cid_v1_raw_digest(cid)
    except ValueError:
        return hashlib.sha256(cid.encode("utf-8")).digest()


def anchor_payload(
    *, cid: str | None = None, merkle_root: bytes | None = None
) -> tuple[str, bytes, bytes]:
    """(data name, data value, memo hash) of an anchor of ``cid`` or of ``merkle_root``
    (exactly one); ValueError when neither, both, or a value that does not fit."""
    if (cid is None) == (merkle_root is None):
        raise ValueError("Anchor either a cid or a merkle_root.")
    if cid is not None:
        value = cid.encode("utf-8")
        if not cid or len(value) > MANAGE_DATA_VALUE_MAX:
            raise ValueError(f"A CID of 1 to {MANAGE_DATA_VALUE_MAX} bytes is anchored.")
        return CID_DATA_NAME, value, _cid_memo(cid)
    if len(merkle_root) != 32:
        raise ValueError("A Merkle root is 32 bytes (SHA-256).")
    return MERKLE_ROOT_DATA_NAME, merkle_root.hex().encode("ascii"), merkle_root


def stellar_anchor_build(
    *,
    network: StellarNetwork,
    account: Account,
    cid: str | None = None,
    merkle_root: bytes | None = None,
) -> TransactionEnvelope:
    """The signed anchor transaction of ``cid`` or ``merkle_root`` from ``account`` (its
    sequence as Horizon gave it), valid for five minutes."""
    name, value, memo = anchor_payload(cid=cid, merkle_root=merkle_root)
    envelope = (
        TransactionBuilder(
            source_account=account,
            network_passphrase=network.passphrase,
            base_fee=network.base_fee,
        )
        .append_manage_data_op(data_name=name, data_value=value)
        .add_hash_memo(memo)
        .set_timeout(300)
        .build()
    )
    envelope.sign(network.keypair)
    return envelope


def _horizon_failure(network: StellarNetwork, action: str, error: Exception) -> StorageFailed:
    if isinstance(error, sdk_errors.NotFoundError):
        return StorageFailed(
            f"The signing account {network.public_key} does not exist on the Stellar "
            f"{network.name} ({network.horizon_url}); fund it first. Nothing was anchored.",
            code="stellar_account_not_found",
            details={"account": network.public_key, "network": network.name},
        )
    if isinstance(error, sdk_errors.BaseHorizonError):
        extras = error.extras or {}
        return StorageFailed(
            f"Horizon refused to {action}: {error.title or error.status}"
            f"{' ' + str(error.detail) if error.detail else ''}",
            code="stellar_transaction_failed",
            details={
                "network": network.name,
                "status": error.status,
                "result_codes": extras.get("result_codes"),
            },
        )
    return StorageFailed(
        f"Horizon at {network.horizon_url} did not answer ({action}): {error}",
        code="stellar_unreachable",
        details={"network": network.name},
    )


def stellar_anchor_submit(
    *, network: StellarNetwork, cid: str | None = None, merkle_root: bytes | None = None
) -> StellarAnchor:
    """Load the signing account's sequence from Horizon, build and sign the anchor, submit it
    (``POST /transactions``) and return its hash. StorageFailed when Horizon refuses or does not
    answer (nothing was anchored)."""
    name, value, memo = anchor_payload(cid=cid, merkle_root=merkle_root)
    server = network.server()
    try:
        account = server.load_account(network.public_key)
    except (sdk_errors.BaseHorizonError, sdk_errors.ConnectionError, sdk_errors.SdkError) as error:
        raise _horizon_failure(network, "load the signing account", error) from error
    envelope = stellar_anchor_build(
        network=network, account=account, cid=cid, merkle_root=merkle_root
    )
    try:
        answer = server.submit_transaction(envelope, skip_memo_required_check=True)
    except (sdk_errors.BaseHorizonError, sdk_errors.ConnectionError, sdk_errors.SdkError) as error:
        raise _horizon_failure(network, "accept the anchor transaction", error) from error
    transaction_hash = envelope.hash_hex()
    if answer.get("hash") not in (None, transaction_hash):
        raise StorageFailed(
            f"Horizon answered for transaction {answer.get('hash')}, not {transaction_hash}.",
            code="stellar_transaction_failed",
        )
    if answer.get("successful") is False:
        raise StorageFailed(
            f"Horizon recorded transaction {transaction_hash} as failed.",
            code="stellar_transaction_failed",
        )
    ledger = answer.get("ledger")
    return StellarAnchor(
        transaction_hash=transaction_hash,
        network=network.name,
        adapter_type=network.adapter_type,
        source_account=network.public_key,
        ledger=ledger if isinstance(ledger, int) else None,
        data_name=name,
        data_value=value.decode("ascii"),
        memo_hash=memo.hex(),
    )


def stellar_health_problem(*, network: StellarNetwork) -> str | None:
    """None when Horizon answers and knows the signing account; otherwise why not."""
    try:
        network.server().load_account(network.public_key)
    except (sdk_errors.BaseHorizonError, sdk_errors.ConnectionError, sdk_errors.SdkError) as error:
        return str(_horizon_failure(network, "load the signing account", error).detail)
    return None


class StellarStorageAdapter(StorageAdapter):
    """``stellar_*-ipfs``: the content is stored in IPFS (single raw block, its CID checked) and
    the CID anchored in a Stellar transaction. The location names both."""

    def __init__(self, network: StellarNetwork, ipfs: IpfsStorageAdapter):
        self.network = network
        self.adapter_type = network.adapter_type
        self.ipfs = ipfs

    def health_problem(self) -> str | None:
        return self.ipfs.health_problem() or stellar_health_problem(network=self.network)

    def store(self, content: bytes | dict[str, Any]) -> dict[str, Any]:
        stored = self.ipfs.store(content)["IPFS"]
        anchor = stellar_anchor_submit(network=self.network, cid=stored["cid"])
        return {
            "Stellar": {
                "transaction_id": anchor.transaction_hash,
                "contract_address": None,
                "asset_id": None,
                "network": anchor.network,
                "source_account": anchor.source_account,
                "ledger": anchor.ledger,
                "cid": stored["cid"],
                "pinned": stored["pinned"],
                "size": stored["size"],
            }
        }

    def retrieve(self, location: dict[str, Any]) -> bytes:
        cid = str((location.get("Stellar") or {}).get("cid") or "")
        if not cid:
            raise StorageFailed("The Stellar location names no IPFS cid.")
        return self.ipfs.retrieve({"IPFS": {"cid": cid}})
