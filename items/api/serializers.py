import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from items.api.fields import EventTypeField, EventVisibilityField, IdentifierTypeField
from items.identifiers import (
    CONTEXTUAL_SCOPES,
    IDENTIFIER_KEY_MAX_LENGTH,
    IDENTIFIER_VALUE_MAX_LENGTH,
)
from items.item_view import ItemView, ViewIdentifier, item_view
from items.models import (
    MERGED_INTO_PREFIX,
    ConflictResolution,
    Event,
    EventVisibility,
    IdentifierType,
    Item,
    ItemIdentifier,
    ItemShare,
    PendingItem,
    Receipt,
    ReceiptIdentifier,
)
from items.services import ConflictStrategy, MergeStrategy


class IdentifierInputSerializer(serializers.Serializer):
    """The engine's ``IdentifierRequest``: ``id_type`` in any case, ``scope`` for contextual
    ids, ``verified``/``verification_date`` for canonical ones."""

    namespace = serializers.CharField(required=False, max_length=50, help_text="Default `generic`.")
    key = serializers.CharField(
        max_length=IDENTIFIER_KEY_MAX_LENGTH,
        help_text="For canonical ids, the registry (sisbov, cpf, ...).",
    )
    value = serializers.CharField(max_length=IDENTIFIER_VALUE_MAX_LENGTH)
    id_type = IdentifierTypeField(
        required=False,
        default=IdentifierType.CONTEXTUAL,
        help_text="`Canonical` or `Contextual` (any case); default Contextual.",
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


def unix_representation(seconds: int | None) -> str | None:
    """Unix seconds as the engine's RFC 3339 text (UTC, ``Z``)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def item_status_representation(status: str) -> str:
    """The engine's rendering of an item status: ``Active``, ``Deprecated``, ``Merged``,
    ``Split`` or ``MergedInto("<master local id>")``."""
    if status.startswith(MERGED_INTO_PREFIX):
        return f'MergedInto("{status.removeprefix(MERGED_INTO_PREFIX)}")'
    return status


class IdentifierSerializer(serializers.ModelSerializer):
    """An identifier as the engine answered it (``namespace, key, value, id_type`` with
    ``scope`` for contextual ids, ``verified``/``verification_date`` for canonical ones),
    plus DeFarm's ``type_metadata`` and ``created_at``."""

    scope = serializers.SerializerMethodField()
    verified = serializers.SerializerMethodField()
    verification_date = serializers.SerializerMethodField()

    class Meta:
        model = ItemIdentifier
        fields = [
            "namespace",
            "key",
            "value",
            "id_type",
            "scope",
            "verified",
            "verification_date",
            "type_metadata",
            "created_at",
        ]
        read_only_fields = fields

    def get_scope(self, identifier: ItemIdentifier) -> str | None:
        return _identifier_extras(identifier)[0]

    def get_verified(self, identifier: ItemIdentifier) -> bool | None:
        return _identifier_extras(identifier)[1]

    def get_verification_date(self, identifier: ItemIdentifier) -> str | None:
        return _identifier_extras(identifier)[2]

    def to_representation(self, identifier: ItemIdentifier) -> dict:
        """The declared fields, written directly (see ``ItemSerializer.to_representation``)."""
        return identifier_representation(identifier)


def _identifier_extras(
    identifier: ItemIdentifier | ViewIdentifier,
) -> tuple[str | None, bool | None, str | None]:
    """``(scope, verified, verification_date)``: scope for contextual ids, the other two for
    canonical ones, None where the engine left the field out."""
    metadata = identifier.type_metadata or {}
    if identifier.id_type == IdentifierType.CANONICAL:
        return None, bool(metadata.get("verified", False)), metadata.get("verification_date")
    return metadata.get("scope") or "user", None, None


def identifier_representation(identifier: ItemIdentifier | ViewIdentifier) -> dict:
    scope, verified, verification_date = _identifier_extras(identifier)
    return {
        "namespace": identifier.namespace,
        "key": identifier.key,
        "value": identifier.value,
        "id_type": identifier.id_type,
        "scope": scope,
        "verified": verified,
        "verification_date": verification_date,
        "type_metadata": identifier.type_metadata,
        "created_at": datetime_representation(identifier.created_at),
    }


class ItemSerializer(serializers.ModelSerializer):
    """The engine's ``ItemResponse`` (``dfid, identifiers, enriched_data, creation_timestamp,
    last_modified, source_entries, status``) plus DeFarm's fields. Needs ``identifiers`` and
    ``source_entries`` prefetched."""

    identifiers = IdentifierSerializer(many=True, read_only=True)
    local_id = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(
        help_text='Active, Deprecated, Merged, Split or MergedInto("<master local id>").'
    )
    creation_timestamp = serializers.IntegerField(source="created_at_ts", read_only=True)
    last_modified = serializers.IntegerField(source="last_updated_ts", read_only=True)
    source_entries = serializers.SerializerMethodField()
    enriched_data = serializers.SerializerMethodField()
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
            "creation_timestamp",
            "last_modified",
            "source_entries",
            "created_by",
            "created_at_ts",
            "last_updated_ts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_local_id(self, item: Item) -> str | None:
        return item.local_id

    def get_status(self, item: Item) -> str:
        return item_status_representation(item.status)

    def get_source_entries(self, item: Item) -> list[str]:
        return [str(entry.entry_id) for entry in item.source_entries.all()]

    def get_enriched_data(self, item: Item) -> dict[str, Any]:
        return item.enriched_data or {}

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
        return item_view_representation(
            view, source_entries=[str(entry.entry_id) for entry in item.source_entries.all()]
        )


def item_view_representation(view: ItemView, *, source_entries: list[str]) -> dict:
    """The ``ItemSerializer`` answer of an item as one viewer sees it (``view``, whose ``item``
    is an ``Item`` or an ``ItemRow``), given its source entry ids as text."""
    item = view.item
    return {
        "dfid": item.dfid,
        "local_id": item.local_id,
        "status": item_status_representation(item.status),
        "item_hash": view.item_hash,
        "identifiers": [identifier_representation(i) for i in view.identifiers],
        "enriched_data": view.enriched_data or {},
        "creation_timestamp": item.created_at_ts,
        "last_modified": item.last_updated_ts,
        "source_entries": source_entries,
        "created_by": None if view.created_by_id is None else str(view.created_by_id),
        "created_at_ts": item.created_at_ts,
        "last_updated_ts": item.last_updated_ts,
        "created_at": datetime_representation(item.created_at),
        "updated_at": datetime_representation(item.updated_at),
    }


def item_views_representations(views: dict[str, ItemView]) -> dict[str, dict]:
    """``item_view_representation`` of each view read by ``item_views_read``, by DFID."""
    return {
        dfid: item_view_representation(view, source_entries=view.item.source_entries)
        for dfid, view in views.items()
    }


class ItemCreateSerializer(serializers.Serializer):
    identifiers = IdentifierInputSerializer(many=True, allow_empty=False)
    enriched_data = serializers.DictField(required=False, allow_null=True)
    source_entry = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The data-lake entry the item comes from (recorded in source_entries).",
    )


_ELEMENT_FIELDS = frozenset({"identifiers", "enriched_data", "source_entry"})
_PLAIN_IDENTIFIER_FIELDS = frozenset({"namespace", "key", "value", "id_type"})
_IDENTIFIER_TYPES = {choice.lower(): choice for choice in IdentifierType.values}
_NAMESPACE_MAX_LENGTH = 50


def _plain_text(value: Any, max_length: int) -> str | None:
    """``value`` as DRF's CharField validates it (stripped, not blank, at most ``max_length``,
    no NUL or lone surrogate), or None when only the field itself can say what is wrong."""
    if type(value) is not str:
        return None
    value = value.strip()
    if not value or len(value) > max_length or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def item_create_body_plain(element: Any) -> dict[str, Any] | None:
    """What ``ItemCreateSerializer`` validates ``element`` into, when ``element`` is plainly
    valid (string identifier fields, no ``scope``/``verified``, no ``source_entry``); None
    otherwise, and the serializer decides (and words any error).

    Batches of a thousand items spend most of their validation time in DRF's field machinery;
    this reads the common shape directly. A test holds both answers equal."""
    if type(element) is not dict or not element.keys() <= _ELEMENT_FIELDS:
        return None
    if element.get("source_entry") is not None:
        return None
    raw_identifiers = element.get("identifiers")
    if type(raw_identifiers) is not list or not raw_identifiers:
        return None
    identifiers = []
    for raw in raw_identifiers:
        if type(raw) is not dict or not raw.keys() <= _PLAIN_IDENTIFIER_FIELDS:
            return None
        key = _plain_text(raw.get("key"), IDENTIFIER_KEY_MAX_LENGTH)
        value = _plain_text(raw.get("value"), IDENTIFIER_VALUE_MAX_LENGTH)
        if key is None or value is None:
            return None
        identifier: dict[str, Any] = {}
        if "namespace" in raw:
            namespace = _plain_text(raw["namespace"], _NAMESPACE_MAX_LENGTH)
            if namespace is None:
                return None
            identifier["namespace"] = namespace
        identifier["key"] = key
        identifier["value"] = value
        id_type = raw.get("id_type", IdentifierType.CONTEXTUAL.value)
        if type(id_type) is not str or id_type.lower() not in _IDENTIFIER_TYPES:
            return None
        identifier["id_type"] = _IDENTIFIER_TYPES[id_type.lower()]
        identifiers.append(identifier)
    body: dict[str, Any] = {"identifiers": identifiers}
    if "enriched_data" in element:
        enriched = element["enriched_data"]
        if enriched is not None and type(enriched) is not dict:
            return None
        body["enriched_data"] = None if enriched is None else dict(enriched)
    if "source_entry" in element:
        body["source_entry"] = None
    return body


class ItemUpdateSerializer(serializers.Serializer):
    identifiers = IdentifierInputSerializer(many=True, required=False)
    enriched_data = serializers.DictField(required=False, allow_null=True)


class ItemBatchCreateSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.JSONField(),
        allow_empty=False,
        help_text="Objects shaped like the body of POST /api/items.",
    )


class ItemBatchResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    item = ItemSerializer(allow_null=True)
    error = serializers.CharField(allow_null=True)
    index = serializers.IntegerField(help_text="Position in the request's items.")
    status = serializers.CharField(help_text="created, enriched, conflict or invalid")
    dfid = serializers.CharField(required=False)
    conflict_id = serializers.UUIDField(required=False)
    conflicting_dfids = serializers.ListField(child=serializers.CharField(), required=False)
    pending_id = serializers.UUIDField(
        required=False, help_text="A conflict's submission, held as the caller's pending item."
    )


class ItemBatchResponseSerializer(serializers.Serializer):
    success_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()
    results = ItemBatchResultSerializer(many=True)


class ItemImportFileSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file (UTF-8, a header row first).")


class ItemImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The row's line in the file (the header is 1).")
    status = serializers.CharField(help_text="invalid or conflict")
    error = serializers.CharField()
    conflict_id = serializers.UUIDField(required=False)
    conflicting_dfids = serializers.ListField(child=serializers.CharField(), required=False)


class ItemImportReportSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Data rows read (rows of empty cells skipped).")
    created = serializers.IntegerField()
    enriched = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    invalid = serializers.IntegerField()
    errors = ItemImportErrorSerializer(many=True, help_text="Failed rows, the first 1,000.")
    errors_truncated = serializers.BooleanField(help_text="More rows failed than are listed.")


class ItemStatsSerializer(serializers.Serializer):
    total_items = serializers.IntegerField()
    active_items = serializers.IntegerField()
    merged_items = serializers.IntegerField()
    split_items = serializers.IntegerField()
    archived_items = serializers.IntegerField(help_text="Deprecated items.")
    average_confidence = serializers.FloatField(
        help_text="Mean confidence of the identifier mappings of these items (0.0 without any)."
    )


class SplitIdentifierSerializer(serializers.Serializer):
    namespace = serializers.CharField(required=False, max_length=50)
    key = serializers.CharField(max_length=IDENTIFIER_KEY_MAX_LENGTH)
    value = serializers.CharField(max_length=IDENTIFIER_VALUE_MAX_LENGTH)
    id_type = IdentifierTypeField(required=False)


class ItemSplitSerializer(serializers.Serializer):
    identifiers_for_new_item = SplitIdentifierSerializer(many=True, allow_empty=False)


class ItemSplitResultSerializer(serializers.Serializer):
    original_item = ItemSerializer()
    new_item = ItemSerializer()


class ItemShareCreateSerializer(serializers.Serializer):
    recipient_user_id = serializers.CharField(help_text="The user who gets read access.")
    permissions = serializers.ListField(
        child=serializers.CharField(), required=False, allow_null=True, help_text="Recorded."
    )


class ItemShareSerializer(serializers.ModelSerializer):
    dfid = serializers.CharField(source="item_id", read_only=True)
    recipient_user_id = serializers.CharField(source="recipient_id", read_only=True)

    class Meta:
        model = ItemShare
        fields = ["share_id", "dfid", "recipient_user_id", "shared_at"]
        read_only_fields = fields


class ItemSharedWithSerializer(serializers.Serializer):
    is_shared = serializers.BooleanField()
    share_id = serializers.CharField(allow_null=True)
    shared_at = serializers.IntegerField(allow_null=True)


class SharedItemSerializer(serializers.ModelSerializer):
    item = ItemSerializer(read_only=True)
    shared_by = serializers.CharField(source="shared_by_id", read_only=True)
    permissions = serializers.ListField(child=serializers.CharField(), allow_null=True)

    class Meta:
        model = ItemShare
        fields = ["share_id", "item", "shared_by", "shared_at", "permissions"]
        read_only_fields = fields


class LocalItemCreateSerializer(serializers.Serializer):
    identifiers = IdentifierInputSerializer(many=True, required=False)
    enriched_data = serializers.DictField(required=False, allow_null=True)


class LocalItemSerializer(serializers.Serializer):
    local_id = serializers.UUIDField()
    status = serializers.CharField(help_text="LocalOnly")


class LocalMappingSerializer(serializers.Serializer):
    local_id = serializers.CharField()
    dfid = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="LocalOnly or Tokenized")


class LocalMergeSerializer(serializers.Serializer):
    master_lid = serializers.UUIDField()
    merge_lids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False)
    merge_strategy = serializers.ChoiceField(
        choices=MergeStrategy.ALL, default=MergeStrategy.APPEND
    )


class MergedItemInfoSerializer(serializers.Serializer):
    """The engine's ``MergedItemInfo``."""

    dfid = serializers.CharField()
    local_id = serializers.CharField(help_text="The local id, or `N/A` for a global item.")
    enriched_data = serializers.DictField()
    last_modified = serializers.CharField(help_text="RFC 3339, UTC.")

    def to_representation(self, item: Item) -> dict:
        return {
            "dfid": item.dfid,
            "local_id": item.local_id or "N/A",
            "enriched_data": item.enriched_data or {},
            "last_modified": unix_representation(item.last_updated_ts),
        }


class LocalMergeResultSerializer(serializers.Serializer):
    master_lid = serializers.CharField()
    merged_count = serializers.IntegerField()
    merged_lids = serializers.ListField(child=serializers.CharField())
    master_item = MergedItemInfoSerializer()


class DuplicateItemSerializer(serializers.Serializer):
    local_id = serializers.CharField()
    dfid = serializers.CharField()
    created = serializers.CharField(help_text="RFC 3339, UTC.")
    enriched_data = serializers.DictField()
    identifiers_count = serializers.IntegerField()

    def to_representation(self, item: Item) -> dict:
        return {
            "local_id": item.local_id,
            "dfid": item.dfid,
            "created": unix_representation(item.created_at_ts),
            "enriched_data": item.enriched_data or {},
            "identifiers_count": len(item.identifiers.all()),
        }


class DuplicateGroupSerializer(serializers.Serializer):
    identifier_key = serializers.CharField()
    identifier_value = serializers.CharField()
    items = DuplicateItemSerializer(many=True)
    suggested_master_lid = serializers.SerializerMethodField(help_text="The oldest item.")
    conflicts = serializers.ListField(
        child=serializers.CharField(),
        source="conflicting_fields",
        help_text="Enriched-data keys the items disagree on.",
    )

    def get_suggested_master_lid(self, group) -> str:
        return group.items[0].local_id


class DuplicateSummarySerializer(serializers.Serializer):
    total_items = serializers.IntegerField()
    duplicate_groups = serializers.IntegerField()
    items_in_duplicates = serializers.IntegerField()


class DuplicatesResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    duplicate_groups = DuplicateGroupSerializer(many=True)
    summary = DuplicateSummarySerializer()


class OrganizeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["deduplicate", "merge_all"],
        help_text="Both merge every group of local items sharing an identifier.",
    )
    dry_run = serializers.BooleanField(required=False, default=False)
    merge_strategy = serializers.ChoiceField(
        choices=MergeStrategy.ALL, default=MergeStrategy.APPEND
    )
    namespace = serializers.CharField(required=False, help_text="Accepted; not used.")


class OrganizeOperationSerializer(serializers.Serializer):
    master_lid = serializers.CharField()
    merged_lids = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField(help_text="success, error or would_merge")
    reason = serializers.CharField(allow_null=True)


class OrganizeSummarySerializer(serializers.Serializer):
    items_before = serializers.IntegerField()
    items_after = serializers.IntegerField()
    merged_count = serializers.IntegerField()
    groups_processed = serializers.IntegerField()


class OrganizeResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    operations = OrganizeOperationSerializer(many=True)
    summary = OrganizeSummarySerializer()
    dry_run = serializers.BooleanField()


class LocalUnmergeSerializer(serializers.Serializer):
    merged_lid = serializers.UUIDField()


class LocalUnmergeResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    restored_lid = serializers.CharField()
    previous_master_lid = serializers.CharField()
    restored_item = MergedItemInfoSerializer()


class EventSerializer(serializers.ModelSerializer):
    """The engine's ``EventResponse`` (``event_id, dfid, event_type, timestamp, source,
    metadata, is_encrypted, visibility``) plus DeFarm's ``created_by`` and ``created_at``."""

    dfid = serializers.CharField(source="item_id", read_only=True, allow_null=True)
    source = serializers.SerializerMethodField(
        help_text="Who recorded the event: the creator's user id (or the recorded source)."
    )
    is_encrypted = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Event
        fields = [
            "event_id",
            "dfid",
            "event_type",
            "timestamp",
            "source",
            "metadata",
            "is_encrypted",
            "visibility",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_source(self, event: Event) -> str:
        if event.created_by_id is not None:
            return str(event.created_by_id)
        return str((event.metadata or {}).get("source") or "")

    def get_is_encrypted(self, event: Event) -> bool:
        return event.encrypted_data is not None


class EventCreateResultSerializer(EventSerializer):
    was_deduplicated = serializers.BooleanField(read_only=True)
    original_event_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta(EventSerializer.Meta):
        fields = [
            *EventSerializer.Meta.fields,
            "was_deduplicated",
            "original_event_id",
            "content_hash",
        ]
        read_only_fields = fields


class EventCreateSerializer(serializers.Serializer):
    dfid = serializers.CharField()
    event_type = EventTypeField(
        help_text="Created, Enriched, Merged, Split, PushedToCircuit, PulledFromCircuit, "
        "Updated, StatusChanged, or a farm event: Vaccinated (metadata.vaccine), Weighed "
        "(metadata.weight_kg), Moved (metadata.transport_document), Slaughtered, Certified, "
        "Sold (any case; the farm's also as vaccination, weighing, movement, slaughter, "
        "certification, sale)."
    )
    metadata = serializers.DictField(required=False, default=dict)
    visibility = EventVisibilityField(
        default=EventVisibility.PUBLIC, help_text="Public, Private or CircuitOnly (any case)."
    )


class LocalEventCreateSerializer(serializers.Serializer):
    event_type = EventTypeField(help_text="An event type, in any case.")
    metadata = serializers.DictField(required=False, default=dict)
    visibility = EventVisibilityField(
        default=EventVisibility.PRIVATE, help_text="Public, Private or CircuitOnly (any case)."
    )


class LocalEventSerializer(serializers.ModelSerializer):
    """The engine's ``LocalEventResponse``: an event recorded before it names an item."""

    local_event_id = serializers.UUIDField(source="event_id", read_only=True)
    source = serializers.SerializerMethodField()
    is_local = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "event_id",
            "local_event_id",
            "event_type",
            "timestamp",
            "source",
            "metadata",
            "visibility",
            "is_local",
        ]
        read_only_fields = fields

    def get_source(self, event: Event) -> str:
        return EventSerializer().get_source(event)

    def get_is_local(self, event: Event) -> bool:
        return event.item_id is None


class EventTimelineQuerySerializer(serializers.Serializer):
    start_date = serializers.IntegerField(required=False, help_text="Unix seconds.")
    end_date = serializers.IntegerField(required=False, help_text="Unix seconds.")


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
            raise serializers.ValidationError("Invalid base64 data.") from error


class ReceiptIdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReceiptIdentifier
        fields = ["key", "value"]
        extra_kwargs = {
            "key": {"max_length": IDENTIFIER_KEY_MAX_LENGTH},
            "value": {"max_length": IDENTIFIER_VALUE_MAX_LENGTH},
        }


class ReceiptIdentifierInputSerializer(serializers.Serializer):
    """An ``IdentifierRequest``; receipts keep its key and value."""

    namespace = serializers.CharField(required=False, max_length=50)
    key = serializers.CharField(max_length=IDENTIFIER_KEY_MAX_LENGTH)
    value = serializers.CharField(max_length=IDENTIFIER_VALUE_MAX_LENGTH)
    id_type = IdentifierTypeField(required=False)
    scope = serializers.CharField(required=False)
    verified = serializers.BooleanField(required=False)
    verification_date = serializers.CharField(required=False, allow_null=True)


class ReceiptSerializer(serializers.ModelSerializer):
    """The engine's ``ReceiptResponse`` (``id, hash, timestamp, data_size, identifiers``) plus
    DeFarm's names for the same facts. ``hash`` is the SHA-256 of the data."""

    hash = serializers.CharField(source="data_hash", read_only=True)
    data_size = serializers.IntegerField(source="size_bytes", read_only=True, allow_null=True)
    identifiers = ReceiptIdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "hash",
            "timestamp",
            "data_size",
            "identifiers",
            "data_hash",
            "size_bytes",
            "created_at",
        ]
        read_only_fields = fields


class ReceiptCreateSerializer(serializers.Serializer):
    data = Base64DataField(help_text="The bytes, base64-encoded.", allow_blank=True)
    identifiers = ReceiptIdentifierInputSerializer(
        many=True,
        allow_empty=False,
        error_messages={"empty": "At least one identifier is required."},
    )


class ReceiptVerifySerializer(serializers.Serializer):
    data = Base64DataField(
        help_text="The bytes to check, base64-encoded.",
        allow_blank=True,
        error_messages={"required": "Missing data field."},
    )


class ReceiptVerifyResultSerializer(serializers.Serializer):
    is_valid = serializers.BooleanField()
    receipt_id = serializers.UUIDField()
    original_hash = serializers.CharField()
    provided_hash = serializers.CharField()
    timestamp = serializers.IntegerField()


class ReceiptSearchSerializer(ReceiptIdentifierInputSerializer):
    pass


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


# --- Pending items ------------------------------------------------------------------------------


class HeldItemSerializer(serializers.ModelSerializer):
    """The engine's ``PendingItemResponse`` plus DeFarm's ``status``, ``conflict_id``,
    ``resolved_dfid`` and ``updated_at``."""

    id = serializers.CharField(source="pending_id", read_only=True)
    identifiers = serializers.ListField(
        child=serializers.DictField(), help_text="As submitted: namespace, key, value, id_type."
    )
    enriched_data = serializers.DictField(allow_null=True)
    source_entry = serializers.CharField(allow_null=True, help_text="Data-lake entry, if any.")
    reason = serializers.CharField(help_text="ConflictingDFIDs")
    created_at = serializers.IntegerField(source="created_at_ts", help_text="Unix seconds.")
    updated_at = serializers.IntegerField(source="updated_at_ts", help_text="Unix seconds.")
    metadata = serializers.DictField(child=serializers.CharField())
    conflict_id = serializers.CharField(allow_null=True, help_text="The conflict staff review.")

    class Meta:
        model = PendingItem
        fields = [
            "id",
            "identifiers",
            "enriched_data",
            "source_entry",
            "reason",
            "reason_details",
            "priority",
            "created_at",
            "metadata",
            "status",
            "conflict_id",
            "resolved_dfid",
            "updated_at",
        ]
        read_only_fields = fields


class HeldItemQuerySerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, help_text="Part of the reason, e.g. Conflicting."
    )
    priority_min = serializers.IntegerField(required=False, min_value=0)


class HeldItemResolveSerializer(serializers.Serializer):
    """The engine's ``ResolvePendingItemRequest``."""

    action = serializers.ChoiceField(choices=["approve", "reject", "modify"])
    new_identifiers = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        allow_null=True,
        help_text="modify: the identifiers to submit instead (kept when absent).",
    )
    new_enriched_data = serializers.DictField(
        required=False, allow_null=True, help_text="modify: the data to submit instead."
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("action"), str):
            data = {**data, "action": data["action"].strip().lower()}
        return super().to_internal_value(data)


class HeldItemResolvedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    item = ItemSerializer(allow_null=True)
    message = serializers.CharField()
    pending = HeldItemSerializer(help_text="DeFarm: the pending item after the action.")
