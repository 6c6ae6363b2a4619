"""Writes: staff-managed adapter configurations and storing items through an adapter."""

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from accounts.models import User
from accounts.services.credits import credits_charge
from accounts.services.tiers import tier_check_adapter
from accounts.tiers import CreditOperation
from adapters import registry
from adapters.backends import UnavailableStorageAdapter
from adapters.models import AdapterConfig, StorageHistory, StorageTrigger
from adapters.selectors import (
    MASK,
    connection_details_masked,
    storage_adapter_for,
    storage_history_for_item,
    storage_history_primary,
)
from audit.services import admin_action_record
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now

# --- Adapter configurations (staff) -----------------------------------------------------------


def _lock_adapter_type(adapter_type: str) -> None:
    """Serialise changes to the configurations of one adapter type until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"adapter:{adapter_type}"]
            )
    else:
        list(AdapterConfig.objects.select_for_update().filter(adapter_type=adapter_type))


def _validate_adapter_type(adapter_type: str) -> None:
    if not registry.adapter_type_is_known(adapter_type):
        raise ValidationError(
            {
                "adapter_type": [
                    f"Unknown adapter type {adapter_type!r}; use one of "
                    f"{', '.join(registry.ADAPTER_TYPES)} or custom-<name>."
                ]
            }
        )


def _keep_masked_secrets(new: Any, old: Any) -> Any:
    """Values sent back as ``********`` keep the stored secret."""
    if isinstance(new, dict):
        old = old if isinstance(old, dict) else {}
        return {key: _keep_masked_secrets(value, old.get(key)) for key, value in new.items()}
    if new == MASK and old is not None:
        return old
    return new


def _save_default(config: AdapterConfig) -> AdapterConfig:
    """Save ``config``; when it is the default, the other configs of its type stop being."""
    _lock_adapter_type(config.adapter_type)
    if config.is_default:
        AdapterConfig.objects.filter(adapter_type=config.adapter_type, is_default=True).exclude(
            pk=config.pk
        ).update(is_default=False, updated_at_ts=unix_now())
    try:
        with transaction.atomic():
            config.save()
    except IntegrityError as error:
        raise Conflict(
            f"Another default configuration of {config.adapter_type} was saved at the same time."
        ) from error
    return config


@transaction.atomic
def adapter_config_create(
    *,
    admin: User,
    name: str,
    adapter_type: str,
    connection_details: dict[str, Any] | None = None,
    contract_configs: dict[str, Any] | None = None,
    description: str | None = None,
    is_active: bool = True,
    is_default: bool = False,
) -> AdapterConfig:
    _validate_adapter_type(adapter_type)
    config = AdapterConfig(
        name=name,
        adapter_type=adapter_type,
        description=description,
        connection_details=connection_details or {},
        contract_configs=contract_configs,
        is_active=is_active,
        is_default=is_default,
        created_by=admin.user_id,
    )
    _save_default(config)
    admin_action_record(
        admin=admin,
        action_type="adapter_config_create",
        target_id=str(config.config_id),
        data={"adapter_type": adapter_type, "name": name, "is_default": is_default},
    )
    return config


@transaction.atomic
def adapter_config_update(
    *, admin: User, config: AdapterConfig, changes: dict[str, Any]
) -> AdapterConfig:
    config = AdapterConfig.objects.select_for_update().get(pk=config.pk)
    if "adapter_type" in changes:
        _validate_adapter_type(changes["adapter_type"])
    for field in ("connection_details", "contract_configs"):
        if field in changes:
            changes[field] = _keep_masked_secrets(changes[field], getattr(config, field))
    for field, value in changes.items():
        setattr(config, field, value)
    config.updated_at_ts = unix_now()
    _save_default(config)
    admin_action_record(
        admin=admin,
        action_type="adapter_config_update",
        target_id=str(config.config_id),
        data={
            field: connection_details_masked(value)
            if field in {"connection_details", "contract_configs"}
            else value
            for field, value in changes.items()
        },
    )
    return config


@transaction.atomic
def adapter_config_delete(*, admin: User, config: AdapterConfig) -> None:
    admin_action_record(
        admin=admin,
        action_type="adapter_config_delete",
        target_id=str(config.config_id),
        data={"adapter_type": config.adapter_type, "name": config.name},
    )
    config.delete()


# --- Storing items ------------------------------------------------------------------------------


def item_storage_snapshot(*, item, circuit_id=None) -> dict[str, Any]:
    """What a store writes: the item's identity, identifiers and data, and its public events
    (oldest first). Private and circuit-only events stay out of storage that others may read.

    Stored for a circuit (``circuit_id``), it is the item as that circuit holds it: only the
    contribution layers shared with the circuit, and only the public events of their parties.
    Otherwise it is the item row, its creator's layer."""
    from items.item_view import item_view_for_circuit, item_view_snapshot
    from items.models import Event, EventVisibility
    from items.services import item_snapshot

    events = Event.objects.filter(item=item, visibility=EventVisibility.PUBLIC)
    if circuit_id is None:
        content, item_hash = item_snapshot(item=item), item.item_hash
    else:
        view = item_view_for_circuit(item=item, circuit_id=circuit_id)
        content, item_hash = item_view_snapshot(view), view.item_hash
        parties = {layer.contributor_id for layer in view.layers if layer.contributor_id}
        authors = Q(created_by__in=parties)
        if any(layer.is_base for layer in view.layers):
            authors |= Q(created_by__isnull=True)  # the item's own, written by DeFarm
        events = events.filter(authors)
    return {
        "dfid": item.dfid,
        "status": item.status,
        "item_hash": item_hash,
        **content,
        "events": [
            {
                "event_id": str(event.event_id),
                "event_type": event.event_type,
                "timestamp": event.timestamp,
                "metadata": event.metadata,
            }
            for event in events.order_by("timestamp", "event_id")
        ],
    }


def _events_range(snapshot: dict[str, Any]) -> tuple[int | None, int | None]:
    timestamps = [event["timestamp"] for event in snapshot["events"]]
    return (min(timestamps), max(timestamps)) if timestamps else (None, None)


@transaction.atomic
def item_store(
    *,
    item,
    adapter_type: str,
    triggered_by: StorageTrigger,
    triggered_by_id: str | None,
    metadata: dict[str, Any] | None = None,
    circuit_id=None,
) -> StorageHistory | None:
    """Write the item's current snapshot (as circuit ``circuit_id`` holds it, when given)
    through ``adapter_type`` and record where.

    ``none`` stores nothing and returns None. An adapter that cannot store raises
    (AdapterNotConfigured, StorageFailed) and nothing is recorded. Storing the same snapshot
    again for the same trigger records nothing new.
    """
    backend = storage_adapter_for(adapter_type=adapter_type)
    if backend is None:
        return None
    snapshot = item_storage_snapshot(item=item, circuit_id=circuit_id)
    location = backend.store(snapshot)
    primary = storage_history_primary(item=item)
    if (
        primary is not None
        and primary.adapter_type == adapter_type
        and primary.storage_location == location
        and primary.triggered_by_id == triggered_by_id
    ):
        return primary
    start, end = _events_range(snapshot)
    return StorageHistory.objects.create(
        item=item,
        adapter_type=adapter_type,
        storage_location=location,
        stored_at_ts=unix_now(),
        created_at=timezone.now(),  # orders records stored within the same second
        triggered_by=triggered_by,
        triggered_by_id=triggered_by_id,
        events_range_start=start,
        events_range_end=end,
        is_active=True,
        metadata=metadata,
    )


def circuit_adapter_type(circuit) -> str:
    return str((circuit.adapter_config or {}).get("adapter_type") or registry.NONE)


def circuit_storage_check(*, circuit) -> None:
    """Refuse (409 ``adapter_not_configured``) when the circuit's adapter cannot store, so a
    push through it is refused before anything changes."""
    backend = storage_adapter_for(adapter_type=circuit_adapter_type(circuit))
    if isinstance(backend, UnavailableStorageAdapter):
        raise backend.refusal()


def item_store_for_circuit(*, circuit, item, user=None, operation=None) -> StorageHistory | None:
    """Store an item that entered ``circuit`` through the circuit's adapter."""
    metadata: dict[str, Any] = {"circuit_name": circuit.name}
    if user is not None:
        metadata["user_id"] = user.user_id
    if operation is not None:
        metadata["operation_id"] = str(operation.pk)
    return item_store(
        item=item,
        adapter_type=circuit_adapter_type(circuit),
        triggered_by=StorageTrigger.CIRCUIT_PUSH,
        triggered_by_id=str(circuit.circuit_id),
        metadata=metadata,
        circuit_id=circuit.circuit_id,
    )


def item_storage_migrate_check_allowed(*, user: User, item, circuit=None) -> None:
    """Who may move an item's storage: staff, the item's owner, or (naming the circuit) a
    member holding ManagePermissions, the permission that governs a circuit's adapter, in a
    circuit that holds the item. Seeing the item is not enough (403 otherwise)."""
    from circuits.models import CircuitItem
    from circuits.permissions import Permission, circuit_membership, member_permissions

    if user.is_admin or item.created_by_id == user.pk:
        return
    if circuit is not None:
        held = member_permissions(
            circuit=circuit, user=user, membership=circuit_membership(circuit=circuit, user=user)
        )
        holds_item = CircuitItem.objects.filter(circuit=circuit, item=item).exists()
        if Permission.MANAGE_PERMISSIONS in held and holds_item:
            return
    raise PermissionDenied(
        "Only the item's owner, staff, or a member holding ManagePermissions in a circuit that "
        "holds the item (sent as circuit_id) may migrate its storage."
    )


@transaction.atomic
def item_storage_migrate(
    *, admin_or_user: User, item, adapter_type: str, circuit=None
) -> StorageHistory:
    """Store the item again through ``adapter_type``; the new record becomes its primary
    location, earlier records are kept. Charges the caller's storage-migration cost; when
    storing fails nothing is charged or recorded."""
    item_storage_migrate_check_allowed(user=admin_or_user, item=item, circuit=circuit)
    _validate_adapter_type(adapter_type)
    if adapter_type == registry.NONE:
        raise ValidationError({"adapter_type": ["Migrating to 'none' would store nothing."]})
    tier_check_adapter(user=admin_or_user, adapter_type=adapter_type)
    previous = storage_history_primary(item=item)
    credits_charge(
        user=admin_or_user,
        operation=CreditOperation.STORAGE_MIGRATION,
        description=f"Storage migration of {item.dfid} to {adapter_type}",
    )
    backend = storage_adapter_for(adapter_type=adapter_type)
    snapshot = item_storage_snapshot(item=item, circuit_id=circuit.circuit_id if circuit else None)
    location = backend.store(snapshot)
    start, end = _events_range(snapshot)
    return StorageHistory.objects.create(
        item=item,
        adapter_type=adapter_type,
        storage_location=location,
        stored_at_ts=unix_now(),
        created_at=timezone.now(),  # orders records stored within the same second
        triggered_by=StorageTrigger.CIRCUIT_MIGRATION if circuit else StorageTrigger.MANUAL,
        triggered_by_id=str(circuit.circuit_id) if circuit else admin_or_user.user_id,
        events_range_start=start,
        events_range_end=end,
        is_active=True,
        metadata={
            "requested_by": admin_or_user.user_id,
            "migrated_from": previous.adapter_type if previous else None,
            "previous_record_id": str(previous.id) if previous else None,
        },
    )


@transaction.atomic
def user_adapter_select(*, user: User, adapter_type: str) -> User:
    """Record ``adapter_type`` as the user's chosen adapter; 403 when their tier (or their own
    adapter list) does not include it."""
    _validate_adapter_type(adapter_type)
    tier_check_adapter(user=user, adapter_type=adapter_type)
    user.selected_adapter = adapter_type
    user.save(update_fields=["selected_adapter", "updated_at"])
    return user


@transaction.atomic
def item_storage_primary_set(
    *, user: User, item, storage_location: dict[str, Any], circuit=None
) -> StorageHistory:
    """Make an earlier location of the item its primary one again: the active record at
    ``storage_location`` is recorded anew (records are never rewritten), so it becomes the
    newest. Allowed to whoever may migrate the item's storage; 404 when no active record of
    the item is at that location."""
    item_storage_migrate_check_allowed(user=user, item=item, circuit=circuit)
    source = next(
        (
            record
            for record in storage_history_for_item(item=item).filter(is_active=True)
            if record.storage_location == storage_location
        ),
        None,
    )
    if source is None:
        raise NotFound(f"Item {item.dfid} has no active storage record at that location.")
    primary = storage_history_primary(item=item)
    if primary is not None and primary.pk == source.pk:
        return primary
    return StorageHistory.objects.create(
        item=item,
        adapter_type=source.adapter_type,
        storage_location=source.storage_location,
        stored_at_ts=unix_now(),
        created_at=timezone.now(),  # orders records stored within the same second
        triggered_by=StorageTrigger.MANUAL,
        triggered_by_id=str(circuit.circuit_id) if circuit else user.user_id,
        events_range_start=source.events_range_start,
        events_range_end=source.events_range_end,
        is_active=True,
        metadata={
            "requested_by": user.user_id,
            "primary_set_from_record_id": str(source.pk),
            "previous_primary_record_id": str(primary.pk) if primary else None,
        },
    )


# --- Anchoring on Stellar ---------------------------------------------------------------------


def stellar_anchor_cid(*, adapter_type: str, cid: str):
    """Anchor ``cid`` (e.g. a stored snapshot's) on the Stellar network of ``adapter_type``
    (``stellar_testnet-ipfs`` or ``stellar_mainnet-ipfs``): a transaction carrying it as
    manage-data (and its digest as memo hash), signed with the network's key and submitted to
    its Horizon. Returns the StellarAnchor (``.transaction_hash``). AdapterNotConfigured when
    the network is not configured (MainnetNotEnabled for mainnet unless enabled): nothing is
    submitted; StorageFailed when Horizon refuses or does not answer."""
    from adapters.stellar import stellar_anchor_submit, stellar_network_for

    network = stellar_network_for(adapter_type=adapter_type)
    try:
        return stellar_anchor_submit(network=network, cid=cid)
    except ValueError as error:
        raise ValidationError({"cid": [str(error)]}) from error


def stellar_anchor_merkle_root(*, adapter_type: str, merkle_root: bytes):
    """Anchor a 32-byte Merkle root as ``stellar_anchor_cid`` anchors a CID (manage-data
    ``defarm.merkle_root`` = its hex, memo hash = the root)."""
    from adapters.stellar import stellar_anchor_submit, stellar_network_for

    network = stellar_network_for(adapter_type=adapter_type)
    try:
        return stellar_anchor_submit(network=network, merkle_root=merkle_root)
    except ValueError as error:
        raise ValidationError({"merkle_root": [str(error)]}) from error


@transaction.atomic
def item_cid_anchor(
    *,
    item,
    adapter_type: str,
    cid: str,
    triggered_by: StorageTrigger,
    triggered_by_id: str | None,
    metadata: dict[str, Any] | None = None,
) -> StorageHistory:
    """Anchor ``cid`` (content of ``item`` already stored, e.g. its snapshot) on Stellar and
    record the anchor in the item's storage history: a ``{"Stellar": {transaction_id, cid,
    ...}}`` location, which becomes the item's primary one. Nothing is recorded when the
    anchor is refused."""
    anchor = stellar_anchor_cid(adapter_type=adapter_type, cid=cid)
    return StorageHistory.objects.create(
        item=item,
        adapter_type=adapter_type,
        storage_location={
            "Stellar": {
                "transaction_id": anchor.transaction_hash,
                "contract_address": None,
                "asset_id": None,
                "network": anchor.network,
                "source_account": anchor.source_account,
                "ledger": anchor.ledger,
                "cid": cid,
            }
        },
        stored_at_ts=unix_now(),
        created_at=timezone.now(),  # orders records stored within the same second
        triggered_by=triggered_by,
        triggered_by_id=triggered_by_id,
        is_active=True,
        metadata={**(metadata or {}), "network": f"stellar-{anchor.network}", "ipfs_cid": cid},
    )


# --- Test pushes (staff) ----------------------------------------------------------------------

# The earlier engine's test-push names and what it answered for each.
TEST_PUSH_TARGETS = {
    "local": (registry.LOCAL, "Local-Local", "Local store CID"),
    "ipfs": (registry.IPFS, "IPFS-IPFS", "IPFS CID"),
    "stellar-testnet": (registry.STELLAR_TESTNET, "Stellar-Testnet-IPFS", "Stellar Testnet + IPFS"),
    "stellar-mainnet": (registry.STELLAR_MAINNET, "Stellar-Mainnet-IPFS", "Stellar Mainnet + IPFS"),
}


@transaction.atomic
def adapter_test_push(*, admin: User, target: str, test_data: str) -> dict[str, Any]:
    """Store a small test document through the adapter named ``target`` (``local``, ``ipfs``,
    ``stellar-testnet``, ``stellar-mainnet``) and answer where: the CID, or the anchoring
    transaction's hash. No item is created. The adapter's own refusals apply (an unconfigured
    network submits nothing; mainnet only when enabled). Recorded as a staff action."""
    adapter_type, label, kind = TEST_PUSH_TARGETS[target]
    backend = storage_adapter_for(adapter_type=adapter_type)
    if isinstance(backend, UnavailableStorageAdapter):
        raise backend.refusal()
    location = backend.store(
        {
            "kind": "defarm-test-push",
            "test_data": test_data,
            "requested_by": admin.user_id,
            "requested_at": unix_now(),
        }
    )
    ((tag, fields),) = location.items()
    hash_ = (
        fields.get("transaction_id") if tag == "Stellar" else fields.get("cid") or fields.get("id")
    )
    admin_action_record(
        admin=admin,
        action_type="adapter_test_push",
        target_id=None,
        data={"adapter_type": adapter_type, "location": location},
    )
    return {
        "adapter_type": label,
        "storage_location": kind,
        "hash": hash_,
        "location": location,
        "message": f"Test data stored through {adapter_type}.",
    }
