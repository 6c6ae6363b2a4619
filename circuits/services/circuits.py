"""Creating and configuring circuits: settings, status, adapter choice, public settings."""

from typing import Any

from django.db import transaction
from rest_framework import exceptions

from accounts.models import User
from accounts.services.tiers import tier_check_adapter, tier_check_circuit_limit
from circuits import signals
from circuits.configs import (
    adapter_type_clean,
    alias_config_clean,
    circuit_permissions_clean,
    post_action_settings_clean,
    public_settings_clean,
)
from circuits.models import (
    Circuit,
    CircuitItem,
    CircuitMember,
    CircuitPublishedItem,
    CircuitStatus,
)
from circuits.permissions import ALL_PERMISSIONS, Role
from circuits.services.activity import ActivityType, records_circuit_activity
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now
from items.models import Item


def circuit_lock(*, circuit: Circuit) -> Circuit:
    """Re-read ``circuit`` with a row lock, so its status and settings hold until commit."""
    return Circuit.objects.select_for_update().get(pk=circuit.pk)


def circuit_require_active(*, circuit: Circuit) -> None:
    """Inactive and archived circuits accept no push, pull or approval: 409."""
    if circuit.status == CircuitStatus.ACTIVE:
        return
    code = "circuit_archived" if circuit.status == CircuitStatus.ARCHIVED else "circuit_inactive"
    raise Conflict(
        f"The circuit is {circuit.status}; it accepts no push or pull.",
        code=code,
        details={"status": circuit.status},
    )


def _post_action_settings_clean(value: Any) -> dict | None:
    return post_action_settings_clean(value)


def _adapter_config_build(
    *,
    actor: User,
    adapter_type: Any,
    sponsor_adapter_access: bool = False,
    requires_approval: bool = False,
    auto_migrate_existing: bool = False,
) -> dict[str, Any]:
    adapter_type = adapter_type_clean(adapter_type)
    tier_check_adapter(user=actor, adapter_type=adapter_type)
    flags = {
        "sponsor_adapter_access": sponsor_adapter_access,
        "requires_approval": requires_approval,
        "auto_migrate_existing": auto_migrate_existing,
    }
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise exceptions.ValidationError({name: ["Must be true or false."]})
    return {
        "adapter_type": adapter_type,
        **flags,
        "configured_by": actor.pk,
        "configured_at_ts": unix_now(),
    }


@records_circuit_activity(ActivityType.CREATE, "circuit_create", actor="owner")
@transaction.atomic
def circuit_create(
    *,
    owner: User,
    name: str,
    description: str | None = None,
    permissions: dict | None = None,
    alias_config: dict | None = None,
    adapter_config: dict | None = None,
    public_settings: dict | None = None,
    post_action_settings: dict | None = None,
) -> Circuit:
    """A new circuit; its creator becomes the Owner member with every permission.

    The owner's tier limits the number of circuits they own (403 ``tier_limit_exceeded``);
    the owner's row is locked so concurrent creations count each other.
    """
    User.objects.select_for_update().filter(pk=owner.pk).first()
    tier_check_circuit_limit(user=owner)
    if not name or not name.strip():
        raise exceptions.ValidationError({"name": ["Required."]})
    adapter = None
    if adapter_config is not None:
        if not isinstance(adapter_config, dict):
            raise exceptions.ValidationError({"adapter_config": ["Must be an object."]})
        adapter = _adapter_config_build(
            actor=owner,
            adapter_type=adapter_config.get("adapter_type"),
            sponsor_adapter_access=adapter_config.get("sponsor_adapter_access", False),
            requires_approval=adapter_config.get("requires_approval", False),
            auto_migrate_existing=adapter_config.get("auto_migrate_existing", False),
        )
    public = None
    if public_settings is not None:
        public = public_settings_clean(public_settings)
        if public.pop("published_items"):
            raise exceptions.ValidationError(
                {"published_items": ["A new circuit holds no items to publish yet."]}
            )
    circuit = Circuit.objects.create(
        owner=owner,
        name=name.strip(),
        description=description,
        status=CircuitStatus.ACTIVE,
        permissions=circuit_permissions_clean(permissions),
        alias_config=alias_config_clean(alias_config),
        adapter_config=adapter,
        public_settings=public,
        post_action_settings=_post_action_settings_clean(post_action_settings),
    )
    CircuitMember.objects.create(
        circuit=circuit, member=owner, role=Role.OWNER, permissions=list(ALL_PERMISSIONS)
    )
    return circuit


@records_circuit_activity(ActivityType.UPDATE, "circuit_update", actor="actor")
@transaction.atomic
def circuit_update(*, circuit: Circuit, actor: User, **changes: Any) -> Circuit:
    """Change ``name``, ``description``, ``permissions`` (merged into the current flags),
    ``alias_config``, ``post_action_settings`` or ``status``. An archived circuit only
    changes its status (staff restoring it); the API archives through ``circuit_archive``."""
    circuit = circuit_lock(circuit=circuit)
    allowed = {
        "name",
        "description",
        "permissions",
        "alias_config",
        "post_action_settings",
        "status",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"circuit_update does not change {', '.join(sorted(unknown))}")
    if circuit.status == CircuitStatus.ARCHIVED and set(changes) - {"status"}:
        raise Conflict(
            "An archived circuit cannot be changed; restore its status first.",
            code="circuit_archived",
        )
    if "name" in changes:
        if not changes["name"] or not str(changes["name"]).strip():
            raise exceptions.ValidationError({"name": ["Required."]})
        circuit.name = str(changes["name"]).strip()
    if "description" in changes:
        circuit.description = changes["description"]
    if "permissions" in changes:
        circuit.permissions = circuit_permissions_clean(
            changes["permissions"], current=circuit.permissions
        )
    if "alias_config" in changes:
        circuit.alias_config = alias_config_clean(changes["alias_config"])
    if "post_action_settings" in changes:
        circuit.post_action_settings = _post_action_settings_clean(changes["post_action_settings"])
    if "status" in changes:
        if changes["status"] not in CircuitStatus.values:
            raise exceptions.ValidationError(
                {"status": [f"Must be one of {', '.join(CircuitStatus.values)}."]}
            )
        circuit.status = changes["status"]
    circuit.last_modified_ts = unix_now()
    circuit.save()
    return circuit


@transaction.atomic
def circuit_toggle_visibility(*, circuit: Circuit, actor: User) -> Circuit:
    """Flip ``permissions.allow_public_visibility`` (under the row lock, so two toggles at
    once flip twice)."""
    circuit = circuit_lock(circuit=circuit)
    if circuit.status == CircuitStatus.ARCHIVED:
        raise Conflict("An archived circuit cannot be changed.", code="circuit_archived")
    flags = circuit_permissions_clean(None, current=circuit.permissions)
    flags["allow_public_visibility"] = not flags["allow_public_visibility"]
    circuit.permissions = flags
    circuit.last_modified_ts = unix_now()
    circuit.save(update_fields=["permissions", "last_modified_ts", "updated_at"])
    return circuit


@transaction.atomic
def circuit_set_post_action_settings(
    *, circuit: Circuit, actor: User, post_action_settings: dict[str, Any]
) -> Circuit:
    """Replace the post-action settings: whether the circuit's webhooks are called, for which
    events, and what their payload carries (``configs.post_action_settings_clean``)."""
    circuit = circuit_lock(circuit=circuit)
    circuit.post_action_settings = post_action_settings_clean(post_action_settings)
    circuit.last_modified_ts = unix_now()
    circuit.save(update_fields=["post_action_settings", "last_modified_ts", "updated_at"])
    return circuit


@transaction.atomic
def circuit_deactivate(*, circuit: Circuit, actor: User) -> Circuit:
    """Set the circuit Inactive: it keeps its members and items but accepts no push or pull."""
    circuit = circuit_lock(circuit=circuit)
    if circuit.status == CircuitStatus.ARCHIVED:
        raise Conflict("An archived circuit cannot be deactivated.", code="circuit_archived")
    circuit.status = CircuitStatus.INACTIVE
    circuit.last_modified_ts = unix_now()
    circuit.save(update_fields=["status", "last_modified_ts", "updated_at"])
    return circuit


@records_circuit_activity(ActivityType.DELETE, "circuit_archive", actor="actor")
@transaction.atomic
def circuit_archive(*, circuit: Circuit, actor: User) -> Circuit:
    """Delete a circuit the soft way: status Archived. Its history (operations, activities,
    events) stays; it leaves its members' lists and no longer counts against the owner's
    tier limit."""
    circuit = circuit_lock(circuit=circuit)
    circuit.status = CircuitStatus.ARCHIVED
    circuit.last_modified_ts = unix_now()
    circuit.save(update_fields=["status", "last_modified_ts", "updated_at"])
    return circuit


@transaction.atomic
def circuit_set_adapter(
    *,
    circuit: Circuit,
    actor: User,
    adapter_type: str,
    sponsor_adapter_access: bool = False,
    requires_approval: bool = False,
    auto_migrate_existing: bool = False,
) -> Circuit:
    """Record the storage adapter the circuit's pushes go through. The actor's tier must
    allow the adapter (403 ``tier_limit_exceeded`` naming tier and adapter)."""
    adapter = _adapter_config_build(
        actor=actor,
        adapter_type=adapter_type,
        sponsor_adapter_access=sponsor_adapter_access,
        requires_approval=requires_approval,
        auto_migrate_existing=auto_migrate_existing,
    )
    circuit = circuit_lock(circuit=circuit)
    circuit.adapter_config = adapter
    circuit.last_modified_ts = unix_now()
    circuit.save(update_fields=["adapter_config", "last_modified_ts", "updated_at"])
    return circuit


@transaction.atomic
def circuit_set_public_settings(
    *, circuit: Circuit, actor: User, public_settings: dict[str, Any]
) -> Circuit:
    """Replace the public settings and the list of published items (kept in
    ``circuit_published_items``, in the order given). Published items must be items of the
    circuit; each item newly published sends ``item_published`` after commit."""
    circuit = circuit_lock(circuit=circuit)
    cleaned = public_settings_clean(public_settings, current=circuit.public_settings)
    published = list(dict.fromkeys(cleaned.pop("published_items")))
    in_circuit = set(
        CircuitItem.objects.filter(circuit=circuit, item_id__in=published).values_list(
            "item_id", flat=True
        )
    )
    missing = [dfid for dfid in published if dfid not in in_circuit]
    if missing:
        raise exceptions.ValidationError(
            {"published_items": [f"Not items of this circuit: {', '.join(missing)}."]}
        )
    circuit.public_settings = cleaned
    circuit.last_modified_ts = unix_now()
    circuit.save(update_fields=["public_settings", "last_modified_ts", "updated_at"])
    newly = _published_items_replace(circuit=circuit, dfids=published, actor=actor)
    if newly:
        items = list(Item.objects.filter(pk__in=newly))

        def send() -> None:
            for item in items:
                signals.item_published.send(
                    sender=Circuit, circuit=circuit, item=item, user=actor, operation=None
                )

        transaction.on_commit(send)
    return circuit


def _published_items_replace(*, circuit: Circuit, dfids: list[str], actor: User) -> list[str]:
    """Make the circuit's published items exactly ``dfids`` in that order; returns the DFIDs
    that were not published before. Rows already in that order stay as they are; otherwise the
    list is rewritten, keeping when and by whom each remaining item was first published."""
    current = list(
        CircuitPublishedItem.objects.filter(circuit=circuit).values_list(
            "item_id", "published_by", "published_at_ts"
        )
    )
    known = {dfid: (published_by, at) for dfid, published_by, at in current}
    newly = [dfid for dfid in dfids if dfid not in known]
    wanted = set(dfids)
    kept = [dfid for dfid, _, _ in current if dfid in wanted]
    if kept == dfids[: len(kept)]:  # the kept rows are a prefix in order: remove and append
        CircuitPublishedItem.objects.filter(circuit=circuit).exclude(item_id__in=dfids).delete()
        rewrite = dfids[len(kept) :]
    else:
        CircuitPublishedItem.objects.filter(circuit=circuit).delete()
        rewrite = dfids
    now = unix_now()
    CircuitPublishedItem.objects.bulk_create(
        [
            CircuitPublishedItem(
                circuit=circuit,
                item_id=dfid,
                published_by=known.get(dfid, (actor.pk, now))[0],
                published_at_ts=known.get(dfid, (actor.pk, now))[1],
            )
            for dfid in rewrite
        ]
    )
    return newly
