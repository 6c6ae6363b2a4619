from collections import Counter

from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from defarm.api.permissions import IsStaff
from items import selectors, services
from items.api import serializers
from items.filters import ConflictFilter, EventFilter, ItemFilter, ReceiptFilter
from items.item_view import items_with_views
from items.models import Event, Item, Receipt
from items.services.items import MAX_BATCH

ITEM_CREATE_DESCRIPTION = f"""
Create one item (a JSON object) or up to {MAX_BATCH} items (a JSON list of such objects).

**One item.** Canonical identifiers deduplicate: when one already belongs to a live item,
that item is enriched (new identifiers appended, enriched data merged, later keys win) and
answered with **200**; otherwise a new DFID is issued, charged (item-creation credits, **402**
when short) and answered with **201**. Canonical identifiers that point at two or more
existing items are a **409** `conflict` naming the DFIDs and the `conflict_id` staff resolve.

**A list.** Each element is processed as above, in order (an element may enrich an item an
earlier element of the same list created). The answer lists one result per element:
`{{index, status: created|enriched|conflict|invalid, dfid?, error?, conflict_id?,
conflicting_dfids?}}` plus a summary. An invalid element is reported and skipped without
losing the others; a conflicting one writes its conflict row and is skipped. Credits for all
new DFIDs are charged once; when they are short (or the tier's monthly item limit would be
passed) the whole list is refused with 402/403 and nothing is written. The answer is **201**
when at least one item was created, **200** otherwise.
"""


def _item_for(item: Item, request) -> Item:
    """``item`` fresh from the database with what the caller's view of it needs."""
    return items_with_views(Item.objects.filter(pk=item.pk), viewer=request.user).get()


def _item_answer(item: Item, request) -> dict:
    """The item as the caller sees it."""
    return serializers.ItemSerializer(_item_for(item, request), context={"request": request}).data


ITEM_OR_BATCH = PolymorphicProxySerializer(
    component_name="ItemOrBatchResponse",
    serializers=[serializers.ItemSerializer, serializers.BatchResponseSerializer],
    resource_type_field_name=None,
)


@extend_schema_view(
    list=extend_schema(summary="Items the caller may see"),
    retrieve=extend_schema(summary="One item"),
)
class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.ItemSerializer
    filterset_class = ItemFilter
    lookup_field = "dfid"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Item.objects.none()
        user = self.request.user
        return items_with_views(selectors.items_visible_to(user=user), viewer=user)

    def get_object(self) -> Item:
        """One item the caller may see (the same rule as ``get_queryset``), found by DFID."""
        item = selectors.item_get_visible(user=self.request.user, dfid=self.kwargs["dfid"])
        self.check_object_permissions(self.request, item)
        return item

    @extend_schema(
        summary="Create an item, or up to 1,000 items at once",
        description=ITEM_CREATE_DESCRIPTION,
        request=PolymorphicProxySerializer(
            component_name="ItemCreateOrBatch",
            serializers=[
                serializers.ItemCreateSerializer,
                serializers.ItemCreateSerializer(many=True, max_length=MAX_BATCH),
            ],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: OpenApiResponse(
                ITEM_OR_BATCH,
                description="New item (a list: BatchResponse with at least one created)",
            ),
            200: OpenApiResponse(
                ITEM_OR_BATCH,
                description="Existing item enriched (one item: Item; a list: BatchResponse)",
            ),
            409: OpenApiResponse(description="conflict: canonical ids of several items"),
        },
    )
    def create(self, request):
        if isinstance(request.data, list):
            results = services.items_create_bulk(user=request.user, items=request.data)
            counts = Counter(result.status for result in results)
            body = {
                "results": [result.as_dict() for result in results],
                "summary": {
                    name: counts.get(name, 0)
                    for name in ("created", "enriched", "conflict", "invalid")
                },
            }
            answer = status.HTTP_201_CREATED if counts.get("created") else status.HTTP_200_OK
            return Response(body, status=answer)
        body = serializers.ItemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.item_create(
            user=request.user,
            identifiers=body.validated_data["identifiers"],
            enriched_data=body.validated_data.get("enriched_data"),
        )
        return Response(
            _item_answer(result.item, request),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Enrich an item: identifiers appended, enriched data merged (later keys win)",
        request=serializers.ItemUpdateSerializer,
        responses=serializers.ItemSerializer,
    )
    def partial_update(self, request, dfid=None):
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

    @extend_schema(summary="Deprecate an item (soft delete)", responses={204: None})
    def destroy(self, request, dfid=None):
        services.item_deprecate(user=request.user, item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Merge another of the caller's items into this one",
        description="The secondary item's identifiers are copied to this item, its enriched "
        "data fills keys this item lacks, and it becomes `Merged`. Only Active items merge.",
        request=serializers.ItemMergeSerializer,
        responses=serializers.ItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, dfid=None):
        item = self.get_object()
        body = serializers.ItemMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        survivor = services.item_merge(
            user=request.user, item=item, secondary_dfid=body.validated_data["secondary_dfid"]
        )
        return Response(_item_answer(survivor, request))

    @extend_schema(
        summary="Move some identifiers of this item to a new item (new DFID, charged)",
        request=serializers.ItemSplitSerializer,
        responses=serializers.ItemSplitResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def split(self, request, dfid=None):
        item = self.get_object()
        body = serializers.ItemSplitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        original, new_item = services.item_split(
            user=request.user, item=item, identifiers=body.validated_data["identifiers"]
        )
        return Response(
            serializers.ItemSplitResultSerializer(
                {
                    "original_item": _item_for(original, request),
                    "new_item": _item_for(new_item, request),
                },
                context={"request": request},
            ).data
        )

    @extend_schema(
        summary="Events of this item the caller may see",
        responses=serializers.EventSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def events(self, request, dfid=None):
        item = self.get_object()
        events = selectors.events_visible_to(user=request.user).filter(item=item)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(serializers.EventSerializer(page, many=True).data)


class LocalItemCreateView(APIView):
    @extend_schema(
        summary="Create a local item (no DFID yet, free)",
        request=serializers.LocalItemCreateSerializer,
        responses={201: serializers.LocalItemSerializer},
    )
    def post(self, request):
        body = serializers.LocalItemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.local_item_create(
            user=request.user,
            identifiers=body.validated_data.get("identifiers", []),
            enriched_data=body.validated_data.get("enriched_data"),
        )
        return Response(
            {"local_id": item.local_id, "status": services.LocalStatus.LOCAL_ONLY},
            status=status.HTTP_201_CREATED,
        )


class LocalMappingView(APIView):
    @extend_schema(
        summary="Where a local id points: LocalOnly, or Tokenized with its DFID",
        responses=serializers.LocalMappingSerializer,
    )
    def get(self, request, local_id):
        mapping = services.local_mapping_get(user=request.user, local_id=local_id)
        return Response(serializers.LocalMappingSerializer(mapping).data)


class LocalItemMergeView(APIView):
    @extend_schema(
        summary="Merge the caller's local items into a primary local item",
        description="Identifiers are always united. Enriched data: `append` adds the "
        "secondaries' keys with their values winning; `keep_first` only adds keys the primary "
        "lacks; `overwrite` replaces the primary's data with the secondaries'. Each secondary "
        "becomes `MergedInto:<primary local id>` until it is unmerged.",
        request=serializers.LocalMergeSerializer,
        responses=serializers.ItemSerializer,
    )
    def post(self, request):
        body = serializers.LocalMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        primary = services.local_items_merge(
            user=request.user,
            primary_local_id=str(body.validated_data["primary_local_id"]),
            secondary_local_ids=[str(i) for i in body.validated_data["secondary_local_ids"]],
            strategy=body.validated_data["strategy"],
        )
        return Response(_item_answer(primary, request))


class LocalItemUnmergeView(APIView):
    @extend_schema(
        summary="Undo the merge of a local item into another",
        description="The local item becomes Active again; the identifiers it brought leave "
        "the primary and the primary's data returns to what it was before that merge.",
        request=None,
        responses=serializers.LocalUnmergeResultSerializer,
    )
    def post(self, request, local_id):
        primary, restored = services.local_item_unmerge(user=request.user, local_id=local_id)
        return Response(
            serializers.LocalUnmergeResultSerializer(
                {"primary": _item_for(primary, request), "restored": _item_for(restored, request)},
                context={"request": request},
            ).data
        )


class EventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.EventSerializer
    filterset_class = EventFilter
    lookup_field = "event_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return selectors.events_visible_to(user=self.request.user)

    @extend_schema(
        summary="Record an event about an item (identical events are deduplicated)",
        description="201 with a new event; 200 with the existing one when the same DFID, "
        "type, source and metadata were already recorded. `Private` events are seen only by "
        "their creator, `CircuitOnly` ones by members of `metadata.circuit_id`.",
        request=serializers.EventCreateSerializer,
        responses={201: serializers.EventSerializer, 200: serializers.EventSerializer},
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
            source=data["source"],
            metadata=data["metadata"],
            visibility=data["visibility"],
        )
        return Response(
            serializers.EventSerializer(event).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReceiptViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.ReceiptSerializer
    filterset_class = ReceiptFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Receipt.objects.none()
        return selectors.receipts_visible_to(user=self.request.user).prefetch_related("identifiers")

    @extend_schema(
        summary="Issue a receipt for some bytes (SHA-256, size, time, identifiers)",
        description="The receipt also queues a data-lake entry that `resolve_data_lake` "
        "turns into an item (new DFID, enrichment, or Conflicted).",
        request=serializers.ReceiptCreateSerializer,
        responses={201: serializers.ReceiptSerializer},
    )
    def create(self, request):
        body = serializers.ReceiptCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        receipt = services.receipt_create(
            user=request.user,
            data=body.validated_data["data"],
            identifiers=body.validated_data["identifiers"],
        )
        return Response(serializers.ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Check that some bytes are the ones a receipt was issued for",
        request=serializers.ReceiptVerifySerializer,
        responses=serializers.ReceiptVerifyResultSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def verify(self, request, pk=None):
        receipt = self.get_object()
        body = serializers.ReceiptVerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        valid = services.receipt_verify(receipt=receipt, data=body.validated_data["data"])
        return Response({"valid": valid})


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
