"""Application logs, staff actions and the data lake (V1 tables logs, admin_actions,
data_lake_entries)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import UUID4, Now

from defarm.timeutils import unix_now


class Log(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    timestamp = models.BigIntegerField(default=unix_now)
    level = models.CharField(max_length=20, db_index=True)
    engine = models.CharField(max_length=100, db_index=True)
    event_type = models.CharField(max_length=100)
    message = models.TextField()
    context_data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "logs"
        ordering = ["-timestamp", "id"]
        indexes = [models.Index(fields=["-timestamp"], name="logs_timestamp_idx")]

    def __str__(self) -> str:
        return f"[{self.level}] {self.engine}: {self.message[:60]}"


class AdminAction(models.Model):
    """A change made by staff: who, what, on whom, when."""

    action_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    admin = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_column="admin_id",
        on_delete=models.PROTECT,
        related_name="admin_actions",
    )
    action_type = models.CharField(max_length=100, db_index=True)
    target_id = models.CharField(max_length=255, null=True, blank=True)
    action_data = models.JSONField(null=True, blank=True)
    performed_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "admin_actions"
        ordering = ["-performed_at_ts", "action_id"]
        indexes = [models.Index(fields=["-performed_at_ts"], name="admin_actions_performed_idx")]

    def __str__(self) -> str:
        return f"{self.action_type} on {self.target_id}"


class DataLakeStatus(models.TextChoices):
    PENDING = "Pending"
    PROCESSING = "Processing"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CONFLICTED = "Conflicted"


class DataLakeEntry(models.Model):
    """A received payload waiting to be resolved into items."""

    entry_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    receipt = models.ForeignKey(
        "items.Receipt",
        db_column="receipt_id",
        on_delete=models.PROTECT,
        related_name="data_lake_entries",
    )
    data_hash = models.CharField(max_length=64)
    timestamp = models.BigIntegerField(default=unix_now)
    status = models.CharField(
        max_length=50,
        choices=DataLakeStatus.choices,
        default=DataLakeStatus.PENDING,
        db_index=True,
    )
    processing_notes = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "data_lake_entries"
        ordering = ["-timestamp", "entry_id"]
        verbose_name_plural = "data lake entries"

    def __str__(self) -> str:
        return f"{self.entry_id} ({self.status})"
