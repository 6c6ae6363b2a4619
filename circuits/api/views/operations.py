"""Push, pull, operations and pending items of a circuit, in the earlier engine's shapes."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from circuits import selectors, services
from circuits.api.serializers.circuits import MessageEnvelopeSerializer
from circuits.api.serializers.operations import (
    BatchPushResponseSerializer,
    BatchPushSerializer,
    OperationApproveSerializer,
    OperationRejectSerializer,
    OperationSerializer,
    PendingItemApprovedEnvelopeSerializer,
    PendingItemApproveSerializer,
    PendingItemRejectSerializer,
    PendingItemsEnvelopeSerializer,
    PendingItemSerializer,
    PullResultSerializer,
    PushEventsResponseSerializer,
    PushEventsSerializer,
    PushLocalEnvelopeSerializer,
    PushLocalSerializer,
    PushSerializer,
    event_raw,
    item_raw,
)
from circuits.api.views.base import CircuitScopedViewSet, status_param
from circuits.models import CircuitOperation, OperationStatus, PendingItemStatus
from circuits.permissions import Permission, circuit_get_for_member
from defarm.api.envelopes import success_data, success_with
from items.item_view import item_view


class PushPullViewSet(CircuitScopedViewSet):
    """``/api/circuits/{id}/push/{dfid}``, ``/push-local`` and ``/pull/{dfid}``."""

    @extend_schema(
        summary="Push an item into a circuit",
        description="Needs Push. With `require_approval_for_push` the operation stays Pending "
        "until a manager approves the pending item. A JSON body is optional and ignored.",
        request=PushSerializer,
        responses=OperationSerializer,
    )
    def push(self, request: Request, circuit_id: str, dfid: str) -> Response:
        circuit = self.circuit(Permission.PUSH)
        self.body(PushSerializer)
        operation = services.circuit_push(circuit=circuit, user=request.user, dfid=dfid)
        return Response(OperationSerializer(operation).data)

    @extend_schema(
        summary="Push several items into a circuit",
        description="Needs Push. Each DFID gets the answer a push of it alone would get, "
        "pushed in the order sent: a failure is reported in its row (and writes nothing) and "
        "the others go on. The completed pushes are paid in one credit charge. At most "
        "1,000 items.",
        request=BatchPushSerializer,
        responses=BatchPushResponseSerializer,
        examples=[
            OpenApiExample(
                "Two items",
                request_only=True,
                value={
                    "items": [
                        {"dfid": "DFID-20250101-000001-3"},
                        {"dfid": "DFID-20250101-000002-1"},
                    ]
                },
            )
        ],
    )
    def push_batch(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.PUSH)
        body = self.body(BatchPushSerializer)
        results = services.circuit_push_many(
            circuit=circuit, user=request.user, dfids=[entry["dfid"] for entry in body["items"]]
        )
        rows = [
            {
                "dfid": result.dfid,
                "success": result.error is None,
                "error_message": error_message(result.error) if result.error else None,
                "operation_id": str(result.operation.pk) if result.operation else None,
                "status": result.operation.status if result.operation else None,
            }
            for result in results
        ]
        succeeded = sum(1 for row in rows if row["success"])
        return Response(
            {"success_count": succeeded, "failed_count": len(rows) - succeeded, "results": rows}
        )

    @extend_schema(
        summary="Push local events into a circuit, linked to one of its items",
        description="Needs Push. Each of the caller's local events (POST /api/events/local) "
        "is linked to `dfid`, an item of the circuit the caller may add events to (its owner "
        "or a member holding Push in a circuit holding it; Pull only is 403). An event whose "
        "DFID, type, source and metadata were already recorded is deduplicated "
        "(`was_deduplicated`, `original_event_id`) and its local event stays local. Events "
        "that cannot be pushed are listed in `failed`; the others go on. Events cost no "
        "credits.",
        request=PushEventsSerializer,
        responses=PushEventsResponseSerializer,
        examples=[
            OpenApiExample(
                "Two local events",
                request_only=True,
                value={
                    "dfid": "DFID-20250101-000001-3",
                    "local_event_ids": [
                        "0b6c1b9e-3f0a-4f52-9a53-5b7f4c1d2e3f",
                        "5d1f0c2a-7a4e-4b7e-9c1d-2f3e4a5b6c7d",
                    ],
                },
            )
        ],
    )
    def push_events(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.PUSH)
        body = self.body(PushEventsSerializer)
        result = services.circuit_push_events(
            circuit=circuit,
            user=request.user,
            dfid=body["dfid"],
            local_event_ids=body["local_event_ids"],
        )
        deduplicated = sum(1 for event in result.pushed if event.was_deduplicated)
        return Response(
            {
                "success": True,
                "circuit_id": str(circuit.pk),
                "events_pushed": len(result.pushed) - deduplicated,
                "events_deduplicated": deduplicated,
                "events": [
                    {
                        "local_event_id": event.local_event_id,
                        "event_id": event.event_id,
                        "dfid": event.dfid,
                        "was_deduplicated": event.was_deduplicated,
                        "original_event_id": event.original_event_id,
                    }
                    for event in result.pushed
                ],
                "events_failed": len(result.failed),
                "failed": [
                    {
                        "local_event_id": failure.local_event_id,
                        "error_message": error_message(failure.error),
                    }
                    for failure in result.failed
                ],
            }
        )

    @extend_schema(
        summary="Tokenize a local item into a circuit",
        description="Needs Push. `dfid` is null and `status` PendingApproval while the push "
        "waits for a manager.",
        request=PushLocalSerializer,
        responses=PushLocalEnvelopeSerializer,
        examples=[
            OpenApiExample(
                "A local item",
                request_only=True,
                value={
                    "local_id": "0b6c1b9e-3f0a-4f52-9a53-5b7f4c1d2e3f",
                    "identifiers": [
                        {
                            "namespace": "bovino",
                            "key": "sisbov",
                            "value": "BR123456789012",
                            "id_type": "Canonical",
                        }
                    ],
                },
            )
        ],
    )
    def push_local(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.PUSH)
        body = self.body(PushLocalSerializer)
        result = services.circuit_push_local(circuit=circuit, user=request.user, **body)
        return success_data(
            {
                "dfid": result.dfid,
                "status": result.status,
                "operation_id": str(result.operation.pk),
                "local_id": str(result.local_id),
            }
        )

    @extend_schema(
        summary="Pull an item from a circuit",
        description="Needs Pull. Answers the item with the events a member sees and the "
        "operation; with `require_approval_for_pull` the operation is Pending, `item` null "
        "and `events` empty until a manager approves.",
        request=PushSerializer,
        responses=PullResultSerializer,
    )
    def pull(self, request: Request, circuit_id: str, dfid: str) -> Response:
        circuit = self.circuit(Permission.PULL)
        self.body(PushSerializer)
        operation = services.circuit_pull(circuit=circuit, user=request.user, dfid=dfid)
        item, events = None, []
        if operation.status == OperationStatus.COMPLETED:
            pulled = selectors.pulled_item_get(dfid=operation.dfid)
            item = item_raw(item_view(item=pulled, viewer=request.user))
            events = [
                event_raw(event)
                for event in selectors.item_events_for_member(item=pulled, user=request.user)
            ]
        return Response(
            {
                "item": item,
                "events": events,
                "events_count": len(events),
                "operation": OperationSerializer(operation).data,
            }
        )


def error_message(error: exceptions.APIException) -> str:
    """The text of an API error, as the one error shape's ``message`` gives it."""
    detail = error.detail
    if isinstance(detail, dict):
        parts = []
        for field, messages in detail.items():
            text = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            parts.append(f"{field}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(str(message) for message in detail)
    return str(detail)


def _operation_for_manager(request: Request, operation_id: str) -> CircuitOperation:
    """The operation ``operation_id`` when the caller may decide on it (ManageMembers in its
    circuit): 404 when they are no member of its circuit, 403 without the permission."""
    operation = selectors.operation_get(operation_id=operation_id)
    try:
        circuit_get_for_member(
            user=request.user,
            circuit_id=operation.circuit_id,
            permission=Permission.MANAGE_MEMBERS,
        )
    except exceptions.NotFound as error:
        raise exceptions.NotFound("Operation not found.") from error
    return operation


class OperationViewSet(CircuitScopedViewSet):
    """``/api/circuits/{id}/operations`` (members read) and
    ``/api/circuits/operations/{operation_id}/approve|reject`` (ManageMembers)."""

    @extend_schema(
        summary="Operations of a circuit",
        parameters=[
            OpenApiParameter(
                "status", str, enum=OperationStatus.values, description="DeFarm's filter."
            )
        ],
        responses=OperationSerializer(many=True),
    )
    def list(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit()
        operations = selectors.circuit_operations_list(
            circuit=circuit, status=status_param(request, OperationStatus.values)
        )
        return self.bare_list(operations, OperationSerializer)

    @extend_schema(
        summary="Pending operations of a circuit", responses=OperationSerializer(many=True)
    )
    def pending(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit()
        operations = selectors.circuit_operations_list(
            circuit=circuit, status=OperationStatus.PENDING
        )
        return self.bare_list(operations, OperationSerializer)

    @extend_schema(
        summary="One operation of a circuit",
        description="DeFarm's addition: read one operation by id.",
        responses=OperationSerializer,
    )
    def retrieve(self, request: Request, circuit_id: str, operation_id: str) -> Response:
        operation = selectors.circuit_operation_get(
            circuit=self.circuit(), operation_id=operation_id
        )
        return Response(OperationSerializer(operation).data)

    @extend_schema(
        summary="Approve a pending operation",
        description="A Pull waiting for approval completes; a Push waiting on a pending item "
        "is approved with it. Needs ManageMembers in the operation's circuit; `approver_id`, "
        "when sent, must name the caller.",
        request=OperationApproveSerializer,
        responses=OperationSerializer,
    )
    def approve(self, request: Request, operation_id: str) -> Response:
        operation = _operation_for_manager(request, operation_id)
        self.body(OperationApproveSerializer)
        operation = services.operation_approve(operation=operation, approver=request.user)
        return Response(OperationSerializer(operation).data)

    @extend_schema(
        summary="Reject a pending operation",
        description="DeFarm's addition (the engine had no route for it). Needs ManageMembers "
        "in the operation's circuit.",
        request=OperationRejectSerializer,
        responses=OperationSerializer,
        examples=[OpenApiExample("Reason", request_only=True, value={"reason": "Wrong lot"})],
    )
    def reject(self, request: Request, operation_id: str) -> Response:
        operation = _operation_for_manager(request, operation_id)
        body = self.body(OperationRejectSerializer)
        operation = services.operation_reject(
            operation=operation, approver=request.user, reason=body["reason"]
        )
        return Response(OperationSerializer(operation).data)


class PendingItemViewSet(CircuitScopedViewSet):
    """``/api/circuits/{id}/pending-items``: pushes waiting for a manager (ManageMembers)."""

    @extend_schema(
        summary="Items waiting for approval",
        description="Needs ManageMembers. Paged like every list (X-Total-Count, Link).",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=PendingItemStatus.values,
                description="DeFarm's filter (default Pending).",
            )
        ],
        responses=PendingItemsEnvelopeSerializer,
    )
    def list(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        pending = selectors.circuit_pending_items_list(
            circuit=circuit,
            status=status_param(request, PendingItemStatus.values) or PendingItemStatus.PENDING,
        )
        page = self.paginate_queryset(pending)
        response = success_data(PendingItemSerializer(page, many=True).data)
        for header, value in self.paginator.get_headers().items():
            response[header] = value
        return response

    @extend_schema(
        summary="Approve a pending item",
        description="`pending_id` is the pending item's id or its operation's. The item "
        "enters the circuit (a local item is tokenized now). Needs ManageMembers.",
        request=PendingItemApproveSerializer,
        responses=PendingItemApprovedEnvelopeSerializer,
    )
    def approve(self, request: Request, circuit_id: str, pending_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        pending = selectors.circuit_pending_item_get(circuit=circuit, pending_item_id=pending_id)
        self.body(PendingItemApproveSerializer)
        operation = services.pending_item_approve(pending_item=pending, approver=request.user)
        return success_with(
            message="Item approved and added to circuit",
            data={
                "circuit_id": str(circuit.pk),
                "dfid": operation.dfid,
                "pushed_by": pending.pushed_by,
                "pushed_at": pending.pushed_at_ts,
                "approved_by": request.user.pk,
                "approved_at": operation.approved_at_ts,
                "status": "active",
            },
        )

    @extend_schema(
        summary="Reject a pending item",
        description="Nothing enters the circuit. Needs ManageMembers.",
        request=PendingItemRejectSerializer,
        responses=MessageEnvelopeSerializer,
        examples=[OpenApiExample("Reason", request_only=True, value={"reason": "Wrong lot"})],
    )
    def reject(self, request: Request, circuit_id: str, pending_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        pending = selectors.circuit_pending_item_get(circuit=circuit, pending_item_id=pending_id)
        body = self.body(PendingItemRejectSerializer)
        services.pending_item_reject(
            pending_item=pending, approver=request.user, reason=body["reason"]
        )
        return success_with(message="Item rejected")
