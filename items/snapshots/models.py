"""Snapshots: hash-chained, content-addressed versions of items and circuits.

A snapshot is the canonical JSON (sorted keys, no whitespace, UTF-8) of an item or a circuit
at a moment, holding the CID of the previous snapshot of the same chain. Each item has one
chain for its own data (``scope`` empty) and one per circuit holding it (``scope`` is the
circuit id: the item as that circuit holds it); each circuit has one chain. The bytes are
stored through the item's or circuit's adapter; ``cid`` (CIDv1, raw, sha2-256) addresses them.
"""

import uuid

from django.db import models
from django.db.models.functions import UUID4, Now

from adapters.fields import AdapterTypeField


class SnapshotEntityType(models.TextChoices):
    ITEM = "item"
    CIRCUIT = "circuit"


class SnapshotOperation(models.TextChoices):
    """What led to the snapshot (the earlier engine's operation names)."""

    ITEM_ENRICHED = "ItemEnriched"
    ITEM_DEPRECATED = "ItemDeprecated"
    ITEM_MERGED = "ItemMerged"
    ITEM_SPLIT = "ItemSplit"
    ITEM_STATUS_CHANGED = "ItemStatusChanged"
    ITEM_PUSHED_TO_CIRCUIT = "ItemPushedToCircuit"
    CIRCUIT_ITEM_PUSHED = "CircuitItemPushed"
    EPCIS_EVENTS_CAPTURED = "EpcisEventsCaptured"
    REQUESTED = "Requested"


class Snapshot(models.Model):
    snapshot_id = models.CharField(
        primary_key=True, max_length=64, help_text="SHA-256 (hex) of the canonical bytes."
    )
    cid = models.CharField(max_length=100, unique=True)
    entity_type = models.CharField(max_length=20, choices=SnapshotEntityType.choices)
    entity_id = models.CharField(max_length=255)
    scope = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="Empty: the item's own data (or a circuit); a circuit id: the item as that "
        "circuit holds it.",
    )
    version = models.PositiveIntegerField()
    parent = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="child",
        help_text="The previous snapshot of the same chain.",
    )
    operation = models.CharField(max_length=50, choices=SnapshotOperation.choices)
    operation_details = models.JSONField(default=dict, blank=True)
    state = models.JSONField(help_text="The canonical document whose bytes the CID addresses.")
    size_bytes = models.PositiveIntegerField()
    adapter_type = AdapterTypeField(max_length=100)
    storage_location = models.JSONField()
    network = models.CharField(max_length=50, null=True, blank=True)
    blockchain_tx = models.CharField(max_length=100, null=True, blank=True)
    created_by = models.CharField(max_length=255)
    message = models.TextField(null=True, blank=True)
    taken_at_ts = models.BigIntegerField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "snapshots"
        ordering = ["entity_type", "entity_id", "scope", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity_type", "entity_id", "scope", "version"],
                name="snapshots_one_version_per_chain",
            )
        ]
        indexes = [
            models.Index(
                fields=["entity_type", "entity_id", "taken_at_ts"], name="snapshots_entity_idx"
            )
        ]

    def __str__(self) -> str:
        scope = f" in {self.scope}" if self.scope else ""
        return f"{self.entity_type} {self.entity_id}{scope} v{self.version}"

    @property
    def circuit_id(self) -> str | None:
        if self.entity_type == SnapshotEntityType.CIRCUIT:
            return self.entity_id
        return self.scope or None


# --- The timeline (the earlier engine's tables, with its columns) ----------------------------


class TimelineNetwork:
    """Where a timeline entry's CID lives until it is anchored on a chain."""

    LOCAL = "local"
    IPFS = "ipfs"
    STELLAR_TESTNET = "stellar-testnet"
    STELLAR_MAINNET = "stellar-mainnet"
    INDEXED = (STELLAR_TESTNET, STELLAR_MAINNET)


class ItemCidTimeline(models.Model):
    """Each stored snapshot of an item gets the item's next sequence number with its CID; the
    transaction and ledger time once it is anchored (empty and 0 until then)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    dfid = models.CharField(max_length=100, db_index=True)
    cid = models.CharField(max_length=100, db_index=True)
    event_sequence = models.IntegerField()
    blockchain_timestamp = models.BigIntegerField(db_index=True)
    ipcm_transaction_hash = models.CharField(max_length=100)
    network = models.CharField(
        max_length=50, default=TimelineNetwork.STELLAR_TESTNET, db_default="stellar-testnet"
    )
    created_at = models.DateTimeField(null=True, blank=True, db_default=Now())

    class Meta:
        db_table = "item_cid_timeline"
        ordering = ["dfid", "event_sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["dfid", "event_sequence"], name="item_cid_timeline_dfid_event_sequence_key"
            )
        ]
        indexes = [
            models.Index(fields=["dfid", "event_sequence"], name="idx_cid_timeline_sequence"),
            models.Index(fields=["network"], name="idx_cid_timeline_network"),
        ]

    def __str__(self) -> str:
        return f"{self.dfid} #{self.event_sequence} {self.cid}"


class EventCidMapping(models.Model):
    """The first CID (and timeline sequence) each event of an item appeared in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    event_id = models.UUIDField(unique=True)
    dfid = models.CharField(max_length=100, db_index=True)
    first_cid = models.CharField(max_length=100, db_index=True)
    appeared_in_sequence = models.IntegerField()
    created_at = models.DateTimeField(null=True, blank=True, db_default=Now())

    class Meta:
        db_table = "event_cid_mapping"
        ordering = ["dfid", "appeared_in_sequence"]
        indexes = [
            models.Index(fields=["dfid", "appeared_in_sequence"], name="idx_event_cid_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} first in {self.first_cid}"


class BlockchainIndexingProgress(models.Model):
    """How far the anchoring of each chain network has got."""

    network = models.CharField(primary_key=True, max_length=100)
    last_indexed_ledger = models.BigIntegerField(default=0, db_default=0)
    last_confirmed_ledger = models.BigIntegerField(default=0, db_default=0)
    last_indexed_at = models.DateTimeField(null=True, blank=True, db_default=Now())
    status = models.CharField(
        max_length=50, null=True, blank=True, default="active", db_default="active"
    )
    error_message = models.TextField(null=True, blank=True)
    total_events_indexed = models.BigIntegerField(null=True, blank=True, default=0, db_default=0)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "blockchain_indexing_progress"
        ordering = ["network"]
        verbose_name_plural = "blockchain indexing progress"

    def __str__(self) -> str:
        return self.network
