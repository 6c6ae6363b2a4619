"""Snapshot routes at the earlier engine's paths (root-level ``/items/...``, ``/circuits/...``
and the public ``/api/public/snapshots/...``), in its ``{"success": true, "data": ...}``
shapes. Lists page with ``limit`` (default 50, at most 1,000) and ``offset``."""

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from adapters.selectors import item_get_public
from circuits.models import CircuitItem
from circuits.permissions import circuit_get_for_member
from defarm.api.envelopes import success_data
from defarm.api.exceptions import ApiError
from defarm.api.query_params import refuse_unknown_query_parameters
from defarm.api.schema import data_envelope
from items.selectors import item_get_visible
from items.snapshots.api.serializers import (
    IndexingProgressSerializer,
    ItemTimelineSerializer,
    SnapshotDetailSerializer,
    SnapshotListSerializer,
    SnapshotQuerySerializer,
    SnapshotRequestSerializer,
    SnapshotScheduledSerializer,
    SnapshotSerializer,
    TimelineEntrySerializer,
)
from items.snapshots.models import Snapshot, SnapshotEntityType, SnapshotOperation, TimelineNetwork
from items.snapshots.selectors import (
    circuit_snapshots,
    indexing_progress_get,
    item_snapshots_public,
    item_snapshots_visible,
    item_timeline_visible,
    snapshot_matching,
    snapshot_public_get,
    snapshot_readable_get,
)
from items.snapshots.services import SnapshotRequest, snapshot_content_get, snapshots_schedule

TAGS = ["snapshots"]
LIST_ANSWER = data_envelope(SnapshotListSerializer, name="SnapshotListAnswer")
DETAIL_ANSWER = data_envelope(SnapshotDetailSerializer, name="SnapshotDetailAnswer")
SCHEDULED_ANSWER = data_envelope(SnapshotScheduledSerializer, name="SnapshotScheduledAnswer")


def _query(request, view) -> dict:
    refuse_unknown_query_parameters(request, view)
    query = SnapshotQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _list_answer(
    request, *, entity_type: str, entity_id: str, snapshots: QuerySet, query, public=False
):
    if query.get("circuit_id"):
        snapshots = snapshots.filter(scope=str(query["circuit_id"]))
    total = snapshots.count()
    newest = snapshots.last()
    offset, limit = query["offset"], query["limit"]
    page = list(snapshots[offset : offset + limit])
    context = {"request": request, "public": public}
    return success_data(
        {
            "entity_id": entity_id,
            "entity_type": entity_type,
            "total_snapshots": total,
            "latest_version": newest.version if newest else 0,
            "snapshots": SnapshotSerializer(page, many=True, context=context).data,
        }
    )


def _detail_answer(request, snapshot: Snapshot, *, public=False):
    context = {"request": request, "public": public}
    return success_data(
        {
            "snapshot": SnapshotSerializer(snapshot, context=context).data,
            "state": snapshot.state,
        }
    )


def _not_found(message: str) -> ApiError:
    return ApiError(message, code="not_found", status_code=status.HTTP_404_NOT_FOUND)


def _latest(snapshots: QuerySet, query, *, entity: str) -> Snapshot:
    if query.get("circuit_id"):
        snapshots = snapshots.filter(scope=str(query["circuit_id"]))
    snapshot = snapshots.last()
    if snapshot is None:
        raise _not_found(f"No snapshots found for this {entity}")
    return snapshot


def _one(snapshots: QuerySet, snapshot_id: str, *, entity: str) -> Snapshot:
    snapshot = snapshot_matching(snapshots, snapshot_id)
    if snapshot is None:
        if snapshot_matching(Snapshot.objects.all(), snapshot_id) is None:
            raise _not_found("Snapshot not found")
        raise _not_found(f"Snapshot not found for this {entity}")
    return snapshot


LIST_DESCRIPTION = (
    "Oldest first. An item has a chain for its own data (shown to whoever sees its creator's "
    "layer) and one per circuit holding it (shown to that circuit's members); `circuit_id` "
    "keeps one chain. Each snapshot's `cid` addresses its canonical JSON (`state`), which "
    "names the previous snapshot's CID (`previous_cid`). 404 when the caller may not see the "
    "item."
)


class ItemSnapshotsView(APIView):
    @extend_schema(
        summary="Snapshots of an item",
        operation_id="items_snapshots_list",
        description=LIST_DESCRIPTION,
        parameters=[SnapshotQuerySerializer],
        responses=LIST_ANSWER,
        tags=TAGS,
    )
    def get(self, request, dfid: str):
        query = _query(request, self)
        item = item_get_visible(user=request.user, dfid=dfid)
        return _list_answer(
            request,
            entity_type=SnapshotEntityType.ITEM,
            entity_id=item.dfid,
            snapshots=item_snapshots_visible(user=request.user, item=item),
            query=query,
        )

    @extend_schema(
        summary="Take a snapshot of an item (beyond the engine)",
        description="Scheduled: the background worker takes it once the request has committed "
        "(202); read it with `/latest`. Without `circuit_id`, the item's own data (its creator "
        "or staff; 403 for other viewers); with it, the item as that circuit holds it (a member "
        "of a circuit holding the item; 404 otherwise).",
        request=SnapshotRequestSerializer,
        responses={202: SCHEDULED_ANSWER},
        examples=[OpenApiExample("Own data", value={"message": "Before sale"}, request_only=True)],
        tags=TAGS,
    )
    def post(self, request, dfid: str):
        body = SnapshotRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = item_get_visible(user=request.user, dfid=dfid)
        scope = ""
        if body.validated_data.get("circuit_id"):
            circuit = circuit_get_for_member(
                user=request.user, circuit_id=body.validated_data["circuit_id"]
            )
            if not CircuitItem.objects.filter(circuit=circuit, item=item).exists():
                raise NotFound(f"Item {item.dfid} is not in circuit {circuit.circuit_id}.")
            scope = str(circuit.circuit_id)
        elif not (request.user.is_admin or item.created_by_id == request.user.pk):
            raise PermissionDenied(
                "Only the item's creator or staff may snapshot its own data; members snapshot "
                "it as their circuit holds it (circuit_id)."
            )
        return _schedule(
            request,
            entity_type=SnapshotEntityType.ITEM,
            entity_id=item.dfid,
            scope=scope,
            message=body.validated_data.get("message"),
        )


def _schedule(request, *, entity_type: str, entity_id: str, scope: str, message):
    snapshots_schedule(
        requests=[
            SnapshotRequest(
                entity_type=entity_type,
                entity_id=entity_id,
                scope=scope,
                operation=SnapshotOperation.REQUESTED,
                created_by=request.user.user_id,
                message=message or None,
            )
        ]
    )
    return success_data(
        {
            "entity_type": entity_type,
            "entity_id": entity_id,
            "circuit_id": scope or None,
            "status": "scheduled",
        },
        status=status.HTTP_202_ACCEPTED,
    )


class ItemSnapshotLatestView(APIView):
    @extend_schema(
        summary="The newest snapshot of an item, with its state",
        description="Among the chains the caller may read (`circuit_id` keeps one); 404 when "
        "there is none.",
        parameters=[
            OpenApiParameter(
                "circuit_id", OpenApiTypes.UUID, description="Only this circuit's chain."
            )
        ],
        responses=DETAIL_ANSWER,
        tags=TAGS,
    )
    def get(self, request, dfid: str):
        query = _query(request, self)
        item = item_get_visible(user=request.user, dfid=dfid)
        snapshots = item_snapshots_visible(user=request.user, item=item)
        return _detail_answer(request, _latest(snapshots, query, entity="item"))


class ItemSnapshotDetailView(APIView):
    @extend_schema(
        summary="One snapshot of an item, with its state",
        description="Named by `snapshot_id` or by `cid`; 404 when the caller may not read it.",
        responses=DETAIL_ANSWER,
        tags=TAGS,
    )
    def get(self, request, dfid: str, snapshot_id: str):
        item = item_get_visible(user=request.user, dfid=dfid)
        snapshots = item_snapshots_visible(user=request.user, item=item)
        return _detail_answer(request, _one(snapshots, snapshot_id, entity="item"))


class CircuitSnapshotsView(APIView):
    @extend_schema(
        summary="Snapshots of a circuit",
        operation_id="circuits_snapshots_list",
        description="Oldest first; members and staff only (404 otherwise). Each holds the "
        "circuit's settings, members and items, and the previous snapshot's CID.",
        parameters=[SnapshotQuerySerializer],
        responses=LIST_ANSWER,
        tags=TAGS,
    )
    def get(self, request, circuit_id: str):
        query = _query(request, self)
        circuit = circuit_get_for_member(user=request.user, circuit_id=circuit_id)
        return _list_answer(
            request,
            entity_type=SnapshotEntityType.CIRCUIT,
            entity_id=str(circuit.circuit_id),
            snapshots=circuit_snapshots(circuit=circuit),
            query=query,
        )

    @extend_schema(
        summary="Take a snapshot of a circuit (beyond the engine)",
        description="Any member (or staff); scheduled for the background worker (202).",
        request=SnapshotRequestSerializer,
        responses={202: SCHEDULED_ANSWER},
        examples=[OpenApiExample("Audit", value={"message": "Audit"}, request_only=True)],
        tags=TAGS,
    )
    def post(self, request, circuit_id: str):
        body = SnapshotRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        circuit = circuit_get_for_member(user=request.user, circuit_id=circuit_id)
        return _schedule(
            request,
            entity_type=SnapshotEntityType.CIRCUIT,
            entity_id=str(circuit.circuit_id),
            scope="",
            message=body.validated_data.get("message"),
        )


class CircuitSnapshotLatestView(APIView):
    @extend_schema(
        summary="The newest snapshot of a circuit, with its state",
        responses=DETAIL_ANSWER,
        tags=TAGS,
    )
    def get(self, request, circuit_id: str):
        circuit = circuit_get_for_member(user=request.user, circuit_id=circuit_id)
        snapshot = _latest(circuit_snapshots(circuit=circuit), {}, entity="circuit")
        return _detail_answer(request, snapshot)


class CircuitSnapshotDetailView(APIView):
    @extend_schema(
        summary="One snapshot of a circuit, with its state",
        description="Named by `snapshot_id` or by `cid`.",
        responses=DETAIL_ANSWER,
        tags=TAGS,
    )
    def get(self, request, circuit_id: str, snapshot_id: str):
        circuit = circuit_get_for_member(user=request.user, circuit_id=circuit_id)
        snapshots = circuit_snapshots(circuit=circuit)
        return _detail_answer(request, _one(snapshots, snapshot_id, entity="circuit"))


def _public_item(dfid: str):
    try:
        return item_get_public(dfid=dfid)
    except NotFound as error:
        raise ApiError(
            "Item not available publicly", code="item_not_public", status_code=404
        ) from error


class PublicItemSnapshotsView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Snapshots of a published item (no login)",
        operation_id="public_items_snapshots_list",
        description="The chains of the public circuits publishing the item (404 item_not_public "
        "otherwise); who took each snapshot is left out (`created_by` empty).",
        parameters=[SnapshotQuerySerializer],
        responses=LIST_ANSWER,
        auth=[],
        tags=TAGS,
    )
    def get(self, request, dfid: str):
        query = _query(request, self)
        item = _public_item(dfid)
        return _list_answer(
            request,
            entity_type=SnapshotEntityType.ITEM,
            entity_id=item.dfid,
            snapshots=item_snapshots_public(item=item),
            query=query,
            public=True,
        )


class PublicItemSnapshotLatestView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="The newest snapshot of a published item (no login)",
        responses={200: DETAIL_ANSWER, 404: OpenApiResponse(description="Not public or none.")},
        auth=[],
        tags=TAGS,
    )
    def get(self, request, dfid: str):
        item = _public_item(dfid)
        snapshot = _latest(item_snapshots_public(item=item), {}, entity="item")
        return _detail_answer(request, snapshot, public=True)


# --- Timeline -----------------------------------------------------------------------------------

TIMELINE_TAGS = ["timeline"]
SEQUENCE_MAX = 2**31 - 1


class ItemTimelineView(APIView):
    @extend_schema(
        summary="An item's timeline: the CID of each stored snapshot, in order",
        operation_id="items_timeline_list",
        description="Each snapshot of the item gets the item's next `sequence` with its `cid`; "
        "`network` is `local` or `ipfs` where the bytes are, until the CID is anchored on a "
        "chain (then `stellar-testnet` or `stellar-mainnet`, with `transaction_hash` and the "
        "ledger's `blockchain_timestamp`; empty and 0 before). Only the entries of snapshots "
        "the caller may read; 404 when the caller may not see the item.",
        responses=ItemTimelineSerializer,
        tags=TIMELINE_TAGS,
    )
    def get(self, request, dfid: str):
        item = item_get_visible(user=request.user, dfid=dfid)
        entries = list(item_timeline_visible(user=request.user, item=item))
        return Response(
            ItemTimelineSerializer(
                {"dfid": item.dfid, "total_entries": len(entries), "timeline": entries}
            ).data
        )


class ItemTimelineEntryView(APIView):
    @extend_schema(
        summary="One entry of an item's timeline",
        description="404 `not_found` (details: dfid, sequence) when there is none the caller "
        "may read; 400 when `sequence` is not a 32-bit integer.",
        responses=TimelineEntrySerializer,
        tags=TIMELINE_TAGS,
    )
    def get(self, request, dfid: str, sequence: str):
        try:
            number = int(sequence)
        except ValueError:
            number = None
        if number is None or not -SEQUENCE_MAX - 1 <= number <= SEQUENCE_MAX:
            raise serializers.ValidationError({"sequence": ["A 32-bit integer."]})
        item = item_get_visible(user=request.user, dfid=dfid)
        entry = (
            item_timeline_visible(user=request.user, item=item)
            .filter(event_sequence=number)
            .first()
        )
        if entry is None:
            raise ApiError(
                "Timeline entry not found",
                code="not_found",
                status_code=status.HTTP_404_NOT_FOUND,
                details={"dfid": item.dfid, "sequence": number},
            )
        return Response(TimelineEntrySerializer(entry).data)


class IndexingProgressView(APIView):
    @extend_schema(
        summary="How far anchoring on a chain network has got",
        description="`stellar-testnet` or `stellar-mainnet` (400 `invalid_network` otherwise, "
        "with `valid_networks`); 404 while nothing has been anchored there.",
        responses=IndexingProgressSerializer,
        tags=TIMELINE_TAGS,
    )
    def get(self, request, network: str):
        if network not in TimelineNetwork.INDEXED:
            raise ApiError(
                "Invalid network",
                code="invalid_network",
                details={"network": network, "valid_networks": list(TimelineNetwork.INDEXED)},
            )
        progress = indexing_progress_get(network=network)
        if progress is None:
            raise ApiError(
                "No indexing progress found",
                code="not_found",
                status_code=status.HTTP_404_NOT_FOUND,
                details={
                    "network": network,
                    "hint": "Nothing has been anchored on this network yet.",
                },
            )
        return Response(IndexingProgressSerializer(progress).data)


# --- Content retrieval (beyond the engine) ------------------------------------------------------

CONTENT_DESCRIPTION = (
    "The stored bytes of a snapshot (its canonical JSON), read back through the adapter that "
    "stored them and checked against the CID before they are answered: altered or missing "
    "bytes give 502 (`storage_failed`, `content_integrity_failed`) in the error shape, never "
    "the bytes. Anyone can check the answer: its SHA-256 is the digest the CID names. "
    "Beyond the earlier engine, which had no way to read content back."
)


def _content_answer(snapshot: Snapshot) -> HttpResponse:
    data = snapshot_content_get(snapshot=snapshot)
    response = HttpResponse(data, content_type="application/json")
    response["ETag"] = f'"{snapshot.cid}"'
    response["X-Content-CID"] = snapshot.cid
    return response


class ContentView(APIView):
    @extend_schema(
        summary="The stored bytes of a snapshot, checked against its CID",
        description=CONTENT_DESCRIPTION + " Only CIDs of snapshots the caller may read (404).",
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        tags=TAGS,
    )
    def get(self, request, cid: str):
        snapshot = snapshot_readable_get(user=request.user, cid=cid)
        if snapshot is None:
            raise _not_found("No content the caller may read has this CID.")
        return _content_answer(snapshot)


class PublicContentView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="The stored bytes of a published snapshot (no login)",
        description=CONTENT_DESCRIPTION + " Only CIDs of snapshots of items as a public circuit "
        "publishing them holds them (404).",
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        auth=[],
        tags=TAGS,
    )
    def get(self, request, cid: str):
        snapshot = snapshot_public_get(cid=cid)
        if snapshot is None:
            raise _not_found("No published content has this CID.")
        return _content_answer(snapshot)
