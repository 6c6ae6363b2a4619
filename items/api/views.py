"""Items, local items, events and receipts at the earlier engine's paths, in its shapes
(``CONTRACT.md`` §8.5-8.8). Every lookup is limited to what the caller may see."""

import uuid
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, parsers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from defarm.api.envelopes import message, success_data, success_with
from defarm.api.exceptions import Conflict
from defarm.api.parsers import CsvParser
from defarm.api.permissions import IsStaff
from defarm.api.schema import data_envelope
from items import selectors, services
from items.api import serializers
from items.api.fields import EventTypeField, EventVisibilityField, choice_parse
from items.filters import ConflictFilter, EventFilter, ItemFilter
from items.item_view import (
    item_row,
    item_rows,
    item_views_of_rows,
    item_views_read,
    items_prefetch_views,
)
from items.models import (
    LOCAL_DFID_PREFIX,
    Event,
    EventVisibility,
    Item,
    ItemShare,
    PendingItem,
    Receipt,
    ReceiptIdentifier,
)
from items.services.items import MAX_BATCH


def _item_fresh(item: Item, request) -> Item:
    """``item`` read again, with what the caller's view of it and its answer need."""
    fresh = Item.objects.get(pk=item.pk)
    items_prefetch_views([fresh], viewer=request.user)
    prefetch_related_objects([fresh], "source_entries")
    return fresh


def _item_answer(item: Item, request) -> dict:
    """``item``, fresh from the database, as the caller sees it."""
    return serializers.ItemSerializer(_item_fresh(item, request), context={"request": request}).data


def _error_text(errors: Any) -> str:
    """A serializer's errors as one line of text."""
    if isinstance(errors, dict):
        return "; ".join(f"{field}: {_error_text(value)}" for field, value in errors.items())
    if isinstance(errors, list):
        return "; ".join(_error_text(value) for value in errors if value)
    return str(errors)


def _path_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description)


IDENTIFIER_EXAMPLE = {
    "namespace": "bovino",
    "key": "sisbov",
    "value": "BR123456789012",
    "id_type": "Canonical",
}
ITEM_CREATE_DESCRIPTION = """
Canonical identifiers deduplicate: when one already belongs to a live item, that item is
enriched (new identifiers appended, enriched data merged, later keys win) and answered;
otherwise a new DFID is issued and charged (item-creation credits, **402** when short).
Canonical identifiers that point at two or more existing items are a **409** `conflict` naming
the DFIDs and the `conflict_id` staff resolve. `source_entry` (optional) is recorded in the
item's `source_entries`.
"""


ITEM_IMPORT_DESCRIPTION = """
DeFarm's own route (not in the earlier engine). The body is the CSV file itself
(`Content-Type: text/csv`) or a `multipart/form-data` upload in the field `file`. It is read
as it arrives and imported in chunks of 1,000 rows, each chunk one transaction; every row is
processed as `POST /api/items` (deduplication by canonical identifier, conflicts, credits, tier
limit, events).

The first row names the columns: `canonical:<key>` or `canonical:<namespace>:<key>` (a
Canonical identifier; the key is its registry: sisbov, cpf, cnpj, car, rfid ...), `id:<key>` or
`id:<namespace>:<key>` (a Contextual identifier), `namespace` (the namespace of the row's
identifiers that name none; default `generic`), `data:<name>` (an `enriched_data` key, as
text), `json:<name>` (an `enriched_data` key whose cell is a JSON value) and `source_entry` (a
data-lake entry UUID). An empty cell adds nothing; a row needs one identifier; rows of empty
cells are skipped. A bad header is a **400** and nothing is written.

The answer counts the rows created, enriched, in conflict and invalid, and lists failed rows
(the first 1,000) with their `line` (the header is line 1). A failed row writes nothing; the
others go on. When a chunk cannot be paid (**402**) or passes the tier's monthly items
(**403**), or the file stops being UTF-8 CSV (**400**), the import stops: the error's
`details` give `first_line_not_imported` and what was imported before.
"""


@extend_schema_view(
    list=extend_schema(
        summary="Items the caller may see",
        description="`status` is active, deprecated, merged or split in any case (others are "
        "ignored); `namespace` narrows the identifier filters (DeFarm addition).",
    ),
    retrieve=extend_schema(summary="One item"),
)
class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.ItemSerializer
    filterset_class = ItemFilter
    lookup_field = "dfid"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Item.objects.none()
        return selectors.items_visible_to(user=self.request.user)

    def list(self, request):
        return self._paginated_items(self.filter_queryset(self.get_queryset()))

    def retrieve(self, request, dfid):
        view = selectors.item_view_get_visible(user=request.user, dfid=dfid)
        return Response(
            serializers.item_view_representation(view, source_entries=view.item.source_entries)
        )

    def get_object(self) -> Item:
        """One item the caller may see (the same rule as ``get_queryset``), found by DFID."""
        item = selectors.item_get_visible(user=self.request.user, dfid=self.kwargs["dfid"])
        self.check_object_permissions(self.request, item)
        prefetch_related_objects([item], "source_entries")
        return item

    def _paginated_items(self, items: QuerySet[Item]) -> Response:
        """A page of ``items`` as the caller sees them, read as plain values (the item list
        is the API's hottest path after the item's own read)."""
        page = [item_row(values) for values in self.paginate_queryset(item_rows(items))]
        views = item_views_of_rows(items=page, viewer=self.request.user)
        return self.get_paginated_response(
            [
                serializers.item_view_representation(
                    views[item.dfid], source_entries=item.source_entries
                )
                for item in page
            ]
        )

    @extend_schema(
        summary="Create an item (or enrich the one holding its canonical identifiers)",
        description=ITEM_CREATE_DESCRIPTION,
        request=serializers.ItemCreateSerializer,
        responses={
            200: serializers.ItemSerializer,
            409: OpenApiResponse(description="conflict: canonical ids of several items"),
        },
    )
    def create(self, request):  # its examples: defarm/api/schema_docs.py
        body = serializers.ItemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.item_create(
            user=request.user,
            identifiers=body.validated_data["identifiers"],
            enriched_data=body.validated_data.get("enriched_data"),
            source_entry_id=body.validated_data.get("source_entry"),
        )
        return Response(_item_answer(result.item, request))

    @extend_schema(
        summary=f"Create up to {MAX_BATCH} items, with a result per item",
        description="Each element is processed as POST /api/items, in order (an element may "
        "enrich an item an earlier one created). An invalid element is reported and skipped; "
        "a conflicting one writes its conflict row and is skipped. Credits for all new DFIDs "
        "are charged once; when they are short (or the tier's monthly item limit would be "
        "passed) the whole batch is refused with 402/403 and nothing is written. Each result "
        "also gives its `index`, `status` (created, enriched, conflict, invalid), `dfid` and, "
        "for conflicts, `conflict_id` and `conflicting_dfids`.",
        request=serializers.ItemBatchCreateSerializer,
        responses=serializers.ItemBatchResponseSerializer,
        examples=[
            OpenApiExample(
                "Two items",
                value={
                    "items": [
                        {"identifiers": [IDENTIFIER_EXAMPLE], "enriched_data": {"lot": 1}},
                        {"identifiers": [{"key": "lot", "value": "L-8"}]},
                    ]
                },
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def batch(self, request):
        body = serializers.ItemBatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        elements = body.validated_data["items"]
        if len(elements) > MAX_BATCH:
            raise exceptions.ValidationError({"items": [f"At most {MAX_BATCH} items a batch."]})
        rows: list[dict[str, Any]] = [{} for _ in elements]
        valid_positions: list[int] = []
        valid: list[dict[str, Any]] = []
        element_serializer = serializers.ItemCreateSerializer()  # its fields are built once
        for index, element in enumerate(elements):
            validated = serializers.item_create_body_plain(element)
            if validated is None:
                try:
                    validated = dict(element_serializer.run_validation(element))
                except exceptions.ValidationError as error:
                    rows[index] = {"status": "invalid", "error": _error_text(error.detail)}
                    continue
            valid_positions.append(index)
            valid.append(validated)
        results = services.items_create_bulk(user=request.user, items=valid) if valid else []
        for result in results:
            rows[valid_positions[result.index]] = result.as_dict()
        dfids = [row["dfid"] for row in rows if row.get("dfid")]
        # the items' answers from plain rows: one read per table for the whole batch, rendered
        # as ItemSerializer renders them (a test holds the two equal)
        answers = serializers.item_views_representations(
            item_views_read(dfids=dfids, viewer=request.user)
        )
        answer_rows = []
        for index, row in enumerate(rows):
            succeeded = row["status"] in ("created", "enriched")
            answer_rows.append(
                {
                    "success": succeeded,
                    "item": answers.get(row.get("dfid", "")) if succeeded else None,
                    "error": None if succeeded else row.get("error"),
                    **{k: v for k, v in row.items() if k != "error"},
                    "index": index,
                }
            )
        succeeded_count = sum(1 for row in answer_rows if row["success"])
        return Response(
            {
                "success_count": succeeded_count,
                "failed_count": len(answer_rows) - succeeded_count,
                "results": answer_rows,
            }
        )

    @extend_schema(
        summary="Import items from a CSV file, with the line of every failed row",
        description=ITEM_IMPORT_DESCRIPTION,
        request={
            "text/csv": OpenApiTypes.BINARY,
            "multipart/form-data": serializers.ItemImportFileSerializer,
        },
        responses={200: serializers.ItemImportReportSerializer},
        examples=[
            OpenApiExample(
                "Two animals",
                value="canonical:bovino:sisbov,id:bovino:lot,data:breed,json:weight_kg\n"
                "BR123456789012,L-8,Nelore,452\nBR123456789013,L-8,Angus,431\n",
                media_type="text/csv",
                request_only=True,
            )
        ],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        filterset_class=None,
        pagination_class=None,
        parser_classes=[CsvParser, parsers.MultiPartParser],
    )
    def import_csv(self, request):
        if request.content_type.startswith("multipart/"):
            upload = serializers.ItemImportFileSerializer(data=request.data)
            upload.is_valid(raise_exception=True)
            stream = upload.validated_data["file"]
        else:
            stream = request.data
        report = services.items_import_csv(user=request.user, stream=stream)
        return Response(serializers.ItemImportReportSerializer(report.as_dict()).data)

    @extend_schema(
        summary="Enrich an item: identifiers appended, enriched data merged (later keys win)",
        request=serializers.ItemUpdateSerializer,
        responses=serializers.ItemSerializer,
        examples=[
            OpenApiExample(
                "Enrich",
                value={
                    "enriched_data": {"weight_kg": 452},
                    "identifiers": [{"key": "lot", "value": "L-9"}],
                },
                request_only=True,
            )
        ],
    )
    def update(self, request, dfid=None):
        item = self.get_object()
        body = serializers.ItemUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.item_update(
            user=request.user,
            item=item,
            identifiers=body.validated_data.get("identifiers", []),
            enriched_data=body.validated_data.get("enriched_data"),
        )
        return Response(_item_answer(item, request))

    @extend_schema(
        summary="Deprecate an item (soft delete)",
        request=None,
        responses=OpenApiResponse(
            OpenApiTypes.OBJECT, description='`{"message": "Item deprecated successfully"}`'
        ),
    )
    def destroy(self, request, dfid=None):
        services.item_deprecate(user=request.user, item=self.get_object())
        return message("Item deprecated successfully")

    @extend_schema(
        summary="Deprecate an item, answering the item",
        request=None,
        responses=serializers.ItemSerializer,
    )
    @action(detail=True, methods=["put"], filterset_class=None)
    def deprecate(self, request, dfid=None):
        item = services.item_deprecate(user=request.user, item=self.get_object())
        return Response(_item_answer(item, request))

    @extend_schema(
        summary="Merge another of the caller's items into this one",
        description="The body is the secondary item's DFID as a JSON string. Its identifiers "
        "are copied to this item, its enriched data fills keys this item lacks, and it becomes "
        "`Merged`. Only Active items merge.",
        request=OpenApiTypes.STR,
        responses=serializers.ItemSerializer,
        examples=[
            OpenApiExample("Secondary DFID", value="DFID-20240926-000002-9", request_only=True)
        ],
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def merge(self, request, dfid=None):
        item = self.get_object()
        secondary = request.data
        if not isinstance(secondary, str) or not secondary.strip():
            raise exceptions.ValidationError(
                {"non_field_errors": ["The body is the secondary DFID as a JSON string."]}
            )
        survivor = services.item_merge(
            user=request.user, item=item, secondary_dfid=secondary.strip()
        )
        return Response(_item_answer(survivor, request))

    @extend_schema(
        summary="Move some identifiers of this item to a new item (new DFID, charged)",
        request=serializers.ItemSplitSerializer,
        responses=serializers.ItemSplitResultSerializer,
        examples=[
            OpenApiExample(
                "Split",
                value={"identifiers_for_new_item": [{"key": "lot", "value": "L-7"}]},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def split(self, request, dfid=None):
        item = self.get_object()
        body = serializers.ItemSplitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        original, new_item = services.item_split(
            user=request.user,
            item=item,
            identifiers=body.validated_data["identifiers_for_new_item"],
        )
        answer = {
            "original_item": _item_fresh(original, request),
            "new_item": _item_fresh(new_item, request),
        }
        return Response(
            serializers.ItemSplitResultSerializer(answer, context={"request": request}).data
        )

    @extend_schema(
        summary="Search the items the caller may see (the filters of GET /api/items)",
        responses=serializers.ItemSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def search(self, request):
        return self._paginated_items(self.filter_queryset(self.get_queryset()))

    @extend_schema(
        summary="Counts by status of the items the caller may see",
        responses=serializers.ItemStatsSerializer,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def stats(self, request):
        stats = selectors.item_stats(user=request.user)
        return Response(
            {
                "total_items": stats.total,
                "active_items": stats.active,
                "merged_items": stats.merged,
                "split_items": stats.split,
                "archived_items": stats.deprecated,
                "average_confidence": stats.average_confidence,
            }
        )

    @extend_schema(
        summary="Items the caller may see holding an identifier (any namespace)",
        parameters=[
            _path_parameter("key", "Identifier key, e.g. sisbov."),
            _path_parameter("value", "Identifier value."),
        ],
        responses=serializers.ItemSerializer(many=True),
        filters=False,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"identifier/(?P<key>[^/]+)/(?P<value>[^/]+)",
        filterset_class=None,
    )
    def identifier(self, request, key=None, value=None):
        items = self.get_queryset().filter(identifiers__key=key, identifiers__value=value)
        return self._paginated_items(items.distinct())


class ItemSharesViewSet(viewsets.GenericViewSet):
    """Sharing an item with another user: read access, until revoked."""

    serializer_class = serializers.ItemShareSerializer
    queryset = ItemShare.objects.none()  # every action finds its own objects

    def _item(self, request, dfid: str) -> Item:
        return selectors.item_get_visible(user=request.user, dfid=dfid)

    @extend_schema(
        summary="Give another user read access to one of the caller's items",
        description="Only the item's creator (and staff) share it. The recipient then sees the "
        "item in every list, search and event route. Sharing again updates the permissions.",
        request=serializers.ItemShareCreateSerializer,
        responses=serializers.ItemShareSerializer,
        examples=[
            OpenApiExample(
                "Share",
                value={"recipient_user_id": "user-6f1c2b3a", "permissions": ["read"]},
                request_only=True,
            )
        ],
    )
    def share(self, request, dfid=None):
        body = serializers.ItemShareCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        share = services.item_share(
            user=request.user,
            item=self._item(request, dfid),
            recipient_user_id=body.validated_data["recipient_user_id"],
            permissions=body.validated_data.get("permissions"),
        )
        return Response(serializers.ItemShareSerializer(share).data)

    @extend_schema(
        summary="Whether an item is shared with a user",
        description="For the item's creator, staff, and the user named.",
        responses=serializers.ItemSharedWithSerializer,
    )
    def shared_with(self, request, dfid=None, user_id=None):
        item = self._item(request, dfid)
        if not request.user.is_admin and request.user.pk not in (item.created_by_id, user_id):
            raise exceptions.PermissionDenied(
                "Only the item's creator sees whom it is shared with."
            )
        share = selectors.item_share_active(item=item, recipient_id=user_id)
        return Response(
            {
                "is_shared": share is not None,
                "share_id": share.share_id if share else None,
                "shared_at": share.shared_at if share else None,
            }
        )

    @extend_schema(
        summary="Stop sharing an item with a user (DeFarm addition)",
        description="The engine had no way to take a share back.",
        responses={204: None},
    )
    def revoke(self, request, dfid=None, user_id=None):
        services.item_share_revoke(
            user=request.user, item=self._item(request, dfid), recipient_user_id=user_id
        )
        return Response(status=204)

    @extend_schema(
        summary="Items shared with a user (the caller; staff may name anyone)",
        responses=serializers.SharedItemSerializer(many=True),
    )
    def shared_to(self, request, user_id=None):
        if user_id != request.user.pk and not request.user.is_admin:
            raise exceptions.PermissionDenied("Only your own shared items are listed.")
        shares = selectors.item_shares_to(recipient_id=user_id)
        page = self.paginate_queryset(shares)
        items_prefetch_views([share.item for share in page], viewer=request.user)
        answer = serializers.SharedItemSerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(answer.data)


class PendingItemViewSet(viewsets.GenericViewSet):
    """``/api/items/pending``: the caller's item submissions held back because their canonical
    identifiers point at several items (a conflict staff review)."""

    serializer_class = serializers.HeldItemSerializer
    queryset = PendingItem.objects.none()  # every action finds the caller's own
    filter_backends = []

    @extend_schema(
        summary="The caller's held item submissions, highest priority first",
        description="A `POST /api/items` (or batch element) whose canonical identifiers point "
        "at several items writes a conflict for staff and holds the submission here. Only "
        "those still Pending are listed. Paged like every list (X-Total-Count, Link).",
        parameters=[
            OpenApiParameter("reason", str, description="Part of the reason (ConflictingDFIDs)."),
            OpenApiParameter("priority_min", int, description="Only priority >= this (1-4)."),
        ],
    )
    def list(self, request):
        query = serializers.HeldItemQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        pending = selectors.pending_items_for(
            user=request.user,
            reason=query.validated_data.get("reason"),
            priority_min=query.validated_data.get("priority_min"),
        )
        page = self.paginate_queryset(pending)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="One of the caller's held item submissions")
    def retrieve(self, request, pending_id=None):
        pending = selectors.pending_item_get(user=request.user, pending_id=pending_id)
        return Response(self.get_serializer(pending).data)

    @extend_schema(
        summary="Approve, change or reject a held item submission",
        description="`approve` submits it again as `POST /api/items` would (credits charged "
        "for a new DFID) once staff resolved its conflict: `item` is the item created or "
        "enriched. 409 while the conflict awaits staff, when staff kept the items apart, or "
        "when the identifiers still point at several items (the new conflict is recorded and "
        "the item stays pending one priority higher). `modify` replaces its identifiers "
        "(`new_identifiers`) and/or data (`new_enriched_data`); it stays pending. `reject` "
        "drops it.",
        request=serializers.HeldItemResolveSerializer,
        responses=serializers.HeldItemResolvedSerializer,
        examples=[
            OpenApiExample("Approve", value={"action": "approve"}, request_only=True),
            OpenApiExample(
                "Change the identifiers",
                value={
                    "action": "modify",
                    "new_identifiers": [
                        {"key": "sisbov", "value": "BR-0001", "id_type": "Canonical"}
                    ],
                    "new_enriched_data": {"breed": "Nelore"},
                },
                request_only=True,
            ),
        ],
    )
    def resolve(self, request, pending_id=None):
        pending = selectors.pending_item_get(user=request.user, pending_id=pending_id)
        body = serializers.HeldItemResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        action_name = body.validated_data["action"]
        if action_name == services.PendingAction.APPROVE:
            result = services.pending_item_approve(user=request.user, pending_item=pending)
            if result.item is None:
                conflict = result.pending.conflict
                raise Conflict(
                    "The identifiers still point at several items "
                    f"({', '.join(conflict.conflicting_dfids)}); conflict "
                    f"{conflict.conflict_id} awaits staff review and the item stays pending.",
                    details={
                        "pending_id": str(result.pending.pk),
                        "conflict_id": str(conflict.conflict_id),
                        "conflicting_dfids": list(conflict.conflicting_dfids),
                    },
                )
            text = "Pending item resolved and created successfully"
        elif action_name == services.PendingAction.REJECT:
            result = services.pending_item_reject(user=request.user, pending_item=pending)
            text = "Pending item rejected; nothing was created"
        else:
            result = services.pending_item_modify(
                user=request.user,
                pending_item=pending,
                identifiers=body.validated_data.get("new_identifiers"),
                enriched_data=body.validated_data.get("new_enriched_data"),
            )
            text = "Pending item changed; approve it to create the item"
        return Response(
            {
                "success": True,
                "item": _item_answer(result.item, request) if result.item is not None else None,
                "message": text,
                "pending": serializers.HeldItemSerializer(result.pending).data,
            }
        )


class LocalItemCreateView(APIView):
    @extend_schema(
        summary="Create a local item (no DFID yet, free)",
        request=serializers.LocalItemCreateSerializer,
        responses=OpenApiResponse(
            data_envelope(serializers.LocalItemSerializer, name="LocalItemEnvelope"),
            description='`{"success": true, "data": {"local_id", "status": "LocalOnly"}}`',
        ),
        examples=[
            OpenApiExample(
                "Local item",
                value={
                    "identifiers": [{"namespace": "bovino", "key": "lote", "value": "L-1"}],
                    "enriched_data": {"breed": "Nelore"},
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        body = serializers.LocalItemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.local_item_create(
            user=request.user,
            identifiers=body.validated_data.get("identifiers", []),
            enriched_data=body.validated_data.get("enriched_data"),
        )
        return success_data({"local_id": item.local_id, "status": services.LocalStatus.LOCAL_ONLY})


class LocalDuplicatesView(APIView):
    @extend_schema(
        summary="Groups of the caller's local items sharing an identifier (key and value)",
        responses=serializers.DuplicatesResponseSerializer,
    )
    def get(self, request):
        groups = selectors.local_duplicate_groups(user=request.user)
        in_groups = {item.dfid for group in groups for item in group.items}
        return success_with(
            duplicate_groups=serializers.DuplicateGroupSerializer(groups, many=True).data,
            summary={
                "total_items": selectors.local_items_active_of(user=request.user).count(),
                "duplicate_groups": len(groups),
                "items_in_duplicates": len(in_groups),
            },
        )


class LocalOrganizeView(APIView):
    @extend_schema(
        summary="Merge every group of the caller's local items sharing an identifier",
        description="Each group is merged into its oldest item with `merge_strategy`; a group "
        "that fails is reported (`error` with its reason) and the others go on. `dry_run` "
        "only reports what would be merged (`would_merge`).",
        request=serializers.OrganizeSerializer,
        responses=serializers.OrganizeResponseSerializer,
        examples=[
            OpenApiExample(
                "Deduplicate",
                value={"action": "deduplicate", "dry_run": True, "merge_strategy": "append"},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        body = serializers.OrganizeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.local_items_organize(
            user=request.user,
            strategy=body.validated_data["merge_strategy"],
            dry_run=body.validated_data["dry_run"],
        )
        return success_with(
            operations=serializers.OrganizeOperationSerializer(result.operations, many=True).data,
            summary={
                "items_before": result.items_before,
                "items_after": result.items_after,
                "merged_count": result.merged_count,
                "groups_processed": len(result.operations),
            },
            dry_run=body.validated_data["dry_run"],
        )


def _local_id_parse(raw: str, field: str) -> uuid.UUID:
    """A local id given bare or as its ``LID-`` DFID; 400 otherwise."""
    try:
        return uuid.UUID(raw.removeprefix(LOCAL_DFID_PREFIX))
    except ValueError as error:
        raise exceptions.ValidationError({field: [f"Invalid {field} format."]}) from error


class LocalMappingView(APIView):
    @extend_schema(
        summary="Where a local id points: LocalOnly, or Tokenized with its DFID",
        responses=OpenApiResponse(
            data_envelope(serializers.LocalMappingSerializer, name="LocalMappingEnvelope"),
            description='`{"success": true, "data": {"local_id", "dfid", "status"}}`',
        ),
    )
    def get(self, request, local_id):
        mapping = services.local_mapping_get(
            user=request.user, local_id=_local_id_parse(local_id, "local_id")
        )
        return success_data(serializers.LocalMappingSerializer(mapping).data)


class LocalItemMergeView(APIView):
    @extend_schema(
        summary="Merge the caller's local items into a master local item",
        description="Identifiers are always united. Enriched data: `append` adds the merged "
        "items' keys with their values winning; `keep_first` only adds keys the master lacks; "
        "`overwrite` replaces the master's data with theirs. Each merged item becomes "
        '`MergedInto("<master local id>")` until it is unmerged.',
        request=serializers.LocalMergeSerializer,
        responses=OpenApiResponse(
            serializers.LocalMergeResultSerializer,
            description='`{"success": true, "data": {...}}`',
        ),
        examples=[
            OpenApiExample(
                "Merge",
                value={
                    "master_lid": "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
                    "merge_lids": ["0b7c2a51-3f1e-4c8a-9d2b-5e6f7a8b9c0d"],
                    "merge_strategy": "append",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        body = serializers.LocalMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        merged_lids = [str(i) for i in dict.fromkeys(body.validated_data["merge_lids"])]
        master = services.local_items_merge(
            user=request.user,
            primary_local_id=str(body.validated_data["master_lid"]),
            secondary_local_ids=merged_lids,
            strategy=body.validated_data["merge_strategy"],
        )
        return success_data(
            serializers.LocalMergeResultSerializer(
                {
                    "master_lid": master.local_id,
                    "merged_count": len(merged_lids),
                    "merged_lids": merged_lids,
                    "master_item": master,
                }
            ).data
        )


class LocalItemUnmergeView(APIView):
    @extend_schema(
        summary="Undo the merge of a local item into another",
        description="The local item becomes Active again; the identifiers it brought leave "
        "the master and the master's data returns to what it was before that merge.",
        request=serializers.LocalUnmergeSerializer,
        responses=serializers.LocalUnmergeResultSerializer,
        examples=[
            OpenApiExample(
                "Unmerge",
                value={"merged_lid": "0b7c2a51-3f1e-4c8a-9d2b-5e6f7a8b9c0d"},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        body = serializers.LocalUnmergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        master, restored = services.local_item_unmerge(
            user=request.user, local_id=str(body.validated_data["merged_lid"])
        )
        return success_with(
            restored_lid=restored.local_id,
            previous_master_lid=master.local_id,
            restored_item=serializers.MergedItemInfoSerializer(restored).data,
        )


def _enum_from_path(field_class, raw: str, label: str) -> str:
    value = choice_parse(field_class, raw)
    if value is None:
        raise exceptions.ValidationError({label: [f"Invalid {label.replace('_', ' ')}: {raw}"]})
    return value


@extend_schema_view(
    list=extend_schema(
        summary="Events the caller may see, filtered (DeFarm addition)",
        description="One list with combinable `dfid`, `event_type` and `visibility` filters; "
        "the engine's per-filter routes below answer the same events.",
    ),
    retrieve=extend_schema(summary="One event"),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.EventSerializer
    filterset_class = EventFilter
    lookup_field = "event_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return selectors.events_visible_to(user=self.request.user)

    def _paginated_events(self, events: QuerySet[Event]) -> Response:
        page = self.paginate_queryset(events)
        return self.get_paginated_response(serializers.EventSerializer(page, many=True).data)

    @extend_schema(
        summary="Record an event about an item (identical events are deduplicated)",
        description="`event_type` and `visibility` are read in any case. The answer is the "
        "event, with `was_deduplicated` true and `original_event_id` set when the same DFID, "
        "type, source and metadata were already recorded. `source` is the caller. `Private` "
        "events are seen only by their creator, `CircuitOnly` ones by members of "
        "`metadata.circuit_id`.",
        request=serializers.EventCreateSerializer,
        responses=serializers.EventCreateResultSerializer,
        examples=[
            OpenApiExample(
                "Event",
                value={
                    "dfid": "DFID-20240926-000001-2488",
                    "event_type": "updated",
                    "visibility": "public",
                    "metadata": {"weight_kg": 452},
                },
                request_only=True,
            )
        ],
    )
    def create(self, request):
        body = serializers.EventCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item = selectors.item_get_visible(user=request.user, dfid=data["dfid"])
        services.event_author_check(user=request.user, item=item)
        event, created = services.event_submit(
            item=item,
            event_type=data["event_type"],
            user=request.user,
            source=str(request.user.pk),
            metadata=data["metadata"],
            visibility=data["visibility"],
        )
        answer = serializers.EventSerializer(event).data
        answer["was_deduplicated"] = not created
        answer["original_event_id"] = None if created else str(event.event_id)
        answer["content_hash"] = event.content_hash
        return Response(answer)

    @extend_schema(
        summary="Events of an item the caller may see",
        parameters=[_path_parameter("dfid", "The item's DFID.")],
        responses=serializers.EventSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path=r"item/(?P<dfid>[^/]+)", filterset_class=None)
    def item(self, request, dfid=None):
        item = selectors.item_get_visible(user=request.user, dfid=dfid)
        return self._paginated_events(self.get_queryset().filter(item=item))

    @extend_schema(
        summary="Events of one type the caller may see",
        parameters=[_path_parameter("event_type", "An event type, in any case.")],
        responses=serializers.EventSerializer(many=True),
        filters=False,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"type/(?P<event_type>[^/]+)",
        filterset_class=None,
    )
    def by_type(self, request, event_type=None):
        event_type = _enum_from_path(EventTypeField, event_type, "event_type")
        return self._paginated_events(self.get_queryset().filter(event_type=event_type))

    @extend_schema(
        summary="Events of one visibility the caller may see",
        parameters=[_path_parameter("visibility", "public, private or circuitonly (any case).")],
        responses=serializers.EventSerializer(many=True),
        filters=False,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"visibility/(?P<visibility>[^/]+)",
        filterset_class=None,
    )
    def by_visibility(self, request, visibility=None):
        visibility = _enum_from_path(EventVisibilityField, visibility, "visibility")
        return self._paginated_events(self.get_queryset().filter(visibility=visibility))

    @extend_schema(
        summary="Public events the caller may see",
        responses=serializers.EventSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def public(self, request):
        return self._paginated_events(self.get_queryset().filter(visibility=EventVisibility.PUBLIC))

    @extend_schema(
        summary="The caller's private events",
        responses=serializers.EventSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def private(self, request):
        return self._paginated_events(
            self.get_queryset().filter(visibility=EventVisibility.PRIVATE)
        )

    @extend_schema(
        summary="Events the caller may see in a time range",
        description="With both `start_date` and `end_date` (unix seconds, inclusive) the "
        "events recorded between them; otherwise all of them.",
        parameters=[serializers.EventTimelineQuerySerializer],
        responses=serializers.EventSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def timeline(self, request):
        query = serializers.EventTimelineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = self.get_queryset()
        start, end = query.validated_data.get("start_date"), query.validated_data.get("end_date")
        if start is not None and end is not None:
            events = events.filter(timestamp__gte=start, timestamp__lte=end)
        return self._paginated_events(events)

    @extend_schema(
        summary="Add keys to an event's metadata (later keys win)",
        description="Only the event's creator (and staff) may; the body is the metadata "
        "object itself.",
        request=OpenApiTypes.OBJECT,
        responses=serializers.EventSerializer,
        examples=[OpenApiExample("Metadata", value={"vet": "Dr. Silva"}, request_only=True)],
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def metadata(self, request, event_id=None):
        event = services.event_metadata_add(
            user=request.user, event=self.get_object(), metadata=request.data
        )
        return Response(serializers.EventSerializer(event).data)

    @extend_schema(
        summary="Record a local event (no item yet; linked when pushed to a circuit)",
        request=serializers.LocalEventCreateSerializer,
        responses=serializers.LocalEventSerializer,
        examples=[
            OpenApiExample(
                "Local event",
                value={"event_type": "updated", "visibility": "private", "metadata": {"w": 1}},
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"], filterset_class=None)
    def local(self, request):
        body = serializers.LocalEventCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event, _ = services.event_submit(
            item=None,
            event_type=body.validated_data["event_type"],
            user=request.user,
            source=str(request.user.pk),
            metadata=body.validated_data["metadata"],
            visibility=body.validated_data["visibility"],
        )
        return Response(serializers.LocalEventSerializer(event).data)

    @extend_schema(
        summary="One of the caller's local events",
        parameters=[_path_parameter("local_event_id", "The local event's id (a UUID).")],
        responses=serializers.LocalEventSerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"local/(?P<local_event_id>[^/]+)",
        filterset_class=None,
    )
    def local_event(self, request, local_event_id=None):
        try:
            event_id = uuid.UUID(local_event_id)
        except ValueError as error:
            raise exceptions.ValidationError(
                {"local_event_id": ["Invalid local_event_id format."]}
            ) from error
        event = self.get_queryset().filter(event_id=event_id, item__isnull=True).first()
        if event is None:
            raise exceptions.NotFound("Local event not found.")
        return Response(serializers.LocalEventSerializer(event).data)


class ReceiptViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.ReceiptSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Receipt.objects.none()
        return selectors.receipts_visible_to(user=self.request.user).prefetch_related("identifiers")

    def _paginated_receipts(self, receipts: QuerySet[Receipt]) -> Response:
        page = self.paginate_queryset(receipts)
        return self.get_paginated_response(serializers.ReceiptSerializer(page, many=True).data)

    def _with_identifier(self, **conditions: str) -> Response:
        matching = ReceiptIdentifier.objects.filter(receipt=OuterRef("pk"), **conditions)
        return self._paginated_receipts(self.get_queryset().filter(Exists(matching)))

    @extend_schema(summary="One of the caller's receipts")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Issue a receipt for some bytes (SHA-256, size, time, identifiers)",
        description="`hash` is the SHA-256 of the data. The receipt also queues a data-lake "
        "entry that `resolve_data_lake` turns into an item (new DFID, enrichment, or "
        "Conflicted).",
        request=serializers.ReceiptCreateSerializer,
        responses=serializers.ReceiptSerializer,
        examples=[
            OpenApiExample(
                "Receipt",
                value={"data": "aGVsbG8=", "identifiers": [{"key": "lot", "value": "L-1"}]},
                request_only=True,
            )
        ],
    )
    def create(self, request):
        body = serializers.ReceiptCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        receipt = services.receipt_create(
            user=request.user,
            data=body.validated_data["data"],
            identifiers=body.validated_data["identifiers"],
        )
        return Response(serializers.ReceiptSerializer(receipt).data)

    @extend_schema(
        summary="Check that some bytes are the ones a receipt was issued for",
        request=serializers.ReceiptVerifySerializer,
        responses=serializers.ReceiptVerifyResultSerializer,
        examples=[OpenApiExample("Data", value={"data": "aGVsbG8="}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        receipt = self.get_object()
        body = serializers.ReceiptVerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        provided_hash = services.receipt_data_hash(body.validated_data["data"])
        return Response(
            {
                "is_valid": services.receipt_verify(
                    receipt=receipt, data=body.validated_data["data"]
                ),
                "receipt_id": str(receipt.pk),
                "original_hash": receipt.data_hash,
                "provided_hash": provided_hash,
                "timestamp": receipt.timestamp,
            }
        )

    @extend_schema(
        summary="The caller's receipts", responses=serializers.ReceiptSerializer(many=True)
    )
    @action(detail=False, methods=["get"], url_path="list")
    def receipts(self, request):
        return self._paginated_receipts(self.get_queryset())

    @extend_schema(
        summary="The caller's receipts holding an identifier (key and value)",
        request=serializers.ReceiptSearchSerializer,
        responses=serializers.ReceiptSerializer(many=True),
        examples=[
            OpenApiExample("Identifier", value={"key": "lot", "value": "L-1"}, request_only=True)
        ],
    )
    @action(detail=False, methods=["post"], url_path="search/identifier")
    def search_identifier(self, request):
        body = serializers.ReceiptSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._with_identifier(
            key=body.validated_data["key"], value=body.validated_data["value"]
        )

    @extend_schema(
        summary="The caller's receipts with an identifier of this key",
        parameters=[_path_parameter("key", "Identifier key.")],
        responses=serializers.ReceiptSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path=r"search/key/(?P<key>[^/]+)")
    def search_key(self, request, key=None):
        return self._with_identifier(key=key)

    @extend_schema(
        summary="The caller's receipts with an identifier of this value",
        parameters=[_path_parameter("value", "Identifier value.")],
        responses=serializers.ReceiptSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path=r"search/value/(?P<value>[^/]+)")
    def search_value(self, request, value=None):
        return self._with_identifier(value=value)


@extend_schema_view(
    list=extend_schema(summary="List identifier conflicts (staff)"),
    retrieve=extend_schema(summary="Read an identifier conflict (staff)"),
)
class ConflictViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Identifier conflicts awaiting (or past) staff review."""

    serializer_class = serializers.ConflictSerializer
    filterset_class = ConflictFilter
    permission_classes = [IsStaff]
    lookup_field = "conflict_id"

    def get_queryset(self):
        return selectors.conflicts_list()

    @extend_schema(
        summary="Resolve a conflict: merge its items into one DFID, or keep them separate",
        request=serializers.ConflictResolveSerializer,
        responses=serializers.ConflictSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def resolve(self, request, conflict_id=None):
        conflict = self.get_object()
        body = serializers.ConflictResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conflict = services.conflict_resolve(
            admin=request.user,
            conflict=conflict,
            strategy=body.validated_data["strategy"],
            target_dfid=body.validated_data.get("target_dfid"),
        )
        return Response(serializers.ConflictSerializer(conflict).data)
