"""Circuits: groups of organisations sharing items (V1 tables circuits, circuit_members,
circuit_custom_roles, circuit_items, circuit_operations, circuit_pending_items, activities,
webhook_configs, webhook_deliveries)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import UUID4, Now

from defarm.fields import TextArrayField
from defarm.timeutils import unix_now


class CircuitStatus(models.TextChoices):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    ARCHIVED = "Archived"


class Circuit(models.Model):
    circuit_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    # V1 keeps the owner in a plain column without a foreign key constraint, and adopted rows
    # may name an owner who is no user. ``null=True`` exists only in Django's model state (the
    # column stays NOT NULL; circuits.0003) so joins to the owner are LEFT OUTER and never hide
    # such a circuit; ``circuit.owner`` is None for it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="owner_id",
        db_constraint=False,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="owned_circuits",
    )
    status = models.CharField(
        max_length=50, choices=CircuitStatus.choices, default=CircuitStatus.ACTIVE, db_index=True
    )
    permissions = models.JSONField(default=dict)
    alias_config = models.JSONField(null=True, blank=True)
    adapter_config = models.JSONField(null=True, blank=True)
    public_settings = models.JSONField(null=True, blank=True)
    post_action_settings = models.JSONField(null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    last_modified_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "circuits"
        ordering = ["-created_at_ts", "circuit_id"]

    def __str__(self) -> str:
        return self.name


class CircuitMember(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    circuit = models.ForeignKey(
        Circuit, db_column="circuit_id", on_delete=models.DB_CASCADE, related_name="members"
    )
    # V1 keeps the member's user id without a foreign key constraint; adopted rows may name
    # no user. Nullable in model state only, as ``Circuit.owner``.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="member_id",
        db_constraint=False,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="circuit_memberships",
    )
    role = models.CharField(max_length=50)
    permissions = TextArrayField(default=list)
    joined_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "circuit_members"
        ordering = ["joined_at_ts", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["circuit", "member"], name="circuit_members_circuit_id_member_id_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} ({self.role})"


class CircuitCustomRole(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    circuit = models.ForeignKey(
        Circuit, db_column="circuit_id", on_delete=models.DB_CASCADE, related_name="custom_roles"
    )
    role_name = models.CharField(max_length=100)
    permissions = TextArrayField(default=list)
    created_at = models.DateTimeField(db_default=Now())
    # Added after V1: what the role is for, its display colour and who made it.
    description = models.TextField(blank=True, default="", db_default="")
    color = models.CharField(max_length=50, null=True, blank=True)
    created_by = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        db_table = "circuit_custom_roles"
        ordering = ["role_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["circuit", "role_name"],
                name="circuit_custom_roles_circuit_id_role_name_key",
            )
        ]

    def __str__(self) -> str:
        return self.role_name


class CircuitItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    circuit = models.ForeignKey(
        Circuit, db_column="circuit_id", on_delete=models.DB_CASCADE, related_name="circuit_items"
    )
    item = models.ForeignKey(
        "items.Item", db_column="dfid", on_delete=models.DO_NOTHING, related_name="circuit_items"
    )
    added_by = models.CharField(max_length=255)
    added_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "circuit_items"
        ordering = ["-added_at_ts", "id"]
        # Items adopted without a creator are visible to who added them to a circuit.
        indexes = [models.Index(fields=["added_by"], name="circuit_items_added_by_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["circuit", "item"], name="circuit_items_circuit_id_dfid_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} in {self.circuit_id}"


class CircuitPublishedItem(models.Model):
    """An item of the circuit shown on its public page (added after V1; it replaces the
    ``published_items`` list V1 kept inside ``circuits.public_settings``). Rows are read in
    ``id`` order, the order the items were published in."""

    id = models.BigAutoField(primary_key=True)
    circuit = models.ForeignKey(
        Circuit,
        db_column="circuit_id",
        db_index=False,  # the unique (circuit, item) and (circuit, id) indexes lead with it
        on_delete=models.DB_CASCADE,
        related_name="published_items",
    )
    # Without a constraint: lists adopted from V1 may name DFIDs that are no items.
    item = models.ForeignKey(
        "items.Item",
        db_column="dfid",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    published_by = models.CharField(max_length=255, null=True, blank=True)
    published_at_ts = models.BigIntegerField(default=unix_now)

    class Meta:
        db_table = "circuit_published_items"
        ordering = ["id"]
        indexes = [models.Index(fields=["circuit", "id"], name="circuit_published_order_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["circuit", "item"], name="circuit_published_items_circuit_dfid_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} published in {self.circuit_id}"


class OperationType(models.TextChoices):
    PUSH = "Push"
    PULL = "Pull"


class OperationStatus(models.TextChoices):
    PENDING = "Pending"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    COMPLETED = "Completed"
    FAILED = "Failed"


class CircuitOperation(models.Model):
    operation_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    circuit = models.ForeignKey(
        Circuit, db_column="circuit_id", on_delete=models.DB_CASCADE, related_name="operations"
    )
    requester_id = models.CharField(max_length=255)
    operation_type = models.CharField(max_length=50, choices=OperationType.choices)
    status = models.CharField(max_length=50, choices=OperationStatus.choices, db_index=True)
    approver_id = models.CharField(max_length=255, null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    approved_at_ts = models.BigIntegerField(null=True, blank=True)
    completed_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    # Added after V1: the item the operation is about (its LID- id until a push-local is
    # tokenized) and why a manager refused it.
    dfid = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    rejection_reason = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "circuit_operations"
        ordering = ["-created_at_ts", "operation_id"]

    def __str__(self) -> str:
        return f"{self.operation_type} {self.status}"


class PendingItemStatus(models.TextChoices):
    PENDING = "Pending"
    APPROVED = "Approved"
    REJECTED = "Rejected"


class CircuitPendingItem(models.Model):
    """An item pushed into a circuit that waits for a manager's approval (a snapshot)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    circuit = models.ForeignKey(
        Circuit, db_column="circuit_id", on_delete=models.DB_CASCADE, related_name="pending_items"
    )
    item = models.ForeignKey(
        "items.Item",
        db_column="dfid",
        on_delete=models.DO_NOTHING,
        related_name="pending_in_circuits",
    )
    identifiers = models.JSONField(default=list)
    enriched_data = models.JSONField(null=True, blank=True)
    pushed_by = models.CharField(max_length=255)
    pushed_at_ts = models.BigIntegerField(default=unix_now)
    status = models.CharField(
        max_length=50,
        choices=PendingItemStatus.choices,
        default=PendingItemStatus.PENDING,
        db_index=True,
    )
    created_at = models.DateTimeField(db_default=Now())
    # Added after V1: the operation waiting on this approval.
    operation = models.ForeignKey(
        CircuitOperation,
        db_column="operation_id",
        null=True,
        blank=True,
        on_delete=models.DB_SET_NULL,
        related_name="pending_items",
    )

    class Meta:
        db_table = "circuit_pending_items"
        ordering = ["-pushed_at_ts", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["circuit", "item"], name="circuit_pending_items_circuit_id_dfid_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} pending in {self.circuit_id}"


class JoinRequestStatus(models.TextChoices):
    PENDING = "Pending"
    APPROVED = "Approved"
    REJECTED = "Rejected"


class CircuitJoinRequest(models.Model):
    """A user's request to become a member of a circuit (added after V1)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    circuit = models.ForeignKey(
        Circuit, db_column="circuit_id", on_delete=models.DB_CASCADE, related_name="join_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="requester_id",
        on_delete=models.DB_CASCADE,
        related_name="circuit_join_requests",
    )
    message = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=50,
        choices=JoinRequestStatus.choices,
        default=JoinRequestStatus.PENDING,
        db_index=True,
    )
    granted_role = models.CharField(max_length=100, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="decided_by_id",
        null=True,
        blank=True,
        on_delete=models.DB_SET_NULL,
        related_name="+",
    )
    created_at_ts = models.BigIntegerField(default=unix_now)
    decided_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "circuit_join_requests"
        ordering = ["-created_at_ts", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["circuit", "requester"],
                condition=models.Q(status="Pending"),
                name="circuit_join_requests_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} -> {self.circuit_id} ({self.status})"


class Activity(models.Model):
    """One row per completed push, pull or enrichment in a circuit."""

    activity_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    activity_type = models.CharField(max_length=100)
    circuit = models.ForeignKey(
        Circuit,
        db_column="circuit_id",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    circuit_name = models.CharField(max_length=255, null=True, blank=True)
    dfids = TextArrayField(default=list)
    performed_by = models.CharField(max_length=255, db_index=True)
    status = models.CharField(max_length=50)
    details = models.JSONField(default=dict)
    timestamp_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "activities"
        ordering = ["-timestamp_ts", "activity_id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["-timestamp_ts"], name="activities_timestamp_ts_idx")]

    def __str__(self) -> str:
        return f"{self.activity_type} in {self.circuit_name}"


class WebhookConfig(models.Model):
    webhook_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    circuit = models.ForeignKey(
        Circuit, db_column="circuit_id", on_delete=models.DB_CASCADE, related_name="webhooks"
    )
    name = models.CharField(max_length=255)
    url = models.TextField()
    trigger_events = TextArrayField(default=list)
    enabled = models.BooleanField(default=True, db_default=True, db_index=True)
    auth_type = models.CharField(max_length=50, null=True, blank=True)
    auth_config = models.JSONField(null=True, blank=True)
    retry_config = models.JSONField(null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    updated_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "webhook_configs"
        ordering = ["-created_at_ts", "webhook_id"]
        verbose_name = "webhook"

    def __str__(self) -> str:
        return self.name


class DeliveryRecord(models.Model):
    """One payload POSTed (with retries) by the worker (``circuits.services.webhooks``): the
    columns every kind of delivery has. A circuit webhook's deliveries are ``WebhookDelivery``
    (the V1 table); an EPCIS query subscription's are ``epcis.SubscriptionDelivery``."""

    delivery_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    trigger_event = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=50, db_index=True)
    http_status_code = models.IntegerField(null=True, blank=True)
    response_body = models.TextField(null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)
    attempt_count = models.IntegerField(default=1, db_default=1)
    next_retry_at_ts = models.BigIntegerField(null=True, blank=True)
    delivered_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        abstract = True
        ordering = ["-created_at_ts", "delivery_id"]

    def __str__(self) -> str:
        return f"{self.trigger_event} -> {self.status}"


class WebhookDelivery(DeliveryRecord):
    """A delivery to one of a circuit's webhooks."""

    webhook = models.ForeignKey(
        WebhookConfig,
        db_column="webhook_id",
        on_delete=models.DB_CASCADE,
        related_name="deliveries",
    )

    class Meta(DeliveryRecord.Meta):
        db_table = "webhook_deliveries"
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["-created_at_ts"], name="webhook_deliveries_created_idx")]
