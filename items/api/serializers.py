import base64
import binascii
from datetime import datetime

from django.utils import timezone
from rest_framework import serializers

from items.identifiers import (
    CONTEXTUAL_SCOPES,
    IDENTIFIER_KEY_MAX_LENGTH,
    IDENTIFIER_VALUE_MAX_LENGTH,
)
from items.item_view import item_view
from items.models import (
    ConflictResolution,
    Event,
    EventType,
    EventVisibility,
    IdentifierType,
    Item,
    ItemIdentifier,
    Receipt,
    ReceiptIdentifier,
)
from items.services import ConflictStrategy, MergeStrategy


class IdentifierInputSerializer(serializers.Serializer):
    namespace = serializers.CharField(required=False, max_length=50, help_text="Default `generic`.")
    key = serializers.CharField(
        max_length=IDENTIFIER_KEY_MAX_LENGTH,
        help_text="For canonical ids, the registry (sisbov, cpf, ...).",
    )
    value = serializers.CharField(max_length=IDENTIFIER_VALUE_MAX_LENGTH)
    id_type = serializers.ChoiceField(
        choices=IdentifierType.choices, required=False, default=IdentifierType.CONTEXTUAL
    )
    scope = serializers.ChoiceField(choices=CONTEXTUAL_SCOPES, required=False)
    verified = serializers.BooleanField(
        required=False, help_text="Ignored: DeFarm decides whether a canonical id is verified."
    )
    verification_date = serializers.CharField(
        required=False, allow_null=True, help_text="Ignored, as `verified`."
    )


def datetime_representation(value: datetime | None) -> str | None:
    """``value`` as DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as Z."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class IdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemIdentifier
        fields = ["namespace", "key", "value", "id_type", "type_metadata", "created_at"]
        read_only_fields = fields

    def to_representation(self, identifier: ItemIdentifier) -> dict:
        """The declared fields, written directly (see ``ItemSerializer.to_representation``)."""
        return identifier_representation(identifier)


def identifier_representation(identifier: ItemIdentifier) -> dict:
    return {
        "namespace": identifier.namespace,
        "key": identifier.key,
        "value": identifier.value,
        "id_type": identifier.id_type,
        "type_metadata": identifier.type_metadata,
        "created_at": datetime_representation(identifier.created_at),
    }


class ItemSerializer(serializers.ModelSerializer):
    identifiers = IdentifierSerializer(many=True, read_only=True)
    local_id = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Item
        fields = [
            "dfid",
            "local_id",
            "status",
            "item_hash",
            "identifiers",
            "enriched_data",
            "created_by",
            "created_at_ts",
            "last_updated_ts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_local_id(self, item: Item) -> str | None:
        return item.local_id

    def _viewer(self):
        viewer = self.context.get("viewer")
        if viewer is None and self.context.get("request") is not None:
            viewer = self.context["request"].user
        if viewer is None:
            raise AssertionError(
                "ItemSerializer shows an item as one viewer sees it: put the request (or "
                "`viewer`) in its context."
            )
        return viewer

    def to_representation(self, item: Item) -> dict:
        """The declared fields, written directly: item reads are the API's hottest path, and
        building DRF's field objects for every answer was a large part of their cost. The
        declarations above still drive validation and the OpenAPI schema; a test holds this
        answer equal to the one DRF builds from them.

        What is shown is the item as the viewer (the request's user, or ``viewer`` in the
        context) sees it: the merge of the contribution layers it may see."""
        view = item_view(item=item, viewer=self._viewer())
        return {
            "dfid": item.dfid,
            "local_id": item.local_id,
            "status": item.status,
            "item_hash": view.item_hash,
            "identifiers": [identifier_representation(i) for i in view.identifiers],
            "enriched_data": view.enriched_data,
            "created_by": None if view.created_by_id is None else str(view.created_by_id),
            "created_at_ts": item.created_at_ts,
            "last_updated_ts": item.last_updated_ts,
            "created_at": datetime_representation(item.created_at),
            "updated_at": datetime_representation(item.updated_at),
        }


class ItemCreateSerializer(serializers.Serializer):
    identifiers = IdentifierInputSerializer(many=True, allow_empty=False)
    enriched_data = serializers.DictField(required=False, allow_null=True)


class ItemUpdateSerializer(serializers.Serializer):
    identifiers = IdentifierInputSerializer(many=True, required=False)
    enriched_data = serializers.DictField(required=False, allow_null=True)


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.CharField(help_text="created, enriched, conflict or invalid")
    dfid = serializers.CharField(required=False)
    error = serializers.CharField(required=False)
    conflict_id = serializers.UUIDField(required=False)
    conflicting_dfids = serializers.ListField(child=serializers.CharField(), required=False)


class BatchSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    enriched = serializers.IntegerField()
    conflict = serializers.IntegerField()
    invalid = serializers.IntegerField()


class BatchResponseSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True)
    summary = BatchSummarySerializer()


class ItemMergeSerializer(serializers.Serializer):
    secondary_dfid = serializers.CharField()


class SplitIdentifierSerializer(serializers.Serializer):
    namespace = serializers.CharField(required=False, max_length=50)
    key = serializers.CharField(max_length=IDENTIFIER_KEY_MAX_LENGTH)
    value = serializers.CharField(max_length=IDENTIFIER_VALUE_MAX_LENGTH)


class ItemSplitSerializer(serializers.Serializer):
    identifiers = SplitIdentifierSerializer(many=True, allow_empty=False)


class ItemSplitResultSerializer(serializers.Serializer):
    original_item = ItemSerializer()
    new_item = ItemSerializer()


class LocalItemCreateSerializer(serializers.Serializer):
    identifiers = IdentifierInputSerializer(many=True, required=False)
    enriched_data = serializers.DictField(required=False, allow_null=True)


class LocalItemSerializer(serializers.Serializer):
    local_id = serializers.UUIDField()
    status = serializers.CharField()


class LocalMappingSerializer(serializers.Serializer):
    local_id = serializers.UUIDField()
    dfid = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="LocalOnly or Tokenized")


class LocalMergeSerializer(serializers.Serializer):
    primary_local_id = serializers.UUIDField()
    secondary_local_ids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False)
    strategy = serializers.ChoiceField(choices=MergeStrategy.ALL, default=MergeStrategy.APPEND)


class LocalUnmergeResultSerializer(serializers.Serializer):
    primary = ItemSerializer()
    restored = ItemSerializer()


class EventSerializer(serializers.ModelSerializer):
    dfid = serializers.CharField(source="item_id", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Event
        fields = [
            "event_id",
            "dfid",
            "event_type",
            "timestamp",
            "metadata",
            "visibility",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class EventCreateSerializer(serializers.Serializer):
    dfid = serializers.CharField()
    event_type = serializers.ChoiceField(choices=EventType.choices)
    source = serializers.CharField(required=False, default="", allow_blank=True)
    metadata = serializers.DictField(required=False, default=dict)
    visibility = serializers.ChoiceField(
        choices=EventVisibility.choices, default=EventVisibility.PUBLIC
    )


class Base64DataField(serializers.CharField):
    """Bytes sent as base64 text."""

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)
        return b"" if value == "" else value  # blank skips to_internal_value: no bytes yet

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as error:
            raise serializers.ValidationError("data is not valid base64.") from error


class ReceiptIdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReceiptIdentifier
        fields = ["key", "value"]
        extra_kwargs = {
            "key": {"max_length": IDENTIFIER_KEY_MAX_LENGTH},
            "value": {"max_length": IDENTIFIER_VALUE_MAX_LENGTH},
        }


class ReceiptSerializer(serializers.ModelSerializer):
    identifiers = ReceiptIdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = ["id", "data_hash", "size_bytes", "timestamp", "identifiers", "created_at"]
        read_only_fields = fields


class ReceiptCreateSerializer(serializers.Serializer):
    data = Base64DataField(help_text="The bytes, base64-encoded.", allow_blank=True)
    identifiers = ReceiptIdentifierSerializer(many=True, required=False, default=list)


class ReceiptVerifySerializer(serializers.Serializer):
    data = Base64DataField(help_text="The bytes to check, base64-encoded.", allow_blank=True)


class ReceiptVerifyResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()


class ConflictSerializer(serializers.ModelSerializer):
    conflicting_dfids = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ConflictResolution
        fields = [
            "conflict_id",
            "identifier_key",
            "identifier_value",
            "conflicting_dfids",
            "resolution_strategy",
            "resolved_dfid",
            "status",
            "created_at_ts",
            "resolved_at_ts",
            "created_at",
        ]
        read_only_fields = fields


class ConflictResolveSerializer(serializers.Serializer):
    strategy = serializers.ChoiceField(choices=ConflictStrategy.ALL)
    target_dfid = serializers.CharField(required=False, allow_null=True)
