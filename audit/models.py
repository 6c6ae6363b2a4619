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


# --- The audit trail ------------------------------------------------------------------------

GENESIS_HASH = "0" * 64


class AuditEventType(models.TextChoices):
    SECURITY = "Security"
    DATA = "Data"
    ACCESS = "Access"
    COMPLIANCE = "Compliance"
    SYSTEM = "System"
    USER = "User"


class AuditOutcome(models.TextChoices):
    SUCCESS = "Success"
    FAILURE = "Failure"
    WARNING = "Warning"
    BLOCKED = "Blocked"


class AuditSeverity(models.TextChoices):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    CRITICAL = "Critical"


SEVERITY_RANK = {
    AuditSeverity.LOW: 1,
    AuditSeverity.MEDIUM: 2,
    AuditSeverity.HIGH: 3,
    AuditSeverity.CRITICAL: 4,
}


class AuditEvent(models.Model):
    """One row of the append-only, hash-chained audit trail (the engine's ``audit_events``).

    The engine's columns come first. DeFarm adds the chain: ``sequence`` (the row's place,
    1, 2, 3 ... without gaps), ``content_hash`` (SHA-256 of the row's canonical content),
    ``previous_hash`` (the ``entry_hash`` of the row before) and ``entry_hash`` (SHA-256 of
    sequence, previous hash and content hash). Rows are never updated, except by an erasure
    or a retention run, which anonymise them, set ``redacted_by`` to the chain row that
    records the redaction, and leave the hashes as they were.
    """

    event_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user_id = models.CharField(max_length=255, db_index=True)
    event_type = models.CharField(max_length=100, choices=AuditEventType.choices, db_index=True)
    action = models.CharField(max_length=255)
    resource = models.CharField(max_length=255, db_index=True)
    resource_id = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=100, choices=AuditOutcome.choices)
    severity = models.CharField(max_length=100, choices=AuditSeverity.choices)
    timestamp = models.DateTimeField(db_default=Now(), db_index=True)
    details = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict)
    signature = models.TextField(null=True, blank=True)
    compliance = models.JSONField(default=dict)
    # Not in the engine: the chain, whom the row is about, the circuit whose trail holds it.
    sequence = models.BigIntegerField(unique=True)
    content_hash = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    subject_user_id = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    circuit_id = models.UUIDField(null=True, blank=True, db_index=True)
    redacted_by = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "audit_events"
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.event_type} {self.action} by {self.user_id}"


class AuditChainHead(models.Model):
    """The one row holding the chain's last position and hash. Appends lock it, so two
    writers never take the same place. ``checkpoint_*`` is where the kept chain starts once
    retention has pruned older rows: the last pruned row's sequence and entry hash."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    checkpoint_sequence = models.BigIntegerField(default=0)
    checkpoint_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "audit_chain_head"

    def __str__(self) -> str:
        return f"audit chain at #{self.sequence}"


class IncidentCategory(models.TextChoices):
    UNAUTHORIZED_ACCESS = "UnauthorizedAccess"
    DATA_BREACH = "DataBreach"
    SYSTEM_COMPROMISE = "SystemCompromise"
    POLICY_VIOLATION = "PolicyViolation"
    DENIAL_OF_SERVICE = "DenialOfService"


class IncidentStatus(models.TextChoices):
    OPEN = "Open"
    IN_PROGRESS = "InProgress"
    RESOLVED = "Resolved"
    CLOSED = "Closed"


class SecurityIncident(models.Model):
    """A security incident: reported by a user or opened by DeFarm from a security event,
    assigned to staff, resolved and closed, each step with who and when."""

    incident_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    title = models.CharField(max_length=255)
    description = models.TextField()
    severity = models.CharField(max_length=20, choices=AuditSeverity.choices, db_index=True)
    category = models.CharField(max_length=40, choices=IncidentCategory.choices)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN, db_index=True
    )
    affected_users = models.JSONField(default=list)
    affected_resources = models.JSONField(default=list)
    related_event_ids = models.JSONField(default=list)
    confidential = models.BooleanField(default=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_incidents",
    )
    source_event_id = models.UUIDField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_incidents",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at_ts = models.BigIntegerField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at_ts = models.BigIntegerField(null=True, blank=True)
    resolution = models.TextField(blank=True, default="")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now, db_index=True)
    updated_at_ts = models.BigIntegerField(default=unix_now)

    class Meta:
        db_table = "security_incidents"
        ordering = ["-created_at_ts", "incident_id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class ReportType(models.TextChoices):
    GDPR_DATA_SUBJECT = "GdprDataSubject"
    CCPA_CONSUMER = "CcpaConsumer"
    SOX_FINANCIAL = "SoxFinancial"
    AUDIT_TRAIL = "AuditTrail"
    SECURITY_INCIDENT = "SecurityIncident"
    FOOD_SAFETY = "FoodSafety"
    GDPR = "GDPR"


class ExportFormat(models.TextChoices):
    JSON = "Json"
    CSV = "Csv"
    PDF = "Pdf"
    XML = "Xml"


class ReportStatus(models.TextChoices):
    PENDING = "Pending"
    GENERATING = "Generating"
    COMPLETED = "Completed"
    FAILED = "Failed"


class ComplianceReport(models.Model):
    """A compliance report computed from DeFarm's data when it is asked for, kept with its
    content (machine-readable JSON) and findings."""

    report_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    report_type = models.CharField(max_length=40, choices=ReportType.choices, db_index=True)
    period_start_ts = models.BigIntegerField()
    period_end_ts = models.BigIntegerField()
    scope = models.JSONField(default=dict)
    export_format = models.CharField(
        max_length=10, choices=ExportFormat.choices, default=ExportFormat.JSON
    )
    include_evidence = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.COMPLETED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_reports",
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_about",
    )
    dfid = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    findings = models.JSONField(default=list)
    content = models.JSONField(default=dict)
    summary = models.TextField(blank=True, default="")
    total_events = models.IntegerField(default=0)
    compliance_status = models.CharField(max_length=40, default="compliant")
    generated_at_ts = models.BigIntegerField(default=unix_now, db_index=True)

    class Meta:
        db_table = "compliance_reports"
        ordering = ["-generated_at_ts", "report_id"]

    def __str__(self) -> str:
        return f"{self.report_type} report {self.report_id}"
