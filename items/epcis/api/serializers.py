"""Shapes of the EPCIS routes (the standard's REST binding)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from items.epcis.models import CaptureJob


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
