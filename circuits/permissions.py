"""Who may do what in a circuit. Every circuit endpoint resolves its circuit through
``circuit_get_for_member`` with the permission it needs, from the authenticated caller.

- Non-members get 404 (the circuit does not exist for them); members lacking the permission
  get 403 naming it.
- Staff (``is_admin``) see every circuit read-only: they pass when no permission is asked.
- Circuits with ``permissions.allow_public_visibility`` can be read (detail only) by anyone
  signed in, when the caller asks with ``allow_public=True``.
- The circuits of the other members of a workspace that shares with its members
  (``accounts.selectors.workspace_sharers``) are seen read-only, as staff see every circuit.
- The circuit owner holds every permission, whatever its member row says; every permission
  in ``ROLE_PERMISSIONS`` and custom roles is one of the nine ``Permission`` values.
"""

import uuid
from enum import StrEnum

from rest_framework import exceptions

from accounts.models import User
from accounts.selectors import workspace_sharers
from circuits.models import Circuit, CircuitMember


class Permission(StrEnum):
    PUSH = "Push"
    PULL = "Pull"
    INVITE = "Invite"
    MANAGE_MEMBERS = "ManageMembers"
    MANAGE_PERMISSIONS = "ManagePermissions"
    MANAGE_ROLES = "ManageRoles"
    DELETE = "Delete"
    CERTIFY = "Certify"
    AUDIT = "Audit"


ALL_PERMISSIONS: tuple[str, ...] = tuple(permission.value for permission in Permission)


class Role(StrEnum):
    OWNER = "Owner"
    ADMIN = "Admin"
    MEMBER = "Member"
    VIEWER = "Viewer"


ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.OWNER: ALL_PERMISSIONS,
    Role.ADMIN: (
        Permission.PUSH,
        Permission.PULL,
        Permission.INVITE,
        Permission.MANAGE_MEMBERS,
        Permission.MANAGE_ROLES,
        Permission.CERTIFY,
    ),
    Role.MEMBER: (Permission.PUSH, Permission.PULL),
    Role.VIEWER: (Permission.PULL,),
}


def circuit_is_publicly_listed(circuit: Circuit) -> bool:
    return bool((circuit.permissions or {}).get("allow_public_visibility"))


def circuit_is_workspace_shared_with(*, circuit: Circuit, user: User) -> bool:
    """Whether ``circuit``'s owner shares it with ``user`` through a workspace."""
    return (
        circuit.owner_id is not None
        and workspace_sharers(user=user).filter(user_id=circuit.owner_id).exists()
    )


def member_permissions(
    *, circuit: Circuit, user: User, membership: CircuitMember | None
) -> set[str]:
    """The owner holds every permission; other members hold their row's list."""
    if circuit.owner_id == user.pk:
        return set(ALL_PERMISSIONS)
    if membership is None:
        return set()
    return set(membership.permissions or [])


def circuit_membership(*, circuit: Circuit, user: User) -> CircuitMember | None:
    return CircuitMember.objects.filter(circuit=circuit, member=user).first()


def circuit_get_for_member(
    *,
    user: User,
    circuit_id,
    permission: str | None = None,
    allow_public: bool = False,
) -> Circuit:
    """The circuit ``circuit_id`` if ``user`` may act on it with ``permission``.

    404 when the user may not see the circuit; 403 when they see it but lack ``permission``.
    The caller's membership and permissions are attached as ``caller_membership`` and
    ``caller_permissions``.
    """
    try:
        circuit_uuid = uuid.UUID(str(circuit_id))
    except ValueError:
        circuit_uuid = None
    circuit = Circuit.objects.filter(pk=circuit_uuid).first() if circuit_uuid else None
    if circuit is None:
        raise exceptions.NotFound("Circuit not found.")
    membership = circuit_membership(circuit=circuit, user=user)
    held = member_permissions(circuit=circuit, user=user, membership=membership)
    circuit.caller_membership = membership
    circuit.caller_permissions = held
    if not held and membership is None:
        visible = (
            user.is_admin
            or (allow_public and circuit_is_publicly_listed(circuit))
            or circuit_is_workspace_shared_with(circuit=circuit, user=user)
        )
        if not visible:
            raise exceptions.NotFound("Circuit not found.")
    if permission is not None and permission not in held:
        raise exceptions.PermissionDenied(f"This needs the {permission} permission in the circuit.")
    return circuit
