"""Push, pull, operations, pending items, circuit items and activities as the earlier engine
answered them."""

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from circuits.api.serializers.fields import rfc3339
from circuits.models import Activity, CircuitItem, CircuitOperation, CircuitPendingItem
from defarm.api.identity import CallerIdentitySerializer
from items.item_view import ItemView
from items.models import Event

# What a member may do with an item of the circuit (the engine's circuit_items.permissions).
CIRCUIT_ITEM_PERMISSIONS = ["read", "verify"]


def _string_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), **kwargs)


class OperationSerializer(serializers.Serializer):
    """``CircuitOperationResponse``; DeFarm adds the approver, the reason of a rejection and
    when it was approved and completed (also in ``metadata``)."""

    operation_id = serializers.UUIDField()
    circuit_id = serializers.UUIDField()
    dfid = serializers.CharField(allow_null=True)
    operation_type = serializers.CharField(help_text="Push or Pull.")
    requester_id = serializers.CharField()
    timestamp = serializers.IntegerField(help_text="Unix seconds of the request.")
    status = serializers.CharField(help_text="Pending, Approved, Rejected, Completed or Failed.")
    metadata = serializers.DictField()
    approver_id = serializers.CharField(allow_null=True)
    rejection_reason = serializers.CharField(allow_null=True)
    approved_at_ts = serializers.IntegerField(allow_null=True)
    completed_at_ts = serializers.IntegerField(allow_null=True)

    def to_representation(self, operation: CircuitOperation) -> dict[str, Any]:
        decided = {
            "approver_id": operation.approver_id,
            "rejection_reason": operation.rejection_reason,
            "approved_at_ts": operation.approved_at_ts,
            "completed_at_ts": operation.completed_at_ts,
        }
        return {
            "operation_id": str(operation.operation_id),
            "circuit_id": str(operation.circuit_id),
            "dfid": operation.dfid,
            "operation_type": operation.operation_type,
            "requester_id": operation.requester_id,
            "timestamp": operation.created_at_ts,
            "status": operation.status,
            "metadata": {key: value for key, value in decided.items() if value is not None},
            **decided,
        }


class OperationEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = OperationSerializer()


class PushSerializer(CallerIdentitySerializer):
    """The engine required a JSON object here and ignored it; DeFarm takes none too."""

    identity_fields = ("requester_id",)


class PushLocalSerializer(CallerIdentitySerializer):
    identity_fields = ("requester_id",)

    local_id = serializers.UUIDField()
    identifiers = serializers.ListField(
        child=serializers.DictField(), required=False, allow_null=True
    )
    enriched_data = serializers.DictField(required=False, allow_null=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        return {key: value for key, value in attrs.items() if value is not None}


class PushLocalDataSerializer(serializers.Serializer):
    dfid = serializers.CharField(
        allow_null=True, help_text="Null while the push waits for approval."
    )
    status = serializers.CharField(
        help_text="NewItemCreated, ExistingItemEnriched or PendingApproval."
    )
    operation_id = serializers.UUIDField()
    local_id = serializers.UUIDField()


class PushLocalEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = PushLocalDataSerializer()


class BatchPushItemSerializer(serializers.Serializer):
    dfid = serializers.CharField(max_length=255)
    data = serializers.JSONField(required=False, allow_null=True, help_text="Ignored.")


class BatchPushSerializer(CallerIdentitySerializer):
    identity_fields = ("requester_id",)

    items = BatchPushItemSerializer(many=True, allow_empty=False, max_length=1000)


class BatchPushResultSerializer(serializers.Serializer):
    dfid = serializers.CharField()
    success = serializers.BooleanField()
    error_message = serializers.CharField(allow_null=True)
    operation_id = serializers.UUIDField(allow_null=True)
    status = serializers.CharField(allow_null=True, help_text="The operation's status.")


class BatchPushResponseSerializer(serializers.Serializer):
    success_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()
    results = BatchPushResultSerializer(many=True)


class StringListField(serializers.ListField):
    """A list of strings of at most ``item_max_length`` characters, checked in one pass (a
    child field run per element costs more than the write it feeds, at 10,000 elements)."""

    def __init__(self, *, item_max_length: int, **kwargs):
        self.item_max_length = item_max_length
        super().__init__(child=serializers.CharField(max_length=item_max_length), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not all(
            isinstance(value, str) and 0 < len(value) <= self.item_max_length for value in data
        ):
            raise serializers.ValidationError(
                f"Each element is a non-empty string of at most {self.item_max_length} characters."
            )
        return list(data)


class PushEventsSerializer(CallerIdentitySerializer):
    identity_fields = ("requester_id",)

    local_event_ids = StringListField(
        item_max_length=64,
        max_length=10_000,
        help_text="Ids of the caller's local events (POST /api/events/local), at most 10,000.",
    )
    dfid = serializers.CharField(max_length=255, help_text="An item of the circuit.")


class PushedEventSerializer(serializers.Serializer):
    local_event_id = serializers.CharField()
    event_id = serializers.CharField(
        help_text="The event now holding the content: the local event itself, or the one "
        "recorded before it when deduplicated."
    )
    dfid = serializers.CharField()
    was_deduplicated = serializers.BooleanField()
    original_event_id = serializers.CharField(allow_null=True)


class EventPushFailureSerializer(serializers.Serializer):
    local_event_id = serializers.CharField()
    error_message = serializers.CharField()


class PushEventsResponseSerializer(serializers.Serializer):
    """The engine's ``PushEventsResponse``; DeFarm adds the events it could not push
    (``events_failed``, ``failed``), which the engine skipped without a word."""

    success = serializers.BooleanField()
    circuit_id = serializers.CharField()
    events_pushed = serializers.IntegerField()
    events_deduplicated = serializers.IntegerField()
    events = PushedEventSerializer(many=True)
    events_failed = serializers.IntegerField()
    failed = EventPushFailureSerializer(many=True)


class OperationApproveSerializer(CallerIdentitySerializer):
    identity_fields = ("approver_id", "admin_id")


class OperationRejectSerializer(CallerIdentitySerializer):
    identity_fields = ("rejecter_id", "approver_id", "admin_id")

    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["reason"] = attrs.get("reason") or ""
        return attrs


# --- pulled items -------------------------------------------------------------------------------


def identifier_raw(identifier) -> dict[str, Any]:
    """The engine's raw serde ``Identifier`` (``id_type`` tagged Canonical/Contextual)."""
    metadata = identifier.type_metadata or {}
    if identifier.id_type == "Canonical":
        id_type: dict[str, Any] = {
            "Canonical": {
                "registry": metadata.get("registry") or identifier.key,
                "verified": bool(metadata.get("verified")),
                "verification_date": metadata.get("verification_date"),
            }
        }
    else:
        id_type = {"Contextual": {"scope": metadata.get("scope") or "user"}}
    return {
        "namespace": identifier.namespace,
        "key": identifier.key,
        "value": identifier.value,
        "id_type": id_type,
    }


def event_raw(event: Event) -> dict[str, Any]:
    """The engine's raw serde ``Event``."""
    return {
        "event_id": str(event.event_id),
        "dfid": event.item_id,
        "event_type": event.event_type,
        "timestamp": rfc3339(event.timestamp),
        "source": event.created_by_id or "",
        "metadata": event.metadata or {},
        "is_encrypted": event.encrypted_data is not None,
        "visibility": event.visibility,
        "content_hash": event.content_hash or "",
        "is_local": False,
    }


def item_raw(view: ItemView) -> dict[str, Any]:
    """The engine's raw serde ``Item``, of what the viewer sees (``items.item_view``)."""
    item = view.item
    return {
        "dfid": item.dfid,
        "identifiers": [identifier_raw(identifier) for identifier in view.identifiers],
        "enriched_data": view.enriched_data or {},
        "creation_timestamp": item.created_at_ts,
        "last_modified": item.last_updated_ts,
        "source_entries": [],
        "confidence_score": 1.0,
        "status": item.status,
    }


class PullResultSerializer(serializers.Serializer):
    """``{item, events, events_count, operation}``; ``item`` is null and ``events`` empty
    while a pull waits for approval."""

    item = serializers.DictField(allow_null=True)
    events = serializers.ListField(child=serializers.DictField())
    events_count = serializers.IntegerField()
    operation = OperationSerializer()


# --- pending items ------------------------------------------------------------------------------


class PendingItemSerializer(serializers.Serializer):
    """The engine's ``PendingItemResponse``: ``pending_id`` is the waiting operation's id
    (the pending row's own id is ``id``; the approve/reject routes take either)."""

    pending_id = serializers.CharField()
    dfid = serializers.CharField()
    pushed_by = serializers.CharField()
    pushed_at = serializers.IntegerField(help_text="Unix seconds.")
    status = serializers.CharField(help_text="Pending, Approved or Rejected.")
    item_preview = serializers.DictField(allow_null=True)
    id = serializers.UUIDField()
    operation_id = serializers.UUIDField(allow_null=True)
    circuit_id = serializers.UUIDField()

    def to_representation(self, pending: CircuitPendingItem) -> dict[str, Any]:
        return {
            "pending_id": str(pending.operation_id or pending.pk),
            "dfid": pending.item_id,
            "pushed_by": pending.pushed_by,
            "pushed_at": pending.pushed_at_ts,
            "status": pending.status,
            "item_preview": {
                "identifiers": list(pending.identifiers or []),
                "enriched_data": pending.enriched_data or {},
            },
            "id": str(pending.pk),
            "operation_id": str(pending.operation_id) if pending.operation_id else None,
            "circuit_id": str(pending.circuit_id),
        }


@extend_schema_serializer(many=False)  # one envelope holding the page, not a list of envelopes
class PendingItemsEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = PendingItemSerializer(many=True)


class PendingItemApproveSerializer(CallerIdentitySerializer):
    identity_fields = ("admin_id", "approver_id")


class PendingItemRejectSerializer(CallerIdentitySerializer):
    identity_fields = ("admin_id", "approver_id")

    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["reason"] = attrs.get("reason") or ""
        return attrs


class PendingItemApprovedSerializer(serializers.Serializer):
    circuit_id = serializers.UUIDField()
    dfid = serializers.CharField()
    pushed_by = serializers.CharField()
    pushed_at = serializers.IntegerField()
    approved_by = serializers.CharField()
    approved_at = serializers.IntegerField()
    status = serializers.CharField(help_text="active")


class PendingItemApprovedEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = PendingItemApprovedSerializer()


# --- contents -----------------------------------------------------------------------------------


class CircuitItemSerializer(serializers.Serializer):
    """The engine's ``CircuitItemResponse``; with ``?include_events=true`` each row also has
    the item's ``events`` a member may see."""

    dfid = serializers.CharField()
    circuit_id = serializers.UUIDField()
    circuit_name = serializers.CharField()
    pushed_by = serializers.CharField()
    pushed_at = serializers.IntegerField(help_text="Unix seconds.")
    permissions = _string_list()
    events = serializers.ListField(child=serializers.DictField(), required=False)

    def to_representation(self, circuit_item: CircuitItem) -> dict[str, Any]:
        row = {
            "dfid": circuit_item.item_id,
            "circuit_id": str(circuit_item.circuit_id),
            "circuit_name": circuit_item.circuit.name,
            "pushed_by": circuit_item.added_by,
            "pushed_at": circuit_item.added_at_ts,
            "permissions": list(CIRCUIT_ITEM_PERMISSIONS),
        }
        if self.context.get("include_events"):
            row["events"] = [event_raw(event) for event in circuit_item.item.member_events]
        return row


class ActivityDetailsSerializer(serializers.Serializer):
    items_count = serializers.IntegerField()
    success_count = serializers.IntegerField()
    failed_items = _string_list()
    enrichment_matches = _string_list()
    permissions = _string_list(allow_null=True)
    error_message = serializers.CharField(allow_null=True)


class ActivitySerializer(serializers.Serializer):
    """The engine's ``ActivityResponse``; ``details`` also holds what DeFarm recorded (the
    operation, its approver, the push result)."""

    activity_id = serializers.CharField()
    activity_type = serializers.CharField(help_text="Push, Pull or Enrich.")
    circuit_id = serializers.CharField()
    circuit_name = serializers.CharField()
    item_dfids = _string_list()
    user_id = serializers.CharField()
    timestamp = serializers.IntegerField(help_text="Unix seconds.")
    status = serializers.CharField(help_text="Success, Partial or Failed.")
    details = ActivityDetailsSerializer()

    def to_representation(self, activity: Activity) -> dict[str, Any]:
        dfids = list(activity.dfids or [])
        details = activity.details or {}
        failed = activity.status in ("Failed",)
        return {
            "activity_id": str(activity.activity_id),
            "activity_type": activity.activity_type,
            "circuit_id": str(activity.circuit_id) if activity.circuit_id else "",
            "circuit_name": activity.circuit_name or "",
            "item_dfids": dfids,
            "user_id": activity.performed_by,
            "timestamp": activity.timestamp_ts,
            "status": "Failed" if failed else "Success",
            "details": {
                **details,
                "items_count": len(dfids),
                "success_count": 0 if failed else len(dfids),
                "failed_items": dfids if failed else [],
                "enrichment_matches": [],
                "permissions": None,
                "error_message": details.get("error_message"),
            },
        }
