"""Storage adapters and where each item's data was stored (V1 tables adapter_configs,
storage_history)."""

import uuid

from django.db import models
from django.db.models.functions import UUID4, Now

from adapters.fields import AdapterTypeField
from defarm.timeutils import unix_now


class AdapterConfig(models.Model):
    """Staff-managed connection settings of a storage adapter."""

    config_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    adapter_type = AdapterTypeField(max_length=100, db_index=True)
    connection_details = models.JSONField(default=dict)
    contract_configs = models.JSONField(null=True, blank=True)
    is_active = models.BooleanField(default=True, db_default=True, db_index=True)
    is_default = models.BooleanField(default=False, db_default=False, db_index=True)
    created_by = models.CharField(max_length=255)
    created_at_ts = models.BigIntegerField(default=unix_now)
    updated_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "adapter_configs"
        ordering = ["adapter_type", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["adapter_type"],
                condition=models.Q(is_default=True),
                name="adapter_configs_one_default_per_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.adapter_type})"


class StorageTrigger(models.TextChoices):
    CIRCUIT_PUSH = "circuit_push"
    CIRCUIT_MIGRATION = "circuit_migration"
    MANUAL = "manual"


class StorageHistory(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    item = models.ForeignKey(
        "items.Item", db_column="dfid", on_delete=models.DB_CASCADE, related_name="storage_history"
    )
    adapter_type = AdapterTypeField(max_length=100, db_index=True)
    storage_location = models.JSONField()
    stored_at_ts = models.BigIntegerField(default=unix_now)
    triggered_by = models.CharField(max_length=255, choices=StorageTrigger.choices)
    triggered_by_id = models.CharField(max_length=255, null=True, blank=True)
    events_range_start = models.BigIntegerField(null=True, blank=True)
    events_range_end = models.BigIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True, db_default=True, db_index=True)
    metadata = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "storage_history"
        ordering = ["-stored_at_ts", "-created_at"]
        verbose_name_plural = "storage history"

    def __str__(self) -> str:
        return f"{self.item_id} via {self.adapter_type}"
