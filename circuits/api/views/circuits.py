"""``/api/circuits`` and everything under it. Each action names the circuit permission it
needs; ``circuit_get_for_member`` resolves the circuit from the authenticated caller (404 for
non-members, 403 for members without the permission)."""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from circuits import selectors, services
from circuits.api.serializers import (
    ActivitySerializer,
    CircuitAdapterInputSerializer,
    CircuitAdapterSerializer,
    CircuitCreateSerializer,
    CircuitItemSerializer,
    CircuitMemberSerializer,
    CircuitSerializer,
    CircuitUpdateSerializer,
    CustomRoleSerializer,
    CustomRoleUpdateSerializer,
    DecisionSerializer,
    JoinRequestApproveSerializer,
    JoinRequestCreateSerializer,
    JoinRequestSerializer,
    MemberAddSerializer,
    MemberUpdateSerializer,
    OperationSerializer,
    PendingItemSerializer,
    PublicSettingsInputSerializer,
    PushLocalResultSerializer,
    PushLocalSerializer,
)
from circuits.configs import public_settings_for_display
from circuits.models import Circuit, CircuitStatus, OperationStatus, PendingItemStatus
from circuits.permissions import Permission, circuit_get_for_member

STATUS_FILTER = OpenApiParameter(
    "status", str, description="Only rows with this status.", required=False
)
CIRCUIT_STATUS_FILTER = OpenApiParameter(
    "status", str, enum=["Active", "Inactive", "Archived"], required=False
)
INCLUDE_PUBLIC = OpenApiParameter(
    "include_public",
    bool,
    description="Also list circuits that allow public visibility.",
    required=False,
)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _status_param(request: Request, allowed: list[str], default: str | None = None) -> str | None:
    """The ``?status=`` filter, one of ``allowed``; 400 naming the choices otherwise."""
    value = request.query_params.get("status") or default
    if value is not None and value not in allowed:
        raise exceptions.ValidationError({"status": [f"Choose one of: {', '.join(allowed)}."]})
    return value


class CircuitViewSet(viewsets.GenericViewSet):
    serializer_class = CircuitSerializer
    lookup_field = "circuit_id"
    lookup_value_regex = "[^/]+"
    queryset = Circuit.objects.none()

    def circuit(self, permission: str | None = None, *, allow_public: bool = False) -> Circuit:
        return circuit_get_for_member(
            user=self.request.user,
            circuit_id=self.kwargs["circuit_id"],
            permission=permission,
            allow_public=allow_public,
        )

    def paginated(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def detail_response(self, circuit: Circuit, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            CircuitSerializer(selectors.circuit_detail(circuit=circuit)).data, status=code
        )

    # --- the circuit itself ---------------------------------------------------------------------

    @extend_schema(
        parameters=[CIRCUIT_STATUS_FILTER, INCLUDE_PUBLIC],
        responses=CircuitSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        circuits = selectors.circuits_for_user(
            user=request.user,
            status=_status_param(request, CircuitStatus.values),
            include_public=_truthy(request.query_params.get("include_public")),
        )
        return self.paginated(circuits, CircuitSerializer)

    @extend_schema(request=CircuitCreateSerializer, responses={201: CircuitSerializer})
    def create(self, request: Request) -> Response:
        body = CircuitCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        circuit = services.circuit_create(owner=request.user, **body.validated_data)
        return self.detail_response(circuit, status.HTTP_201_CREATED)

    @extend_schema(responses=CircuitSerializer)
    def retrieve(self, request: Request, circuit_id: str) -> Response:
        return self.detail_response(self.circuit(allow_public=True))

    @extend_schema(request=CircuitUpdateSerializer, responses=CircuitSerializer)
    def partial_update(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
        body = CircuitUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        circuit = services.circuit_update(
            circuit=circuit, actor=request.user, **body.validated_data
        )
        return self.detail_response(circuit)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, circuit_id: str) -> Response:
        services.circuit_archive(circuit=self.circuit(Permission.DELETE), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=CircuitSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, circuit_id: str) -> Response:
        circuit = services.circuit_deactivate(
            circuit=self.circuit(Permission.MANAGE_PERMISSIONS), actor=request.user
        )
        return self.detail_response(circuit)

    # --- members and roles ----------------------------------------------------------------------

    @extend_schema(request=MemberAddSerializer, responses={201: CircuitMemberSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.INVITE)
        body = MemberAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = get_user_model().objects.filter(pk=body.validated_data["member_id"]).first()
        if member is None:
            raise exceptions.ValidationError({"member_id": ["No user has this id."]})
        membership = services.member_add(
            circuit=circuit, actor=request.user, member=member, role=body.validated_data["role"]
        )
        return Response(CircuitMemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"], request=MemberUpdateSerializer, responses=CircuitMemberSerializer
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"members/(?P<member_id>[^/]+)",
        url_name="member",
    )
    def member(self, request: Request, circuit_id: str, member_id: str) -> Response:
        if request.method == "DELETE":
            # Members may leave by themselves; removing someone else needs ManageMembers.
            leaving = member_id == request.user.pk
            circuit = self.circuit(None if leaving else Permission.MANAGE_MEMBERS)
            services.member_remove(circuit=circuit, actor=request.user, member_id=member_id)
            return Response(status=status.HTTP_204_NO_CONTENT)
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        body = MemberUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = services.member_update(
            circuit=circuit, actor=request.user, member_id=member_id, **body.validated_data
        )
        return Response(CircuitMemberSerializer(membership).data)

    @extend_schema(methods=["GET"], request=None, responses=CustomRoleSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=CustomRoleSerializer, responses={201: CustomRoleSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def roles(self, request: Request, circuit_id: str) -> Response:
        if request.method == "GET":
            circuit = self.circuit()
            return self.paginated(
                selectors.circuit_roles_list(circuit=circuit), CustomRoleSerializer
            )
        circuit = self.circuit(Permission.MANAGE_ROLES)
        body = CustomRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        role = services.role_create(circuit=circuit, actor=request.user, **body.validated_data)
        return Response(CustomRoleSerializer(role).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"], request=CustomRoleUpdateSerializer, responses=CustomRoleSerializer
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"roles/(?P<role_name>[^/]+)",
        url_name="role",
    )
    def role(self, request: Request, circuit_id: str, role_name: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_ROLES)
        role = selectors.circuit_role_get(circuit=circuit, role_name=role_name)
        if request.method == "DELETE":
            services.role_delete(circuit=circuit, actor=request.user, role=role)
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = CustomRoleUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        role = services.role_update(
            circuit=circuit, actor=request.user, role=role, **body.validated_data
        )
        return Response(CustomRoleSerializer(role).data)

    # --- join requests --------------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None, responses=JoinRequestSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=JoinRequestCreateSerializer,
        responses={201: JoinRequestSerializer},
    )
    @action(detail=True, methods=["get", "post"], url_path="join-requests")
    def join_requests(self, request: Request, circuit_id: str) -> Response:
        if request.method == "GET":
            circuit = self.circuit(Permission.MANAGE_MEMBERS)
            return self.paginated(
                selectors.circuit_join_requests_list(circuit=circuit), JoinRequestSerializer
            )
        # Asking to join is what a non-member does: any existing circuit id may be asked.
        circuit = selectors.circuit_for_join_request(circuit_id=circuit_id)
        body = JoinRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        join_request = services.join_request_create(
            circuit=circuit, requester=request.user, message=body.validated_data["message"]
        )
        return Response(JoinRequestSerializer(join_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=JoinRequestApproveSerializer, responses=CircuitMemberSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"join-requests/(?P<requester_id>[^/]+)/approve",
        url_name="join-request-approve",
    )
    def join_request_approve(self, request: Request, circuit_id: str, requester_id: str):
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        join_request = selectors.circuit_join_request_pending_get(
            circuit=circuit, requester_id=requester_id
        )
        body = JoinRequestApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = services.join_request_approve(
            join_request=join_request, approver=request.user, role=body.validated_data["role"]
        )
        return Response(CircuitMemberSerializer(membership).data)

    @extend_schema(request=None, responses=JoinRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"join-requests/(?P<requester_id>[^/]+)/reject",
        url_name="join-request-reject",
    )
    def join_request_reject(self, request: Request, circuit_id: str, requester_id: str):
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        join_request = selectors.circuit_join_request_pending_get(
            circuit=circuit, requester_id=requester_id
        )
        join_request = services.join_request_reject(
            join_request=join_request, approver=request.user
        )
        return Response(JoinRequestSerializer(join_request).data)

    # --- push and pull --------------------------------------------------------------------------

    @extend_schema(request=None, responses={201: OperationSerializer})
    @action(detail=True, methods=["post"], url_path=r"push/(?P<dfid>[^/]+)", url_name="push")
    def push(self, request: Request, circuit_id: str, dfid: str) -> Response:
        circuit = self.circuit(Permission.PUSH)
        operation = services.circuit_push(circuit=circuit, user=request.user, dfid=dfid)
        return Response(OperationSerializer(operation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PushLocalSerializer, responses={201: PushLocalResultSerializer})
    @action(detail=True, methods=["post"], url_path="push-local")
    def push_local(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.PUSH)
        body = PushLocalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.circuit_push_local(
            circuit=circuit, user=request.user, **body.validated_data
        )
        data = {
            "dfid": result.dfid,
            "status": result.status,
            "operation_id": result.operation.pk,
            "local_id": result.local_id,
        }
        return Response(PushLocalResultSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: OperationSerializer})
    @action(detail=True, methods=["post"], url_path=r"pull/(?P<dfid>[^/]+)", url_name="pull")
    def pull(self, request: Request, circuit_id: str, dfid: str) -> Response:
        circuit = self.circuit(Permission.PULL)
        operation = services.circuit_pull(circuit=circuit, user=request.user, dfid=dfid)
        return Response(OperationSerializer(operation).data, status=status.HTTP_201_CREATED)

    # --- approvals ------------------------------------------------------------------------------

    @extend_schema(
        parameters=[STATUS_FILTER], request=None, responses=PendingItemSerializer(many=True)
    )
    @action(detail=True, methods=["get"], url_path="pending-items")
    def pending_items(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        pending = selectors.circuit_pending_items_list(
            circuit=circuit,
            status=_status_param(request, PendingItemStatus.values, PendingItemStatus.PENDING),
        )
        return self.paginated(pending, PendingItemSerializer)

    @extend_schema(request=None, responses=OperationSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"pending-items/(?P<pending_item_id>[^/]+)/approve",
        url_name="pending-item-approve",
    )
    def pending_item_approve(self, request: Request, circuit_id: str, pending_item_id: str):
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        pending = selectors.circuit_pending_item_get(
            circuit=circuit, pending_item_id=pending_item_id
        )
        operation = services.pending_item_approve(pending_item=pending, approver=request.user)
        return Response(OperationSerializer(operation).data)

    @extend_schema(request=DecisionSerializer, responses=OperationSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"pending-items/(?P<pending_item_id>[^/]+)/reject",
        url_name="pending-item-reject",
    )
    def pending_item_reject(self, request: Request, circuit_id: str, pending_item_id: str):
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        pending = selectors.circuit_pending_item_get(
            circuit=circuit, pending_item_id=pending_item_id
        )
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        operation = services.pending_item_reject(
            pending_item=pending, approver=request.user, reason=body.validated_data["reason"]
        )
        return Response(OperationSerializer(operation).data)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=OperationStatus.values, required=False)],
        request=None,
        responses=OperationSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def operations(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit()
        operations = selectors.circuit_operations_list(
            circuit=circuit, status=_status_param(request, OperationStatus.values)
        )
        return self.paginated(operations, OperationSerializer)

    @extend_schema(request=None, responses=OperationSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"operations/(?P<operation_id>[^/]+)",
        url_name="operation",
    )
    def operation(self, request: Request, circuit_id: str, operation_id: str) -> Response:
        operation = selectors.circuit_operation_get(
            circuit=self.circuit(), operation_id=operation_id
        )
        return Response(OperationSerializer(operation).data)

    @extend_schema(request=None, responses=OperationSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"operations/(?P<operation_id>[^/]+)/approve",
        url_name="operation-approve",
    )
    def operation_approve(self, request: Request, circuit_id: str, operation_id: str):
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        operation = selectors.circuit_operation_get(circuit=circuit, operation_id=operation_id)
        operation = services.operation_approve(operation=operation, approver=request.user)
        return Response(OperationSerializer(operation).data)

    @extend_schema(request=DecisionSerializer, responses=OperationSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"operations/(?P<operation_id>[^/]+)/reject",
        url_name="operation-reject",
    )
    def operation_reject(self, request: Request, circuit_id: str, operation_id: str):
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        operation = selectors.circuit_operation_get(circuit=circuit, operation_id=operation_id)
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        operation = services.operation_reject(
            operation=operation, approver=request.user, reason=body.validated_data["reason"]
        )
        return Response(OperationSerializer(operation).data)

    # --- contents -------------------------------------------------------------------------------

    @extend_schema(request=None, responses=CircuitItemSerializer(many=True))
    @action(detail=True, methods=["get"])
    def items(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit()
        page = self.paginate_queryset(
            selectors.circuit_items_list(circuit=circuit, viewer=request.user)
        )
        return self.get_paginated_response(
            CircuitItemSerializer(page, many=True, context={"viewer": request.user}).data
        )

    @extend_schema(request=None, responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"])
    def activities(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit()
        return self.paginated(
            selectors.circuit_activities_list(circuit=circuit), ActivitySerializer
        )

    # --- settings -------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None, responses=CircuitAdapterSerializer)
    @extend_schema(
        methods=["PUT"], request=CircuitAdapterInputSerializer, responses=CircuitAdapterSerializer
    )
    @action(detail=True, methods=["get", "put"])
    def adapter(self, request: Request, circuit_id: str) -> Response:
        if request.method == "GET":
            circuit = self.circuit()
        else:
            circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
            body = CircuitAdapterInputSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            circuit = services.circuit_set_adapter(
                circuit=circuit, actor=request.user, **body.validated_data
            )
        config = circuit.adapter_config or {}
        return Response(
            CircuitAdapterSerializer(
                {
                    "adapter_type": config.get("adapter_type"),
                    "sponsor_adapter_access": bool(config.get("sponsor_adapter_access")),
                    "configured_by": config.get("configured_by"),
                    "configured_at_ts": config.get("configured_at_ts"),
                }
            ).data
        )

    @extend_schema(methods=["GET"], request=None, responses=OpenApiTypes.OBJECT)
    @extend_schema(
        methods=["PUT"], request=PublicSettingsInputSerializer, responses=OpenApiTypes.OBJECT
    )
    @action(detail=True, methods=["get", "put"], url_path="public-settings")
    def public_settings(self, request: Request, circuit_id: str) -> Response:
        if request.method == "GET":
            circuit = self.circuit()
        else:
            circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
            body = PublicSettingsInputSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            circuit = services.circuit_set_public_settings(
                circuit=circuit, actor=request.user, public_settings=body.validated_data
            )
        # The stored settings without the password hash (``has_password`` instead).
        return Response(public_settings_for_display(circuit.public_settings) or {})
