"""Reads: adapter configurations, the adapters a user may use, storage history."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from rest_framework.exceptions import NotFound

from accounts.models import User
from accounts.services.tiers import user_available_adapters
from adapters import registry
from adapters.backends import (
    AdapterNotConfigured,
    IpfsStorageAdapter,
    LocalStorageAdapter,
    StorageAdapter,
    UnavailableStorageAdapter,
)
from adapters.models import AdapterConfig, StorageHistory, StorageTrigger
from defarm.timeutils import unix_now

MASK = "********"
_SECRET_WORDS = ("secret", "password", "token", "key", "private", "credential", "mnemonic", "seed")


def connection_value_is_secret(name: str) -> bool:
    lowered = name.lower()
    return not lowered.startswith("public") and any(word in lowered for word in _SECRET_WORDS)


def connection_details_masked(value: Any) -> Any:
    """``value`` with every secret-looking entry (at any depth) replaced by ``********``."""
    if isinstance(value, dict):
        return {
            key: MASK
            if connection_value_is_secret(str(key)) and item not in (None, "")
            else connection_details_masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [connection_details_masked(item) for item in value]
    return value


def adapter_configs_list() -> QuerySet[AdapterConfig]:
    return AdapterConfig.objects.order_by("adapter_type", "name", "config_id")


def adapter_config_default(*, adapter_type: str) -> AdapterConfig | None:
    """The active configuration of ``adapter_type``: its default, else the first active one."""
    return (
        AdapterConfig.objects.filter(adapter_type=adapter_type, is_active=True)
        .order_by("-is_default", "name", "config_id")
        .first()
    )


def adapter_types_for_user(*, user: User) -> list[dict[str, Any]]:
    """The adapter types ``user`` may pick, with whether each can store right now."""
    allowed = user_available_adapters(user=user)
    configured = set(
        AdapterConfig.objects.filter(is_active=True).values_list("adapter_type", flat=True)
    )
    if allowed is None:
        names = [*registry.ADAPTER_TYPES]
        names += sorted(
            name
            for name in configured
            if name.startswith(registry.CUSTOM_PREFIX) and registry.adapter_type_is_known(name)
        )
    else:
        names = [name for name in allowed if registry.adapter_type_is_known(name)]
    result = []
    for name in names:
        described = registry.adapter_type_describe(name)
        item_storage, event_storage = registry.adapter_type_storage_backends(name)
        result.append(
            {
                "adapter_type": name,
                "name": name,
                "description": described.description,
                "item_storage": item_storage,
                "event_storage": event_storage,
                "requires_blockchain": registry.adapter_type_requires_blockchain(name),
                "available": True,
                "stores_content": described.stores_content,
                "configured": _adapter_type_configured(name, configured),
            }
        )
    return result


def _adapter_type_configured(adapter_type: str, configured: set[str]) -> bool:
    """Whether ``adapter_type`` has what it needs to store (without asking its backend, which
    ``/health`` does): its active configuration; for Stellar, its network settings and an IPFS
    node (its own configuration's or the IPFS adapter's); never for the types DeFarm has no
    backend for."""
    if adapter_type in (registry.STELLAR_TESTNET, registry.STELLAR_MAINNET):
        from adapters.stellar import stellar_network_problem

        has_ipfs = adapter_type in configured or registry.IPFS in configured
        return has_ipfs and stellar_network_problem(adapter_type=adapter_type) is None
    if adapter_type in (registry.ETHEREUM_GOERLI, registry.POLYGON_ARWEAVE):
        return False
    described = registry.adapter_type_describe(adapter_type)
    return not described.needs_config or adapter_type in configured


def adapter_type_status(*, adapter_type: str) -> dict[str, Any]:
    """How storing through ``adapter_type`` stands: whether it can store, when it last did and
    how many records it holds. DeFarm stores inside the request that asks for it (a failed
    store refuses the request), so no operation is ever left pending or failed."""
    backend = storage_adapter_for(adapter_type=adapter_type)
    described = registry.adapter_type_describe(adapter_type)
    reason = backend.reason if isinstance(backend, UnavailableStorageAdapter) else None
    records = StorageHistory.objects.filter(adapter_type=adapter_type)
    newest = records.order_by("-stored_at_ts").values_list("stored_at_ts", flat=True).first()
    details: dict[str, Any] = {
        "configured": reason is None,
        "stores_content": described.stores_content,
        "records": records.count(),
    }
    if reason:
        details["reason"] = reason
    return {
        "adapter_type": adapter_type,
        "is_synced": reason is None,
        "pending_operations": 0,
        "last_sync": datetime.fromtimestamp(newest, tz=UTC) if newest is not None else None,
        "error_count": 0,
        "details": details,
    }


def adapter_type_health_problem(*, adapter_type: str) -> str | None:
    """None when ``adapter_type`` can store right now (its backend answers), else why not."""
    backend = storage_adapter_for(adapter_type=adapter_type)
    return None if backend is None else backend.health_problem()


def local_store_root():
    return settings.DATA_DIR / "local-store"


def storage_adapter_for(*, adapter_type: str) -> StorageAdapter | None:
    """The backend that writes ``adapter_type``; None for ``none`` (nothing is stored)."""
    if adapter_type == registry.NONE:
        return None
    if adapter_type == registry.LOCAL:
        return LocalStorageAdapter(local_store_root())
    if not registry.adapter_type_is_known(adapter_type):
        return UnavailableStorageAdapter(adapter_type, f"Unknown adapter type {adapter_type!r}.")
    config = adapter_config_default(adapter_type=adapter_type)
    details = (config.connection_details or {}) if config else {}
    if adapter_type == registry.IPFS or adapter_type.startswith(registry.CUSTOM_PREFIX):
        endpoint = details.get("endpoint")
        if not endpoint:
            return UnavailableStorageAdapter(
                adapter_type,
                f"No endpoint is configured for the {adapter_type} adapter: staff must add an "
                "active adapter configuration with connection_details.endpoint.",
            )
        return IpfsStorageAdapter(
            str(endpoint),
            auth_token=details.get("auth_token") or None,
            timeout=float(details.get("timeout_seconds", 30)),
        )
    if adapter_type in (registry.STELLAR_TESTNET, registry.STELLAR_MAINNET):
        return _stellar_storage_adapter(adapter_type=adapter_type, details=details)
    return UnavailableStorageAdapter(
        adapter_type,
        f"Storing through {adapter_type} is not available in this deployment (no DeFarm backend "
        "writes to that network); nothing was stored.",
    )


def _stellar_storage_adapter(*, adapter_type: str, details: dict[str, Any]) -> StorageAdapter:
    """IPFS for the content (the Stellar configuration's ``ipfs_endpoint``, else the IPFS
    adapter's endpoint) and the network of ``adapter_type`` for the anchor; unavailable, with
    the reason, when either is not configured (or mainnet is not enabled)."""
    from adapters.stellar import StellarStorageAdapter, stellar_network_for

    try:
        network = stellar_network_for(adapter_type=adapter_type)
    except AdapterNotConfigured as error:
        return UnavailableStorageAdapter(adapter_type, str(error.detail), code=error.error_code)
    ipfs_details = details
    if not details.get("ipfs_endpoint"):
        ipfs_config = adapter_config_default(adapter_type=registry.IPFS)
        ipfs_details = (ipfs_config.connection_details or {}) if ipfs_config else {}
    endpoint = details.get("ipfs_endpoint") or ipfs_details.get("endpoint")
    if not endpoint:
        return UnavailableStorageAdapter(
            adapter_type,
            f"No IPFS node is configured for the content of the {adapter_type} adapter: staff "
            "must add connection_details.ipfs_endpoint to its configuration, or an active "
            "ipfs-ipfs configuration; nothing was stored.",
        )
    ipfs = IpfsStorageAdapter(
        str(endpoint),
        auth_token=ipfs_details.get("ipfs_auth_token") or ipfs_details.get("auth_token") or None,
        timeout=float(ipfs_details.get("timeout_seconds", 30)),
    )
    return StellarStorageAdapter(network, ipfs)


def storage_history_for_item(*, item) -> QuerySet[StorageHistory]:
    """Newest first."""
    return StorageHistory.objects.filter(item=item).order_by("-stored_at_ts", "-created_at", "-id")


def storage_history_visible(*, item, user: User) -> QuerySet[StorageHistory]:
    """The item's storage records ``user`` may read (newest first). What a circuit stored is
    the item as that circuit holds it (the layers shared with it), so only its members (and
    staff) see where; manual migrations (and records that name no circuit) hold the creator's
    layer, which the caller of this already sees (``item_get_for_storage``)."""
    records = storage_history_for_item(item=item)
    if user.is_admin:
        return records
    from circuits.models import CircuitMember

    circuits = [
        str(circuit_id)
        for circuit_id in CircuitMember.objects.filter(member=user).values_list(
            "circuit_id", flat=True
        )
    ]
    return records.filter(
        Q(triggered_by_id__in=circuits)
        | Q(triggered_by=StorageTrigger.MANUAL)
        | Q(triggered_by_id__isnull=True)  # written before records named their circuit
    )


def storage_history_public(*, item) -> QuerySet[StorageHistory]:
    """The records of what public circuits publishing the item stored (newest first)."""
    return storage_history_for_item(item=item).filter(
        triggered_by_id__in=[str(circuit_id) for circuit_id in item.public_circuit_ids]
    )


def storage_history_primary(*, item) -> StorageHistory | None:
    """The item's current primary location: its newest active storage record."""
    return storage_history_for_item(item=item).filter(is_active=True).first()


def storage_history_statistics(*, user: User) -> dict[str, Any]:
    """Counts over the storage records of the items ``user`` may see (every item for staff):
    items tracked, records, records per adapter type, and records written by a circuit push or
    a migration."""
    from items.selectors import items_visible_to

    records = StorageHistory.objects.order_by()
    if not user.is_admin:
        records = records.filter(item__in=items_visible_to(user=user).order_by().values("dfid"))
    distribution: dict[str, int] = {}
    for adapter_type, count in records.values_list("adapter_type").annotate(count=Count("id")):
        distribution[adapter_type] = distribution.get(adapter_type, 0) + count
    return {
        "total_items_tracked": records.values("item_id").distinct().count(),
        "total_storage_locations": sum(distribution.values()),
        "adapter_distribution": dict(sorted(distribution.items())),
        "migration_count": records.filter(
            Q(triggered_by__contains="migration") | Q(triggered_by__contains="circuit")
        ).count(),
        "generated_at": datetime.now(tz=UTC),
    }


def item_get_for_storage(*, user: User, dfid: str):
    """The item ``dfid`` when ``user`` may see it and its creator's layer (where the item row
    was stored is the creator's data); 404 otherwise."""
    from items.selectors import item_get_visible

    return item_get_visible(user=user, dfid=dfid, require_base=True)


def _public_settings_open(public_settings: dict[str, Any] | None) -> bool:
    """Public circuits show their published items without login; protected ones need a
    password and are not open here; scheduled ones open at ``public_from_ts``."""
    settings_ = public_settings or {}
    if not settings_.get("enabled", True):
        return False
    mode = settings_.get("access_mode")
    if mode == "public":
        return True
    if mode == "scheduled":
        try:
            return int(settings_.get("public_from_ts")) <= unix_now()
        except (TypeError, ValueError):
            return False
    return False


def item_get_public(*, dfid: str):
    """The item ``dfid`` when a public circuit holds and publishes it; 404 otherwise."""
    from circuits.models import CircuitItem, CircuitPublishedItem

    publishing = CircuitPublishedItem.objects.filter(item_id=dfid).values("circuit_id")
    holdings = CircuitItem.objects.filter(item_id=dfid, circuit_id__in=publishing).select_related(
        "circuit", "item"
    )
    item = None
    public_circuit_ids = []
    for holding in holdings:
        if _public_settings_open(holding.circuit.public_settings or {}):
            item = holding.item
            public_circuit_ids.append(holding.circuit_id)
    if item is None:
        raise NotFound(f"Item {dfid} is not published in a public circuit.")
    item.public_circuit_ids = public_circuit_ids  # what storage_history_public shows
    return item
