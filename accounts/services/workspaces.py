"""Workspaces (organisations) and their members.

Every user has a personal workspace whose id is their ``user_accounts.workspace_id`` (the
JWT's ``workspace_id``). It is created lazily by ``workspace_personal_ensure`` (and, for users
who existed before workspaces were persisted, by migration ``accounts.0011``). When two users
carry the same ``workspace_id``, the first to own it keeps it; the other gets no membership
from the collision and has no personal workspace until staff give them another id.

Owner and Admin members manage members; the one Owner cannot be removed or demoted, and no
one else becomes Owner. ``settings.max_members`` holds under concurrent additions (the
workspace row is locked while members are counted).
"""

import uuid
from typing import Any

from django.db import transaction
from rest_framework import exceptions

from accounts.models import (
    User,
    Workspace,
    WorkspaceMember,
    WorkspaceRole,
    workspace_default_settings,
)
from accounts.services.user_activity import (
    ActivityType,
    Category,
    ResourceType,
    user_activity_record,
)
from defarm.api.exceptions import ApiError, Conflict
from defarm.timeutils import unix_now

MANAGER_ROLES = (WorkspaceRole.OWNER, WorkspaceRole.ADMIN)


def workspace_personal_ensure(*, user: User) -> Workspace | None:
    """The user's personal workspace, created (with the user as Owner) when missing. A user
    without a ``workspace_id`` gets ``<username>-workspace`` (or a UUID when that is taken).
    None when the user's ``workspace_id`` belongs to another user's workspace."""
    if user.workspace_id:
        workspace = Workspace.objects.filter(pk=user.workspace_id).first()
        if workspace is not None and workspace.owner_id != user.pk:
            return None
        if workspace is not None:
            return workspace
    with transaction.atomic():
        if not user.workspace_id:
            candidate = f"{user.username}-workspace"
            if Workspace.objects.filter(pk=candidate).exists():
                candidate = str(uuid.uuid4())
            User.objects.filter(pk=user.pk, workspace_id__isnull=True).update(
                workspace_id=candidate
            )
            user.workspace_id = User.objects.values_list("workspace_id", flat=True).get(pk=user.pk)
        now = unix_now()
        workspace, _ = Workspace.objects.get_or_create(
            workspace_id=user.workspace_id,
            defaults={
                "name": user.username,
                "owner": user,
                "created_at_ts": now,
                "updated_at_ts": now,
            },
        )
        if workspace.owner_id != user.pk:
            return None
        WorkspaceMember.objects.get_or_create(
            workspace=workspace,
            user=user,
            defaults={"role": WorkspaceRole.OWNER, "joined_at_ts": workspace.created_at_ts},
        )
    return workspace


def _settings_merged(current: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    merged = {**workspace_default_settings(), **(current or {})}
    merged.update(changes or {})
    return merged


def _activity(
    *, actor: User, workspace: Workspace, activity_type: str, action: str, metadata=None
) -> None:
    user_activity_record(
        user=actor,
        workspace_id=workspace.pk,
        activity_type=activity_type,
        category=Category.WORKSPACES,
        resource_type=ResourceType.WORKSPACE,
        resource_id=workspace.pk,
        action=f"workspace_{action}",
        description=f"Workspace {workspace.name}: {action.replace('_', ' ')}",
        metadata=metadata,
    )


@transaction.atomic
def workspace_create(
    *, owner: User, name: str, description: str = "", settings: dict[str, Any] | None = None
) -> Workspace:
    """A new organisation (UUID id) with ``owner`` as its Owner member."""
    now = unix_now()
    workspace = Workspace.objects.create(
        workspace_id=str(uuid.uuid4()),
        name=name,
        description=description,
        owner=owner,
        settings=_settings_merged({}, settings),
        created_at_ts=now,
        updated_at_ts=now,
    )
    WorkspaceMember.objects.create(
        workspace=workspace, user=owner, role=WorkspaceRole.OWNER, joined_at_ts=now
    )
    _activity(actor=owner, workspace=workspace, activity_type=ActivityType.CREATE, action="create")
    return workspace


def workspace_role(*, workspace: Workspace, user: User) -> str | None:
    return (
        WorkspaceMember.objects.filter(workspace=workspace, user=user)
        .values_list("role", flat=True)
        .first()
    )


def _require_manager(*, workspace: Workspace, actor: User) -> None:
    if actor.is_admin:
        return
    if workspace_role(workspace=workspace, user=actor) not in MANAGER_ROLES:
        raise exceptions.PermissionDenied("Only the workspace's Owner or an Admin may do this.")


@transaction.atomic
def workspace_update(
    *,
    workspace: Workspace,
    actor: User,
    name: str | None = None,
    description: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Workspace:
    """Owner/Admin (or staff) change the name, description or settings (merged key by key)."""
    _require_manager(workspace=workspace, actor=actor)
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    if name is not None:
        workspace.name = name
    if description is not None:
        workspace.description = description
    if settings is not None:
        workspace.settings = _settings_merged(workspace.settings, settings)
    workspace.updated_at_ts = unix_now()
    workspace.save(update_fields=["name", "description", "settings", "updated_at_ts"])
    _activity(actor=actor, workspace=workspace, activity_type=ActivityType.UPDATE, action="update")
    return workspace


@transaction.atomic
def workspace_delete(*, workspace: Workspace, actor: User) -> None:
    """The Owner (or staff) deletes an organisation with its memberships. A personal workspace
    (some user's ``workspace_id``) stays."""
    if not actor.is_admin and workspace.owner_id != actor.pk:
        raise exceptions.PermissionDenied("Only the workspace's Owner may delete it.")
    if User.objects.filter(workspace_id=workspace.pk).exists():
        raise Conflict("A personal workspace cannot be deleted.", code="personal_workspace")
    _activity(actor=actor, workspace=workspace, activity_type=ActivityType.DELETE, action="delete")
    workspace.delete()


@transaction.atomic
def workspace_member_add(
    *, workspace: Workspace, actor: User, member: User, role: str
) -> WorkspaceMember:
    """Owner/Admin (or staff) add a user as Admin, Member or Viewer, within
    ``settings.max_members`` (the workspace row is locked while members are counted)."""
    _require_manager(workspace=workspace, actor=actor)
    if role == WorkspaceRole.OWNER:
        raise ApiError(
            "A workspace has one Owner; add members as Admin, Member or Viewer.",
            code="invalid_role",
        )
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    if WorkspaceMember.objects.filter(workspace=workspace, user=member).exists():
        raise Conflict("User is already a member", code="already_member")
    max_members = _settings_merged(workspace.settings, None)["max_members"]
    if WorkspaceMember.objects.filter(workspace=workspace).count() >= max_members:
        raise ApiError(
            f"The workspace has reached its maximum of {max_members} members.",
            code="max_members_reached",
            details={"max_members": max_members},
        )
    membership = WorkspaceMember.objects.create(
        workspace=workspace, user=member, role=role, joined_at_ts=unix_now()
    )
    _activity(
        actor=actor,
        workspace=workspace,
        activity_type=ActivityType.UPDATE,
        action="member_add",
        metadata={"user_id": member.pk, "role": role},
    )
    return membership


@transaction.atomic
def workspace_member_role_change(
    *, workspace: Workspace, actor: User, membership: WorkspaceMember, role: str
) -> WorkspaceMember:
    """Owner/Admin (or staff) change a member's role; the Owner keeps theirs and no one else
    becomes Owner."""
    _require_manager(workspace=workspace, actor=actor)
    if membership.role == WorkspaceRole.OWNER:
        raise Conflict("The workspace's Owner cannot be demoted.", code="owner_role_fixed")
    if role == WorkspaceRole.OWNER:
        raise ApiError("A workspace has one Owner.", code="invalid_role")
    membership.role = role
    membership.save(update_fields=["role"])
    _activity(
        actor=actor,
        workspace=workspace,
        activity_type=ActivityType.UPDATE,
        action="member_role_change",
        metadata={"user_id": membership.user_id, "role": role},
    )
    return membership


@transaction.atomic
def workspace_member_remove(
    *, workspace: Workspace, actor: User, membership: WorkspaceMember
) -> None:
    """Owner/Admin (or staff) remove a member, and a member may leave; never the Owner."""
    if membership.user_id != actor.pk:
        _require_manager(workspace=workspace, actor=actor)
    if membership.role == WorkspaceRole.OWNER:
        raise Conflict("The workspace's Owner cannot be removed.", code="owner_not_removable")
    _activity(
        actor=actor,
        workspace=workspace,
        activity_type=ActivityType.UPDATE,
        action="member_remove",
        metadata={"user_id": membership.user_id},
    )
    membership.delete()
