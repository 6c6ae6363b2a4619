"""EPCIS 2.0 capture jobs and the events they stored."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from circuits.models import DeliveryRecord


class CaptureErrorBehaviour(models.TextChoices):
    ROLLBACK = "rollback"
    PROCEED = "proceed"


class CaptureJob(models.Model):
    """One ``POST /epcis/capture`` (or ``/epcis/events``): its state and its errors."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="epcis_capture_jobs"
    )
    error_behaviour = models.CharField(
        max_length=10, choices=CaptureErrorBehaviour.choices, default=CaptureErrorBehaviour.ROLLBACK
    )
    running = models.BooleanField(default=True)
    success = models.BooleanField(default=True)
    # RFC 7807 problem details, one per refused event (or for the whole document).
    errors = models.JSONField(default=list, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    stored_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_default=Now())
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "epcis_capture_jobs"
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="epcis_jobs_owner_idx")]

    def __str__(self) -> str:
        return str(self.id)


class EpcisEvent(models.Model):
    """A captured event: the event as sent (plus its ``eventID`` and ``recordTime``) and the
    columns the standard's queries filter on."""

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="epcis_events",
        db_index=False,  # every index below starts with the owner
    )
    capture_job = models.ForeignKey(
        CaptureJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    event_id = models.CharField(max_length=500)
    event_type = models.CharField(max_length=255)
    event_time = models.DateTimeField()
    event_timezone_offset = models.CharField(max_length=6, blank=True, default="")
    record_time = models.DateTimeField()
    action = models.CharField(max_length=10, blank=True, default="")
    # Standard values as their bare names (``shipping``), others as the URI given.
    biz_step = models.CharField(max_length=500, blank=True, default="")
    disposition = models.CharField(max_length=500, blank=True, default="")
    # GS1 keys as canonical Digital Links, other identifiers as given.
    read_point = models.CharField(max_length=500, blank=True, default="")
    biz_location = models.CharField(max_length=500, blank=True, default="")
    # The document's @context (namespaces of the event's extensions).
    context = models.JSONField(default=list, blank=True)
    event = models.JSONField()

    class Meta:
        db_table = "epcis_events"
        ordering = ["event_time", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "event_id"], name="epcis_events_owner_id_uniq")
        ]
        indexes = [
            models.Index(fields=["owner", "event_time", "id"], name="epcis_events_time_idx"),
            models.Index(fields=["owner", "record_time", "id"], name="epcis_events_record_idx"),
            models.Index(fields=["owner", "event_type"], name="epcis_events_type_idx"),
            models.Index(fields=["owner", "biz_step"], name="epcis_events_bizstep_idx"),
            models.Index(fields=["owner", "disposition"], name="epcis_events_disp_idx"),
            models.Index(fields=["owner", "read_point"], name="epcis_events_readpoint_idx"),
            models.Index(fields=["owner", "biz_location"], name="epcis_events_bizloc_idx"),
            models.Index(fields=["owner", "action"], name="epcis_events_action_idx"),
            # GET /epcis/events/{eventID} and EQ_eventID over events shared by other parties.
            models.Index(fields=["event_id"], name="epcis_events_event_id_idx"),
            # Time windows over events of many capturers (what a caller sees through
            # workspaces and circuits is not one owner's range of the indexes above).
            models.Index(fields=["event_time", "id"], name="epcis_events_any_time_idx"),
            models.Index(fields=["record_time", "id"], name="epcis_events_any_record_idx"),
        ]

    def __str__(self) -> str:
        return self.event_id


class EpcRole(models.TextChoices):
    EPC = "epc"
    PARENT = "parent"
    CHILD = "child"
    INPUT = "input"
    OUTPUT = "output"
    QUANTITY = "quantity"
    INPUT_CLASS = "input_class"
    OUTPUT_CLASS = "output_class"


class EpcisEventEpc(models.Model):
    """One identifier an event names, with the role it plays there (for MATCH_* queries)."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(
        EpcisEvent, on_delete=models.CASCADE, related_name="epcs", db_index=False
    )
    # Canonical form (a Digital Link on id.gs1.org for GS1 keys; otherwise as given).
    epc = models.CharField(max_length=500)
    role = models.CharField(max_length=12, choices=EpcRole.choices)
    # For a class in a quantity list: its quantity (EQ_/GT_/GE_/LT_/LE_quantity).
    quantity = models.FloatField(null=True, blank=True)
    # The DeFarm item this GS1 key names (its canonical identifier in the ``gs1`` namespace).
    item = models.ForeignKey(
        "items.Item",
        db_column="dfid",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="epcis_epcs",
        db_index=False,
    )

    class Meta:
        db_table = "epcis_event_epcs"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["epc", "role"], name="epcis_epcs_epc_role_idx"),
            models.Index(fields=["event"], name="epcis_epcs_event_idx"),
            models.Index(
                fields=["item"], condition=Q(item__isnull=False), name="epcis_epcs_item_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.epc}"


class EpcisBizTransaction(models.Model):
    """A business transaction an event names (for EQ_bizTransaction_<type> queries)."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(
        EpcisEvent, on_delete=models.CASCADE, related_name="biz_transactions", db_index=False
    )
    # Standard types as bare names (``po``), others as the URI given; "" when untyped.
    transaction_type = models.CharField(max_length=500, blank=True, default="")
    transaction = models.CharField(max_length=500)

    class Meta:
        db_table = "epcis_biz_transactions"
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["transaction_type", "transaction"], name="epcis_btx_type_value_idx"
            ),
            models.Index(fields=["event"], name="epcis_btx_event_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_type}: {self.transaction}"


class NamedQuery(models.Model):
    """A SimpleEventQuery a party saved under a name (``POST /epcis/queries``)."""

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="epcis_queries",
        db_index=False,  # the unique constraint starts with the owner
    )
    name = models.CharField(max_length=255)
    query = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "epcis_named_queries"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="epcis_queries_owner_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class QuerySubscription(models.Model):
    """A standing query (``POST /epcis/queries/{name}/subscriptions``): the worker POSTs its
    results to ``dest`` as ``EPCISQueryDocument``s, as events are captured (``stream``) or on a
    cron-like ``schedule``. Its deliveries are ``SubscriptionDelivery`` rows, sent by the
    webhooks' delivery machinery."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="epcis_subscriptions",
        db_index=False,  # the index below starts with the owner
    )
    query = models.ForeignKey(NamedQuery, on_delete=models.DB_CASCADE, related_name="subscriptions")
    dest = models.TextField()
    # The subscriber's secret: the key of the GS1-Signature HMAC; never answered back.
    signature_token = models.CharField(max_length=1000, blank=True, default="")
    stream = models.BooleanField(default=False)
    # The standard's fields (second, minute, hour, dayOfMonth, month, dayOfWeek) as given.
    schedule = models.JSONField(null=True, blank=True)
    report_if_empty = models.BooleanField(default=False)
    epc_format = models.CharField(max_length=30, default="Always_GS1_Digital_Link")
    initial_record_time = models.DateTimeField()
    # Events recorded from this time on are the next run's (set to each run's time).
    min_record_time = models.DateTimeField()
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "epcis_query_subscriptions"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["owner", "query", "created_at"], name="epcis_subs_owner_idx"),
            models.Index(
                fields=["next_run_at"],
                condition=Q(next_run_at__isnull=False),
                name="epcis_subs_next_run_idx",
            ),
            models.Index(fields=["id"], condition=Q(stream=True), name="epcis_subs_stream_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stream=True, schedule__isnull=True)
                | Q(stream=False, schedule__isnull=False),
                name="epcis_subs_stream_or_schedule",
            )
        ]

    def __str__(self) -> str:
        return str(self.id)


class SubscriptionDelivery(DeliveryRecord):
    """One ``EPCISQueryDocument`` POSTed to a subscription's ``dest`` (with the retries of
    circuit webhooks' deliveries, ``circuits.services.webhooks``)."""

    subscription = models.ForeignKey(
        QuerySubscription, on_delete=models.DB_CASCADE, related_name="deliveries"
    )

    class Meta(DeliveryRecord.Meta):
        db_table = "epcis_subscription_deliveries"
        verbose_name_plural = "subscription deliveries"
        indexes = [models.Index(fields=["-created_at_ts"], name="epcis_sub_deliv_created_idx")]
