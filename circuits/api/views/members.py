"""Members, custom roles and join requests of a circuit, in the earlier engine's shapes."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from circuits import selectors, services
from circuits.api.serializers.circuits import (
    CircuitSerializer,
    CustomRoleSerializer,
    MessageEnvelopeSerializer,
    PendingJoinRequestSerializer,
)
from circuits.api.serializers.members import (
    CustomRoleCreateSerializer,
    CustomRoleUpdateSerializer,
    JoinRequestApproveSerializer,
    JoinRequestCreateSerializer,
    JoinRequestRejectSerializer,
    MemberAddSerializer,
    MemberRoleAssignSerializer,
)
from circuits.api.views.base import CircuitScopedViewSet
from circuits.api.views.circuits import circuit_response, circuit_response_for_requester
from circuits.permissions import Permission
from defarm.api.envelopes import success_with


class MemberViewSet(CircuitScopedViewSet):
    """``/api/circuits/{id}/members``: add a member, give one a role, remove one."""

    @extend_schema(
        summary="Add a member",
        description="Needs Invite; nobody grants permissions they do not hold. `member_id` "
        "is a user id (a username is accepted too).",
        request=MemberAddSerializer,
        responses=CircuitSerializer,
        examples=[
            OpenApiExample(
                "A member", request_only=True, value={"member_id": "user-1f2e", "role": "Member"}
            )
        ],
    )
    def create(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.INVITE)
        body = self.body(MemberAddSerializer)
        member = (
            get_user_model()
            .objects.filter(Q(pk=body["member_id"]) | Q(username=body["member_id"]))
            .order_by("pk")
            .first()
        )
        if member is None:
            raise exceptions.ValidationError({"member_id": ["No user has this id."]})
        services.member_add(circuit=circuit, actor=request.user, member=member, role=body["role"])
        return Response(circuit_response(circuit))

    @extend_schema(
        summary="Give a member another role",
        description="`custom_role_name` (one of the circuit's custom roles) wins over `role`. "
        "Needs ManageMembers.",
        request=MemberRoleAssignSerializer,
        responses=CircuitSerializer,
        examples=[OpenApiExample("Viewer", request_only=True, value={"role": "Viewer"})],
    )
    def partial_update(self, request: Request, circuit_id: str, member_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        body = self.body(MemberRoleAssignSerializer)
        services.member_update(circuit=circuit, actor=request.user, member_id=member_id, **body)
        return Response(circuit_response(circuit))

    @extend_schema(
        summary="Remove a member (or leave)",
        description="DeFarm's addition: a member may leave without a permission; removing "
        "someone else needs ManageMembers. The owner stays.",
        request=None,
        responses={204: None},
    )
    def destroy(self, request: Request, circuit_id: str, member_id: str) -> Response:
        leaving = member_id == request.user.pk
        circuit = self.circuit(None if leaving else Permission.MANAGE_MEMBERS)
        services.member_remove(circuit=circuit, actor=request.user, member_id=member_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleViewSet(CircuitScopedViewSet):
    """``/api/circuits/{id}/roles``: the circuit's custom roles."""

    @extend_schema(summary="Custom roles of a circuit", responses=CustomRoleSerializer(many=True))
    def list(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit()
        return self.bare_list(selectors.circuit_roles_list(circuit=circuit), CustomRoleSerializer)

    @extend_schema(
        summary="Create a custom role",
        description="Needs ManageRoles; a role holds only permissions its creator holds.",
        request=CustomRoleCreateSerializer,
        responses=CustomRoleSerializer,
        examples=[
            OpenApiExample(
                "Inspector",
                request_only=True,
                value={
                    "role_name": "Inspector",
                    "permissions": ["pull", "certify"],
                    "description": "Certifies lots",
                    "color": "#2a9d8f",
                },
            )
        ],
    )
    def create(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_ROLES)
        body = self.body(CustomRoleCreateSerializer)
        role = services.role_create(circuit=circuit, actor=request.user, **body)
        return Response(CustomRoleSerializer(role).data)

    @extend_schema(
        summary="Change a custom role",
        description="Fields not sent keep their value; members holding the role follow. "
        "Needs ManageRoles.",
        request=CustomRoleUpdateSerializer,
        responses=CustomRoleSerializer,
        examples=[OpenApiExample("Pull only", request_only=True, value={"permissions": ["Pull"]})],
    )
    def update(self, request: Request, circuit_id: str, role_name: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_ROLES)
        role = selectors.circuit_role_get(circuit=circuit, role_name=role_name)
        body = self.body(CustomRoleUpdateSerializer)
        role = services.role_update(circuit=circuit, actor=request.user, role=role, **body)
        return Response(CustomRoleSerializer(role).data)

    @extend_schema(
        summary="Delete a custom role",
        description="409 while a member holds it. Needs ManageRoles.",
        request=None,
        responses=MessageEnvelopeSerializer,
    )
    def destroy(self, request: Request, circuit_id: str, role_name: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_ROLES)
        role = selectors.circuit_role_get(circuit=circuit, role_name=role_name)
        services.role_delete(circuit=circuit, actor=request.user, role=role)
        return success_with(message=f"Custom role '{role.role_name}' deleted successfully")


class JoinRequestViewSet(CircuitScopedViewSet):
    """``/api/circuits/{id}/requests``: ask to join; managers list, approve and reject."""

    @extend_schema(
        summary="Ask to join a circuit",
        description="Any signed-in user may ask to join an active circuit; the managers are "
        "notified. The answer is the circuit as the requester may see it (members, roles and "
        "others' requests left out unless they may read the circuit).",
        request=JoinRequestCreateSerializer,
        responses=CircuitSerializer,
        examples=[OpenApiExample("Join", request_only=True, value={"message": "We sell calves"})],
    )
    def create(self, request: Request, circuit_id: str) -> Response:
        # Asking to join is what a non-member does: any existing circuit id may be asked.
        circuit = selectors.circuit_for_join_request(circuit_id=circuit_id)
        body = self.body(JoinRequestCreateSerializer)
        services.join_request_create(
            circuit=circuit, requester=request.user, message=body.get("message") or ""
        )
        return Response(circuit_response_for_requester(circuit, request.user))

    @extend_schema(
        summary="Pending join requests",
        description="Needs ManageMembers.",
        responses=PendingJoinRequestSerializer(many=True),
    )
    def pending(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        return self.bare_list(
            selectors.circuit_join_requests_list(circuit=circuit), PendingJoinRequestSerializer
        )

    @extend_schema(
        summary="Approve a join request",
        description="The requester (user id or username) becomes a member with `role` "
        "(default Member). Needs ManageMembers; `admin_id`, when sent, must name the caller.",
        request=JoinRequestApproveSerializer,
        responses=CircuitSerializer,
        examples=[OpenApiExample("As member", request_only=True, value={"role": "Member"})],
    )
    def approve(self, request: Request, circuit_id: str, requester_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        join_request = selectors.circuit_join_request_pending_get(
            circuit=circuit, requester_id=requester_id
        )
        body = self.body(JoinRequestApproveSerializer)
        services.join_request_approve(
            join_request=join_request, approver=request.user, role=body["role"]
        )
        return Response(circuit_response(circuit))

    @extend_schema(
        summary="Reject a join request",
        description="Needs ManageMembers; `admin_id`, when sent, must name the caller.",
        request=JoinRequestRejectSerializer,
        responses=CircuitSerializer,
    )
    def reject(self, request: Request, circuit_id: str, requester_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_MEMBERS)
        join_request = selectors.circuit_join_request_pending_get(
            circuit=circuit, requester_id=requester_id
        )
        self.body(JoinRequestRejectSerializer)
        services.join_request_reject(join_request=join_request, approver=request.user)
        return Response(circuit_response(circuit))
