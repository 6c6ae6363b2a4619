"""Items and what hangs off them (V1 tables items, item_identifiers, item_source_entries,
lid_dfid_mappings, identifier_mappings, conflict_resolutions, events, receipts,
receipt_identifiers)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import UUID4, Now

from defarm.fields import RealField, TextArrayField
from defarm.timeutils import unix_now
from items.fields import MERGED_INTO_PREFIX as MERGED_INTO_PREFIX
from items.fields import ItemStatusField


class ItemStatus(models.TextChoices):
    ACTIVE = "Active"
    DEPRECATED = "Deprecated"
    MERGED = "Merged"
    SPLIT = "Split"


LOCAL_DFID_PREFIX = "LID-"


class IdentifierType(models.TextChoices):
    CANONICAL = "Canonical"
    CONTEXTUAL = "Contextual"


DEFAULT_NAMESPACE = "generic"


class Item(models.Model):
    """A traceable thing (an animal, a lot). Local items have a dfid of ``LID-<uuid>``."""

    dfid = models.CharField(primary_key=True, max_length=255)
    item_hash = models.CharField(max_length=64)
    status = ItemStatusField(max_length=50, default=ItemStatus.ACTIVE, db_index=True)
    enriched_data = models.JSONField(null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    last_updated_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    # Not in V1: items adopted from an earlier database have no creator.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="created_by",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="created_items",
    )

    class Meta:
        db_table = "items"
        ordering = ["-created_at_ts", "dfid"]
        indexes = [models.Index(fields=["-created_at_ts"], name="items_created_ts_idx")]

    def __str__(self) -> str:
        return self.dfid

    @property
    def is_local(self) -> bool:
        return self.dfid.startswith(LOCAL_DFID_PREFIX)

    @property
    def local_id(self) -> str | None:
        return self.dfid.removeprefix(LOCAL_DFID_PREFIX) if self.is_local else None


class ItemContribution(models.Model):
    """One party's layer of an item: what it said about the thing, when, through which circuit.

    Every global item has one *base* layer (``is_base``): the creator's, or the adopted layer
    of an item that has no creator (``contributor`` NULL). Its identifiers and enriched data
    are the item row itself (``items.enriched_data`` and the identifier rows without a
    contribution). Every other party that names the item (by one of its canonical
    identifiers) gets its own layer: its enriched data here, its identifiers as identifier
    rows pointing at this layer. Who sees which layer is decided in ``items.selectors``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    item = models.ForeignKey(
        Item, db_column="dfid", on_delete=models.DB_CASCADE, related_name="contributions"
    )
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="contributor_id",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="item_contributions",
    )
    # The circuit the layer first came through (push-local, an approved push), if any.
    circuit = models.ForeignKey(
        "circuits.Circuit",
        db_column="circuit_id",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="item_contributions",
    )
    is_base = models.BooleanField(default=False)
    enriched_data = models.JSONField(null=True, blank=True)
    # Server-owned: a layer checked against its registry (or by a certifier). Never set from
    # what a client sends.
    verified = models.BooleanField(default=False)
    created_at_ts = models.BigIntegerField(default=unix_now)
    updated_at_ts = models.BigIntegerField(default=unix_now)
    # Set when the layer was adopted from rows written before contributions existed: the
    # circuits holding the item by then keep seeing it.
    adopted_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "item_contributions"
        ordering = ["created_at_ts", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(is_base=True), name="item_contributions_one_base"
            ),
            models.UniqueConstraint(
                fields=["item", "contributor"],
                condition=Q(is_base=False),
                name="item_contributions_one_per_party",
            ),
        ]
        indexes = [
            models.Index(fields=["contributor", "item"], name="item_contributions_party_idx"),
        ]

    def __str__(self) -> str:
        who = self.contributor_id or "adopted"
        return f"{self.item_id} by {who}{' (base)' if self.is_base else ''}"


class ItemIdentifier(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    item = models.ForeignKey(
        Item, db_column="dfid", on_delete=models.DB_CASCADE, related_name="identifiers"
    )
    key = models.CharField(max_length=255)
    value = models.TextField()
    created_at = models.DateTimeField(db_default=Now())
    # Not in V1: namespace, type and the type's extras (registry/verified or scope).
    namespace = models.CharField(
        max_length=100, default=DEFAULT_NAMESPACE, db_default=DEFAULT_NAMESPACE
    )
    id_type = models.CharField(
        max_length=20,
        choices=IdentifierType.choices,
        default=IdentifierType.CONTEXTUAL,
        db_default=IdentifierType.CONTEXTUAL,
    )
    type_metadata = models.JSONField(null=True, blank=True)
    # Not in V1: the layer this identifier belongs to; NULL for the base layer (the item's
    # creator, or the adopted layer). Deduplication reads every layer's canonical ids.
    contribution = models.ForeignKey(
        ItemContribution,
        db_column="contribution_id",
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.DB_CASCADE,
        related_name="identifier_rows",
    )

    class Meta:
        db_table = "item_identifiers"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["contribution"],
                condition=Q(contribution__isnull=False),
                name="item_identifiers_layer_idx",
            ),
            models.Index(fields=["key", "value"], name="item_identifiers_key_value_idx"),
            # Deduplication looks canonical ids up here, never by a scan.
            models.Index(
                fields=["namespace", "key", "value"],
                condition=Q(id_type="Canonical"),
                name="item_identifiers_canonical_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class ItemSourceEntry(models.Model):
    """Links an item to the data-lake entries it was built from."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    item = models.ForeignKey(
        Item, db_column="dfid", on_delete=models.DB_CASCADE, related_name="source_entries"
    )
    entry_id = models.UUIDField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "item_source_entries"
        ordering = ["created_at", "id"]
        verbose_name_plural = "item source entries"

    def __str__(self) -> str:
        return f"{self.item_id} <- {self.entry_id}"


class LidDfidMapping(models.Model):
    """Where a local id points: its ``LID-`` item, then the DFID it was tokenized into."""

    local_id = models.UUIDField(primary_key=True)
    item = models.ForeignKey(
        Item, db_column="dfid", on_delete=models.PROTECT, related_name="local_mappings"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "lid_dfid_mappings"
        ordering = ["-created_at", "local_id"]
        verbose_name = "local id mapping"

    def __str__(self) -> str:
        return f"{self.local_id} -> {self.item_id}"


class IdentifierMapping(models.Model):
    """Which identifier led to which DFID."""

    mapping_id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    identifier_key = models.CharField(max_length=255)
    identifier_value = models.TextField()
    item = models.ForeignKey(
        Item, db_column="dfid", on_delete=models.PROTECT, related_name="identifier_mappings"
    )
    confidence_score = RealField(default=1.0)
    source_entry_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "identifier_mappings"
        ordering = ["-created_at", "mapping_id"]
        indexes = [
            models.Index(
                fields=["identifier_key", "identifier_value"],
                name="identifier_mappings_kv_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.identifier_key}={self.identifier_value} -> {self.item_id}"


class ConflictStatus(models.TextChoices):
    PENDING = "Pending"
    RESOLVED = "Resolved"
    KEPT_SEPARATE = "KeptSeparate"


class ConflictResolution(models.Model):
    conflict_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    identifier_key = models.CharField(max_length=255)
    identifier_value = models.TextField()
    conflicting_dfids = TextArrayField()
    resolution_strategy = models.CharField(max_length=100, null=True, blank=True)
    resolved_dfid = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(max_length=50, default=ConflictStatus.PENDING, db_index=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    resolved_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "conflict_resolutions"
        ordering = ["-created_at_ts", "conflict_id"]

    def __str__(self) -> str:
        return f"{self.identifier_key}={self.identifier_value}: {', '.join(self.conflicting_dfids)}"


class EventType(models.TextChoices):
    CREATED = "Created"
    ENRICHED = "Enriched"
    MERGED = "Merged"
    SPLIT = "Split"
    PUSHED_TO_CIRCUIT = "PushedToCircuit"
    PULLED_FROM_CIRCUIT = "PulledFromCircuit"
    UPDATED = "Updated"
    STATUS_CHANGED = "StatusChanged"
    # What a farm records about an animal or a lot (not in the earlier engine).
    VACCINATED = "Vaccinated"
    WEIGHED = "Weighed"
    MOVED = "Moved"
    SLAUGHTERED = "Slaughtered"
    CERTIFIED = "Certified"
    SOLD = "Sold"


class EventVisibility(models.TextChoices):
    PUBLIC = "Public"
    PRIVATE = "Private"
    CIRCUIT_ONLY = "CircuitOnly"


class Event(models.Model):
    event_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    item = models.ForeignKey(
        Item,
        db_column="dfid",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    event_type = models.CharField(max_length=100, db_index=True)
    timestamp = models.BigIntegerField(default=unix_now)
    encrypted_data = models.BinaryField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    visibility = models.CharField(max_length=50, default=EventVisibility.PUBLIC, db_index=True)
    created_at = models.DateTimeField(db_default=Now())
    # Not in V1: who recorded it (Private events are theirs alone) and the content hash that
    # deduplicates identical events.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="created_by",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="created_events",
    )
    content_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        db_table = "events"
        ordering = ["-timestamp", "event_id"]
        indexes = [models.Index(fields=["-timestamp"], name="events_timestamp_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.item_id}"


class ItemShare(models.Model):
    """One user's read access to an item, given by its creator (or staff) until revoked."""

    share_id = models.CharField(primary_key=True, max_length=64)
    item = models.ForeignKey(
        Item, db_column="dfid", on_delete=models.DB_CASCADE, related_name="shares"
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="shared_by",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="item_shares_given",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="recipient_user_id",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="item_shares_received",
    )
    permissions = TextArrayField(null=True, blank=True)
    shared_at = models.BigIntegerField(default=unix_now)
    revoked_at = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "item_shares"
        ordering = ["-shared_at", "share_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "recipient"],
                condition=Q(revoked_at__isnull=True),
                name="item_shares_one_active",
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "item"],
                condition=Q(revoked_at__isnull=True),
                name="item_shares_recipient_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} -> {self.recipient_id}"


class Receipt(models.Model):
    """Proof that some bytes were received: their SHA-256 and when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    data_hash = models.CharField(max_length=64)
    timestamp = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())
    # Not in V1: the size of the data and who sent it.
    size_bytes = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="created_by",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="receipts",
    )

    class Meta:
        db_table = "receipts"
        ordering = ["-timestamp", "id"]

    def __str__(self) -> str:
        return f"{self.data_hash[:12]}... @ {self.timestamp}"


class ReceiptIdentifier(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    receipt = models.ForeignKey(
        Receipt, db_column="receipt_id", on_delete=models.DB_CASCADE, related_name="identifiers"
    )
    key = models.CharField(max_length=255)
    value = models.TextField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "receipt_identifiers"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["key", "value"], name="receipt_identifiers_kv_idx")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class DfidCounter(models.Model):
    """The DFID sequence on databases without sequences (SQLite): one row, bumped atomically.

    PostgreSQL uses the ``dfid_seq`` sequence instead.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "dfid_counter"
        verbose_name = "DFID counter"

    def __str__(self) -> str:
        return str(self.value)


class PendingItemStatus(models.TextChoices):
    PENDING = "Pending"
    RESOLVED = "Resolved"
    REJECTED = "Rejected"


class PendingItemReason(models.TextChoices):
    """The earlier engine's ``PendingReason`` variants DeFarm holds items back for."""

    CONFLICTING_DFIDS = "ConflictingDFIDs"


class PendingItemPriority(models.IntegerChoices):
    LOW = 1
    NORMAL = 2
    HIGH = 3
    CRITICAL = 4


class PendingItem(models.Model):
    """An item submission held back for its submitter (not in V1): its canonical identifiers
    point at several items (``conflict``), so nothing was created. The submitter approves it
    again once staff resolved the conflict, changes its identifiers or data, or rejects it."""

    pending_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="user_id",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="pending_items",
    )
    conflict = models.ForeignKey(
        ConflictResolution,
        db_column="conflict_id",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="pending_items",
    )
    identifiers = models.JSONField(default=list)
    enriched_data = models.JSONField(null=True, blank=True)
    source_entry = models.UUIDField(null=True, blank=True)
    reason = models.CharField(max_length=100, default=PendingItemReason.CONFLICTING_DFIDS)
    reason_details = models.TextField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        choices=PendingItemPriority.choices, default=PendingItemPriority.NORMAL
    )
    status = models.CharField(
        max_length=50, choices=PendingItemStatus.choices, default=PendingItemStatus.PENDING
    )
    resolved_dfid = models.CharField(max_length=255, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    updated_at_ts = models.BigIntegerField(default=unix_now)
    resolved_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "pending_items"
        ordering = ["-priority", "-created_at_ts", "pending_id"]
        indexes = [
            models.Index(
                fields=["user", "status", "-priority", "-created_at_ts"],
                name="pending_items_user_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.status})"
