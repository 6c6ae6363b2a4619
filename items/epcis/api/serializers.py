"""Shapes of the EPCIS routes (the standard's REST binding)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from items.epcis.models import CaptureJob, QuerySubscription


class EpcisProblemSerializer(serializers.Serializer):
    """RFC 7807 problem details, as the EPCIS 2.0 REST binding answers errors."""

    type = serializers.CharField(help_text="The standard's exception, `epcisException:...`.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What is wrong (the field and the reason).")
    eventIndex = serializers.IntegerField(
        required=False, help_text="In a capture job's errors: the refused event's position."
    )


class CaptureJobSerializer(serializers.ModelSerializer):
    captureID = serializers.UUIDField(source="id", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    finishedAt = serializers.DateTimeField(source="finished_at", read_only=True, allow_null=True)
    captureErrorBehaviour = serializers.CharField(source="error_behaviour", read_only=True)
    errors = EpcisProblemSerializer(many=True, read_only=True)
    eventCount = serializers.IntegerField(source="event_count", read_only=True)
    storedCount = serializers.IntegerField(
        source="stored_count",
        read_only=True,
        help_text="Events stored by this job (not counting those already captured).",
    )
    duplicateCount = serializers.IntegerField(
        source="duplicate_count",
        read_only=True,
        help_text="Events not stored again: the caller had already captured their eventID.",
    )

    class Meta:
        model = CaptureJob
        fields = [
            "captureID",
            "createdAt",
            "finishedAt",
            "running",
            "success",
            "captureErrorBehaviour",
            "errors",
            "eventCount",
            "storedCount",
            "duplicateCount",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonObjectField(serializers.JSONField):
    pass


@extend_schema_field(
    {"oneOf": [{"type": "string", "format": "uri"}, {"type": "object", "additionalProperties": {}}]}
)
class ContextEntryField(serializers.JSONField):
    """One entry of a JSON-LD ``@context``: a context URL or an object of prefixes."""


class NamedQuerySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    query = JsonObjectField(
        help_text='SimpleEventQuery parameters, e.g. `{"eventType": ["ObjectEvent"]}`.'
    )


class QueryResultsSerializer(serializers.Serializer):
    queryName = serializers.CharField()
    resultsBody = JsonObjectField(help_text='`{"eventList": [...]}`')


class QueryBodySerializer(serializers.Serializer):
    queryResults = QueryResultsSerializer()


class QueryDocumentSerializer(serializers.Serializer):
    """An `EPCISQueryDocument` (see the official EPCIS 2.0 JSON Schema)."""

    type = serializers.CharField()
    schemaVersion = serializers.CharField()
    creationDate = serializers.DateTimeField()
    epcisBody = QueryBodySerializer()


class ScheduleSerializer(serializers.Serializer):
    """The standard's query schedule: each field a number, a range `[low-high]`, a step
    `start/step` or a comma-separated list of those (UTC)."""

    second = serializers.CharField(required=False, help_text="0-59.")
    minute = serializers.CharField(required=False, help_text="0-59.")
    hour = serializers.CharField(required=False, help_text="0-23.")
    dayOfMonth = serializers.CharField(required=False, help_text="1-31.")
    month = serializers.CharField(required=False, help_text="1-12.")
    dayOfWeek = serializers.CharField(required=False, help_text="1 (Monday) - 7 (Sunday).")


class SubscriptionRequestSerializer(serializers.Serializer):
    """A query subscription request (the standard's AbstractQuerySubscription with `stream`
    or `schedule`)."""

    dest = serializers.URLField(help_text="Callback URL (public http or https).")
    signatureToken = serializers.CharField(
        required=False,
        max_length=1000,
        help_text="The caller's secret: DeFarm signs each delivery with it (`GS1-Signature`).",
    )
    stream = serializers.BooleanField(
        required=False, help_text="`true`: every new matching event, as captured."
    )
    schedule = ScheduleSerializer(required=False)
    reportIfEmpty = serializers.BooleanField(
        required=False, default=False, help_text="Scheduled runs: send even when nothing matched."
    )
    initialRecordTime = serializers.DateTimeField(
        required=False, help_text="Events recorded from then on (default: now)."
    )


class SubscriptionSerializer(serializers.ModelSerializer):
    """A query subscription (never its `signatureToken`); `stream` or `schedule` and
    `reportIfEmpty`, as the standard's QueryStreamSubscription / QueryScheduleSubscription."""

    subscriptionID = serializers.UUIDField(source="id", read_only=True)
    queryName = serializers.CharField(source="query.name", read_only=True)
    dest = serializers.CharField(read_only=True)
    stream = serializers.BooleanField(
        read_only=True, required=False, help_text="Only on stream subscriptions (`true`)."
    )
    schedule = ScheduleSerializer(
        read_only=True, required=False, help_text="Only on scheduled subscriptions."
    )
    reportIfEmpty = serializers.BooleanField(
        source="report_if_empty", read_only=True, required=False
    )
    initialRecordTime = serializers.DateTimeField(source="initial_record_time", read_only=True)
    minRecordTime = serializers.DateTimeField(
        source="min_record_time",
        read_only=True,
        help_text="Scheduled: the next run sends the events recorded from this time on.",
    )
    epcFormat = serializers.CharField(source="epc_format", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    lastNotifiedAt = serializers.DateTimeField(
        source="last_notified_at",
        read_only=True,
        allow_null=True,
        help_text="When `dest` last answered a delivery with 2xx.",
    )
    nextRunAt = serializers.DateTimeField(
        source="next_run_at",
        read_only=True,
        required=False,
        help_text="DeFarm: scheduled subscriptions' next run.",
    )

    class Meta:
        model = QuerySubscription
        fields = [
            "subscriptionID",
            "queryName",
            "dest",
            "stream",
            "schedule",
            "reportIfEmpty",
            "initialRecordTime",
            "minRecordTime",
            "epcFormat",
            "createdAt",
            "lastNotifiedAt",
            "nextRunAt",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.stream:
            for name in ("schedule", "reportIfEmpty", "nextRunAt"):
                data.pop(name, None)
        else:
            data.pop("stream", None)
            data["schedule"] = dict(instance.schedule or {})
        return data


class CollectionSerializer(serializers.Serializer):
    type = serializers.CharField()
    member = serializers.ListField(child=serializers.CharField())


# ``@context`` is not a Python name: declared after the class body.
QueryDocumentSerializer._declared_fields = {
    "@context": serializers.ListField(child=ContextEntryField()),
    **QueryDocumentSerializer._declared_fields,
}
CollectionSerializer._declared_fields = {
    "@context": serializers.ListField(child=serializers.CharField()),
    **CollectionSerializer._declared_fields,
}
