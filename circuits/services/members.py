"""Members, custom roles and join requests of a circuit."""

from collections.abc import Iterable

from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from rest_framework import exceptions

from accounts.models import User
from accounts.services.notifications import (
    NotificationType,
    notification_create,
    notifications_create_many,
)
from circuits.models import (
    Circuit,
    CircuitCustomRole,
    CircuitJoinRequest,
    CircuitMember,
    CircuitStatus,
    JoinRequestStatus,
)
from circuits.permissions import (
    ALL_PERMISSIONS,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    member_permissions,
)
from circuits.services.activity import ActivityType, records_circuit_activity
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now

ASSIGNABLE_ROLES = (Role.ADMIN, Role.MEMBER, Role.VIEWER)


def role_permissions(*, circuit: Circuit, role: str) -> list[str]:
    """The permissions a role grants: a built-in role (not Owner) or one of the circuit's
    custom roles. 400 for any other name."""
    if role in ASSIGNABLE_ROLES:
        return list(ROLE_PERMISSIONS[role])
    if role == Role.OWNER:
        raise exceptions.ValidationError({"role": ["A circuit has exactly one Owner."]})
    custom = CircuitCustomRole.objects.filter(circuit=circuit, role_name=role).first()
    if custom is None:
        raise exceptions.ValidationError(
            {
                "role": [
                    f"Unknown role '{role}': use Admin, Member, Viewer or a custom role "
                    "of this circuit."
                ]
            }
        )
    return list(custom.permissions)


def _check_grant(*, circuit: Circuit, actor: User | None, permissions: Iterable[str]) -> None:
    """Nobody grants a permission they do not hold (the owner and staff hold them all)."""
    if actor is None or actor.is_admin or circuit.owner_id == actor.pk:
        return
    held = member_permissions(
        circuit=circuit,
        user=actor,
        membership=CircuitMember.objects.filter(circuit=circuit, member=actor).first(),
    )
    beyond = sorted(set(permissions) - held)
    if beyond:
        raise exceptions.PermissionDenied(
            f"You cannot grant permissions you do not hold: {', '.join(beyond)}."
        )


def _check_control(
    *, circuit: Circuit, actor: User | None, permissions: Iterable[str], target: str
) -> None:
    """Nobody changes, demotes or removes a member or custom role holding a permission they
    do not hold themselves (the owner and staff hold them all)."""
    if actor is None or actor.is_admin or circuit.owner_id == actor.pk:
        return
    held = member_permissions(
        circuit=circuit,
        user=actor,
        membership=CircuitMember.objects.filter(circuit=circuit, member=actor).first(),
    )
    beyond = sorted(set(permissions) - held)
    if beyond:
        raise exceptions.PermissionDenied(
            f"{target} holds permissions you do not hold: {', '.join(beyond)}."
        )


def circuit_managers(*, circuit: Circuit) -> list[str]:
    """User ids of the members who may approve (ManageMembers), the owner included."""
    managers = {circuit.owner_id}
    for member_id, permissions in CircuitMember.objects.filter(circuit=circuit).values_list(
        "member_id", "permissions"
    ):
        if Permission.MANAGE_MEMBERS in (permissions or []):
            managers.add(member_id)
    return sorted(managers)


def _membership_create(*, circuit: Circuit, member: User, role: str) -> CircuitMember:
    permissions = role_permissions(circuit=circuit, role=role)
    try:
        with transaction.atomic():
            return CircuitMember.objects.create(
                circuit=circuit, member=member, role=role, permissions=permissions
            )
    except IntegrityError as error:
        raise Conflict(
            f"{member.username} is already a member of this circuit.", code="already_member"
        ) from error


@transaction.atomic
def member_add(*, circuit: Circuit, actor: User | None, member: User, role: str) -> CircuitMember:
    """Add ``member`` with ``role`` (Admin, Member, Viewer or a custom role); 409 when they
    already belong to the circuit."""
    if CircuitMember.objects.filter(circuit=circuit, member=member).exists():
        raise Conflict(
            f"{member.username} is already a member of this circuit.", code="already_member"
        )
    _check_grant(
        circuit=circuit, actor=actor, permissions=role_permissions(circuit=circuit, role=role)
    )
    membership = _membership_create(circuit=circuit, member=member, role=role)
    notification_create(
        user=member,
        notification_type=NotificationType.MEMBER_ADDED,
        title=f"Added to {circuit.name}",
        message=f"You are now a {role} of the circuit {circuit.name}.",
        data={"circuit_id": str(circuit.pk), "role": role},
    )
    return membership


def _membership_of(*, circuit: Circuit, member_id: str) -> CircuitMember:
    membership = (
        CircuitMember.objects.select_for_update()
        .filter(circuit=circuit, member_id=member_id)
        .first()
    )
    if membership is None:
        raise exceptions.NotFound("This user is not a member of the circuit.")
    return membership


@transaction.atomic
def member_update(
    *,
    circuit: Circuit,
    actor: User | None,
    member_id: str,
    role: str | None = None,
    custom_role_name: str | None = None,
) -> CircuitMember:
    """Give a member another role; a custom role replaces their permissions with its own.
    The owner's membership does not change."""
    new_role = custom_role_name or role
    if not new_role:
        raise exceptions.ValidationError({"role": ["Give a role or a custom_role_name."]})
    if (
        custom_role_name
        and not CircuitCustomRole.objects.filter(
            circuit=circuit, role_name=custom_role_name
        ).exists()
    ):
        raise exceptions.ValidationError(
            {"custom_role_name": [f"The circuit has no custom role '{custom_role_name}'."]}
        )
    membership = _membership_of(circuit=circuit, member_id=member_id)
    if membership.member_id == circuit.owner_id:
        raise Conflict("The owner's role cannot change.", code="owner_membership")
    _check_control(
        circuit=circuit, actor=actor, permissions=membership.permissions or [], target="This member"
    )
    permissions = role_permissions(circuit=circuit, role=new_role)
    _check_grant(circuit=circuit, actor=actor, permissions=permissions)
    membership.role = new_role
    membership.permissions = permissions
    membership.save(update_fields=["role", "permissions"])
    notification_create(
        user=membership.member_id,
        notification_type=NotificationType.ROLE_CHANGED,
        title=f"Your role in {circuit.name} changed",
        message=f"You are now a {new_role} of the circuit {circuit.name}.",
        data={"circuit_id": str(circuit.pk), "role": new_role},
    )
    return membership


@transaction.atomic
def member_remove(*, circuit: Circuit, actor: User | None, member_id: str) -> None:
    """Remove a member (the owner cannot be removed)."""
    membership = _membership_of(circuit=circuit, member_id=member_id)
    if membership.member_id == circuit.owner_id:
        raise Conflict("The owner cannot be removed from the circuit.", code="owner_membership")
    if actor is None or actor.pk != member_id:  # leaving needs no permission
        _check_control(
            circuit=circuit,
            actor=actor,
            permissions=membership.permissions or [],
            target="This member",
        )
    membership.delete()
    if actor is None or actor.pk != member_id:
        notification_create(
            user=member_id,
            notification_type=NotificationType.MEMBER_REMOVED,
            title=f"Removed from {circuit.name}",
            message=f"You are no longer a member of the circuit {circuit.name}.",
            data={"circuit_id": str(circuit.pk)},
        )


# --- custom roles -------------------------------------------------------------------------------


def _permissions_clean(permissions: Iterable[str] | None) -> list[str]:
    if permissions is None:
        raise exceptions.ValidationError({"permissions": ["Required."]})
    values = list(dict.fromkeys(permissions))
    unknown = [value for value in values if value not in ALL_PERMISSIONS]
    if unknown:
        raise exceptions.ValidationError(
            {
                "permissions": [
                    f"Unknown permissions: {', '.join(unknown)} "
                    f"(known: {', '.join(ALL_PERMISSIONS)})."
                ]
            }
        )
    return [permission for permission in ALL_PERMISSIONS if permission in values]


def _role_name_clean(role_name: str | None) -> str:
    name = (role_name or "").strip()
    if not name:
        raise exceptions.ValidationError({"role_name": ["Required."]})
    if name in ROLE_PERMISSIONS:
        raise exceptions.ValidationError(
            {"role_name": [f"'{name}' is a built-in role; choose another name."]}
        )
    return name


@transaction.atomic
def role_create(
    *,
    circuit: Circuit,
    actor: User | None,
    role_name: str,
    permissions: Iterable[str],
    description: str = "",
    color: str | None = None,
) -> CircuitCustomRole:
    name = _role_name_clean(role_name)
    cleaned = _permissions_clean(permissions)
    _check_grant(circuit=circuit, actor=actor, permissions=cleaned)
    if CircuitCustomRole.objects.filter(circuit=circuit, role_name=name).exists():
        raise Conflict(f"The circuit already has a role '{name}'.", code="role_exists")
    try:
        with transaction.atomic():
            return CircuitCustomRole.objects.create(
                circuit=circuit,
                role_name=name,
                permissions=cleaned,
                description=description or "",
                color=color,
                created_by=actor.pk if actor is not None else None,
            )
    except IntegrityError as error:
        raise Conflict(f"The circuit already has a role '{name}'.", code="role_exists") from error


@transaction.atomic
def role_update(
    *,
    circuit: Circuit,
    actor: User | None,
    role: CircuitCustomRole,
    permissions: Iterable[str] | None = None,
    role_name: str | None = None,
    description: str | None = None,
    color: str | None = None,
) -> CircuitCustomRole:
    """Change a custom role's permissions, name, description or colour (what is not given
    stays); every member holding it follows."""
    role = CircuitCustomRole.objects.select_for_update().get(pk=role.pk)
    _check_control(
        circuit=circuit, actor=actor, permissions=role.permissions or [], target="This role"
    )
    old_name = role.role_name
    if permissions is not None:
        role.permissions = _permissions_clean(permissions)
        _check_grant(circuit=circuit, actor=actor, permissions=role.permissions)
    if role_name is not None and role_name != old_name:
        role.role_name = _role_name_clean(role_name)
        if CircuitCustomRole.objects.filter(circuit=circuit, role_name=role.role_name).exists():
            raise Conflict(
                f"The circuit already has a role '{role.role_name}'.", code="role_exists"
            )
    if description is not None:
        role.description = description
    if color is not None:
        role.color = color
    role.save(update_fields=["role_name", "permissions", "description", "color"])
    CircuitMember.objects.filter(circuit=circuit, role=old_name).update(
        role=role.role_name, permissions=role.permissions
    )
    return role


@transaction.atomic
def role_delete(*, circuit: Circuit, actor: User | None, role: CircuitCustomRole) -> None:
    """Delete a custom role; 409 ``role_in_use`` while a member holds it."""
    _check_control(
        circuit=circuit, actor=actor, permissions=role.permissions or [], target="This role"
    )
    holders = CircuitMember.objects.filter(circuit=circuit, role=role.role_name).count()
    if holders:
        raise Conflict(
            f"{holders} member(s) hold the role '{role.role_name}'; give them another role first.",
            code="role_in_use",
            details={"members": holders},
        )
    role.delete()


# --- join requests ------------------------------------------------------------------------------


@transaction.atomic
def join_request_create(
    *, circuit: Circuit, requester: User, message: str = ""
) -> CircuitJoinRequest:
    """A non-member asks to join an active circuit; one pending request per user (409)."""
    if circuit.status != CircuitStatus.ACTIVE:
        raise Conflict(
            f"The circuit is {circuit.status} and accepts no new members.",
            code="circuit_inactive",
        )
    if (
        circuit.owner_id == requester.pk
        or CircuitMember.objects.filter(circuit=circuit, member=requester).exists()
    ):
        raise Conflict("You are already a member of this circuit.", code="already_member")
    duplicate = Conflict(
        "You already have a pending request to join this circuit.",
        code="join_request_pending",
    )
    if CircuitJoinRequest.objects.filter(
        circuit=circuit, requester=requester, status=JoinRequestStatus.PENDING
    ).exists():
        raise duplicate
    try:
        with transaction.atomic():
            join_request = CircuitJoinRequest.objects.create(
                circuit=circuit, requester=requester, message=message or ""
            )
    except IntegrityError as error:
        raise duplicate from error
    notifications_create_many(
        users=circuit_managers(circuit=circuit),
        notification_type=NotificationType.JOIN_REQUEST_RECEIVED,
        title=f"Join request for {circuit.name}",
        message=f"{requester.username} asks to join the circuit {circuit.name}.",
        data={"circuit_id": str(circuit.pk), "requester_id": requester.pk},
    )
    return join_request


def _join_request_lock(join_request: CircuitJoinRequest) -> CircuitJoinRequest:
    locked = (
        CircuitJoinRequest.objects.select_for_update(of=("self",))
        .select_related("circuit", "requester")
        .get(pk=join_request.pk)
    )
    if locked.status != JoinRequestStatus.PENDING:
        raise Conflict(
            f"This join request is already {locked.status}.", code="join_request_decided"
        )
    return locked


@records_circuit_activity(ActivityType.APPROVE, "join_request_approve", actor="approver")
@transaction.atomic
def join_request_approve(
    *, join_request: CircuitJoinRequest, approver: User, role: str = Role.MEMBER
) -> CircuitMember:
    """Approve a pending request: the requester becomes a member with ``role``'s permissions."""
    join_request = _join_request_lock(join_request)
    circuit = join_request.circuit
    permissions = role_permissions(circuit=circuit, role=role)
    _check_grant(circuit=circuit, actor=approver, permissions=permissions)
    membership = _membership_create(circuit=circuit, member=join_request.requester, role=role)
    join_request.status = JoinRequestStatus.APPROVED
    join_request.granted_role = role
    join_request.decided_by = approver
    join_request.decided_at_ts = unix_now()
    join_request.save(update_fields=["status", "granted_role", "decided_by", "decided_at_ts"])
    notification_create(
        user=join_request.requester,
        notification_type=NotificationType.JOIN_REQUEST_APPROVED,
        title=f"Welcome to {circuit.name}",
        message=f"Your request to join {circuit.name} was approved; you are a {role}.",
        data={"circuit_id": str(circuit.pk), "role": role},
    )
    return membership


@records_circuit_activity(ActivityType.REJECT, "join_request_reject", actor="approver")
@transaction.atomic
def join_request_reject(*, join_request: CircuitJoinRequest, approver: User) -> CircuitJoinRequest:
    join_request = _join_request_lock(join_request)
    join_request.status = JoinRequestStatus.REJECTED
    join_request.decided_by = approver
    join_request.decided_at_ts = unix_now()
    join_request.save(update_fields=["status", "decided_by", "decided_at_ts"])
    notification_create(
        user=join_request.requester,
        notification_type=NotificationType.JOIN_REQUEST_REJECTED,
        title=f"Join request for {join_request.circuit.name} declined",
        message=f"Your request to join {join_request.circuit.name} was declined.",
        data={"circuit_id": str(join_request.circuit_id)},
    )
    return join_request


@transaction.atomic
def circuit_join_public(
    *, circuit: Circuit, user: User, password: str | None = None, message: str = ""
) -> CircuitMember | CircuitJoinRequest:
    """Join a circuit from its public page: it must have enabled public settings (404
    otherwise); a protected one needs its password (403 when wrong or missing). With
    ``auto_approve_members`` the user becomes a Member at once; otherwise a join request
    waits for a manager."""
    settings = circuit.public_settings or {}
    if not settings or not settings.get("enabled", True):
        raise exceptions.NotFound("Circuit not found or not public.")
    if settings.get("access_mode") == "protected" and not check_password(
        password or "", settings.get("password_hash") or ""
    ):
        raise exceptions.PermissionDenied("The circuit password is missing or wrong.")
    if not settings.get("auto_approve_members"):
        return join_request_create(circuit=circuit, requester=user, message=message)
    if circuit.status != CircuitStatus.ACTIVE:
        raise Conflict(
            f"The circuit is {circuit.status} and accepts no new members.",
            code="circuit_inactive",
        )
    if circuit.owner_id == user.pk:
        raise Conflict("You are already a member of this circuit.", code="already_member")
    return member_add(circuit=circuit, actor=None, member=user, role=Role.MEMBER)
