"""The earlier engine's workspace routes (CONTRACT.md §8.20), persisted and enforced: members
see their workspaces (404 otherwise), staff see all; Owner/Admin manage members."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors
from accounts.api.workspace_serializers import (
    WorkspaceCreateSerializer,
    WorkspaceMemberAddSerializer,
    WorkspaceMemberRoleSerializer,
    WorkspaceMemberSerializer,
    WorkspaceMessageSerializer,
    WorkspaceSerializer,
    WorkspaceStatsSerializer,
    WorkspaceUpdateSerializer,
)
from accounts.models import User, Workspace, WorkspaceMember
from accounts.services import workspaces as services
from defarm.api import envelopes

SETTINGS_EXAMPLE = {"max_members": 25, "default_event_visibility": "Private"}


class WorkspaceViewSet(viewsets.GenericViewSet):
    queryset = Workspace.objects.none()
    serializer_class = WorkspaceSerializer
    filter_backends = []
    request: Request

    def workspace(self) -> Workspace:
        """The workspace at the URL if the caller may see it (404 otherwise)."""
        workspace_id = self.kwargs["workspace_id"]
        if workspace_id == self.request.user.workspace_id:
            services.workspace_personal_ensure(user=self.request.user)
        workspace = (
            selectors.workspaces_visible_to(user=self.request.user).filter(pk=workspace_id).first()
        )
        if workspace is None:
            raise exceptions.NotFound("Workspace not found")
        return workspace

    def body(self, serializer_class) -> dict:
        serializer = serializer_class(
            data=self.request.data or {}, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def workspace_data(self, workspace: Workspace) -> dict:
        stats = selectors.workspace_stats(workspace_ids=[workspace.pk])
        return WorkspaceSerializer(workspace, context={"stats": stats}).data

    def workspace_list(self, workspaces) -> Response:
        page = self.paginate_queryset(workspaces)
        stats = selectors.workspace_stats(workspace_ids=[workspace.pk for workspace in page])
        data = WorkspaceSerializer(page, many=True, context={"stats": stats}).data
        return self.get_paginated_response(data)

    def fresh(self, workspace: Workspace) -> Workspace:
        return selectors.workspaces_visible_to(user=self.request.user).get(pk=workspace.pk)

    @extend_schema(
        summary="The caller's workspaces (every workspace for staff)",
        responses=WorkspaceSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        services.workspace_personal_ensure(user=request.user)
        return self.workspace_list(selectors.workspaces_visible_to(user=request.user))

    @extend_schema(
        summary="Create a workspace owned by the caller",
        request=WorkspaceCreateSerializer,
        responses=WorkspaceSerializer,
        examples=[
            OpenApiExample(
                "An association",
                request_only=True,
                value={
                    "name": "Valley Cattle Association",
                    "description": "Farms of the valley",
                    "settings": SETTINGS_EXAMPLE,
                },
            )
        ],
    )
    def create(self, request: Request) -> Response:
        body = self.body(WorkspaceCreateSerializer)
        workspace = services.workspace_create(
            owner=request.user,
            name=body["name"],
            description=body["description"],
            settings=body.get("settings"),
        )
        return Response(self.workspace_data(self.fresh(workspace)))

    @extend_schema(summary="One workspace (members and staff)", responses=WorkspaceSerializer)
    def retrieve(self, request: Request, workspace_id: str) -> Response:
        return Response(self.workspace_data(self.workspace()))

    @extend_schema(
        summary="Change a workspace's name, description or settings (Owner/Admin)",
        request=WorkspaceUpdateSerializer,
        responses=WorkspaceSerializer,
        examples=[
            OpenApiExample(
                "Rename", request_only=True, value={"name": "Valley Cattle", "settings": {}}
            )
        ],
    )
    def update(self, request: Request, workspace_id: str) -> Response:
        workspace = self.workspace()
        body = self.body(WorkspaceUpdateSerializer)
        services.workspace_update(workspace=workspace, actor=request.user, **body)
        return Response(self.workspace_data(self.fresh(workspace)))

    @extend_schema(summary="Delete a workspace (its Owner)", responses=WorkspaceMessageSerializer)
    def destroy(self, request: Request, workspace_id: str) -> Response:
        services.workspace_delete(workspace=self.workspace(), actor=request.user)
        return envelopes.message("Workspace deleted successfully")

    @extend_schema(summary="A workspace's members", responses=WorkspaceMemberSerializer(many=True))
    def members(self, request: Request, workspace_id: str) -> Response:
        workspace = self.workspace()
        page = self.paginate_queryset(
            WorkspaceMember.objects.filter(workspace=workspace).order_by("joined_at_ts", "id")
        )
        return self.get_paginated_response(WorkspaceMemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a member (Owner/Admin), within max_members",
        request=WorkspaceMemberAddSerializer,
        responses=WorkspaceSerializer,
        examples=[
            OpenApiExample(
                "A member", request_only=True, value={"user_id": "user-1f2e", "role": "Member"}
            )
        ],
    )
    def member_add(self, request: Request, workspace_id: str) -> Response:
        workspace = self.workspace()
        body = self.body(WorkspaceMemberAddSerializer)
        member = User.objects.filter(pk=body["user_id"]).first()
        if member is None:
            raise exceptions.NotFound("User not found")
        services.workspace_member_add(
            workspace=workspace, actor=request.user, member=member, role=body["role"]
        )
        return Response(self.workspace_data(self.fresh(workspace)))

    def membership(self, workspace: Workspace) -> WorkspaceMember:
        membership = WorkspaceMember.objects.filter(
            workspace=workspace, user_id=self.kwargs["user_id"]
        ).first()
        if membership is None:
            raise exceptions.NotFound("Member not found")
        return membership

    @extend_schema(
        summary="Change a member's role (Owner/Admin; the Owner keeps theirs)",
        request=WorkspaceMemberRoleSerializer,
        responses=WorkspaceMemberSerializer,
        examples=[OpenApiExample("Viewer", request_only=True, value={"role": "Viewer"})],
    )
    def member_update(self, request: Request, workspace_id: str, user_id: str) -> Response:
        workspace = self.workspace()
        membership = self.membership(workspace)
        body = self.body(WorkspaceMemberRoleSerializer)
        membership = services.workspace_member_role_change(
            workspace=workspace, actor=request.user, membership=membership, role=body["role"]
        )
        return Response(WorkspaceMemberSerializer(membership).data)

    @extend_schema(
        summary="Remove a member (Owner/Admin, or the member leaving; never the Owner)",
        responses=WorkspaceMessageSerializer,
    )
    def member_remove(self, request: Request, workspace_id: str, user_id: str) -> Response:
        workspace = self.workspace()
        services.workspace_member_remove(
            workspace=workspace, actor=request.user, membership=self.membership(workspace)
        )
        return envelopes.message("Member removed successfully")

    @extend_schema(summary="A workspace's counts", responses=WorkspaceStatsSerializer)
    def stats(self, request: Request, workspace_id: str) -> Response:
        workspace = self.workspace()
        return Response(selectors.workspace_stats(workspace_ids=[workspace.pk])[workspace.pk])

    @extend_schema(
        summary="The workspaces a user is a member of (the user themself or staff)",
        responses=WorkspaceSerializer(many=True),
    )
    def of_user(self, request: Request, user_id: str) -> Response:
        if user_id != request.user.pk and not request.user.is_admin:
            raise exceptions.PermissionDenied("Only the user themself or staff may list these.")
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise exceptions.NotFound("User not found")
        services.workspace_personal_ensure(user=user)
        return self.workspace_list(selectors.workspaces_of_member(user=user))
