"""Reads: the snapshots a caller may see.

An item's own chain (``scope`` empty) holds its creator's layer: it is shown to whoever sees
that layer (``item_base_is_visible_to``). A chain of the item as a circuit holds it is shown
to the members of that circuit; a circuit's chain to its members. Staff see every chain. The
public sees the chains of public circuits that publish the item.
"""

from django.db.models import Q, QuerySet

from accounts.models import User
from items.snapshots.models import (
    BlockchainIndexingProgress,
    ItemCidTimeline,
    Snapshot,
    SnapshotEntityType,
)


def _member_circuit_ids(user: User) -> list[str]:
    from circuits.models import CircuitMember

    return [
        str(circuit_id)
        for circuit_id in CircuitMember.objects.filter(member=user).values_list(
            "circuit_id", flat=True
        )
    ]


def snapshots_ordered(snapshots: QuerySet[Snapshot]) -> QuerySet[Snapshot]:
    """Oldest first; the same order every time."""
    return snapshots.order_by("taken_at_ts", "created_at", "scope", "version")


def item_snapshots_visible(*, user: User, item) -> QuerySet[Snapshot]:
    """The snapshots of ``item`` (which ``user`` sees) in the chains ``user`` may read."""
    from items.selectors import item_base_is_visible_to

    snapshots = Snapshot.objects.filter(entity_type=SnapshotEntityType.ITEM, entity_id=item.pk)
    if user.is_admin:
        return snapshots_ordered(snapshots)
    scopes = Q(scope__in=_member_circuit_ids(user))
    if item_base_is_visible_to(user=user, item=item):
        scopes |= Q(scope="")
    return snapshots_ordered(snapshots.filter(scopes))


def item_snapshots_public(*, item) -> QuerySet[Snapshot]:
    """The snapshots of ``item`` (from ``adapters.selectors.item_get_public``) as the public
    circuits publishing it hold it."""
    return snapshots_ordered(
        Snapshot.objects.filter(
            entity_type=SnapshotEntityType.ITEM,
            entity_id=item.pk,
            scope__in=[str(circuit_id) for circuit_id in item.public_circuit_ids],
        )
    )


def circuit_snapshots(*, circuit) -> QuerySet[Snapshot]:
    """The circuit's own chain (the caller was checked by ``circuit_get_for_member``)."""
    return snapshots_ordered(
        Snapshot.objects.filter(
            entity_type=SnapshotEntityType.CIRCUIT, entity_id=str(circuit.circuit_id)
        )
    )


def snapshot_matching(snapshots: QuerySet[Snapshot], snapshot_id: str) -> Snapshot | None:
    """The snapshot of ``snapshots`` named by its id (SHA-256 hex) or its CID."""
    return snapshots.filter(Q(snapshot_id=snapshot_id) | Q(cid=snapshot_id)).first()


def snapshots_readable_by(*, user: User) -> QuerySet[Snapshot]:
    """Every snapshot ``user`` may read, in any chain (for content retrieval by CID)."""
    from items.item_view import contributions_visible_to
    from items.models import Item

    snapshots = Snapshot.objects.all()
    if user.is_admin:
        return snapshots
    circuits = _member_circuit_ids(user)
    own_items = Item.objects.filter(created_by=user).values("dfid")
    base_layers = contributions_visible_to(user=user).filter(is_base=True).values("item_id")
    return snapshots.filter(
        Q(entity_type=SnapshotEntityType.CIRCUIT, entity_id__in=circuits)
        | Q(entity_type=SnapshotEntityType.ITEM, scope__in=circuits)
        | Q(entity_type=SnapshotEntityType.ITEM, scope="", entity_id__in=own_items)
        | Q(entity_type=SnapshotEntityType.ITEM, scope="", entity_id__in=base_layers)
    )


def item_timeline_visible(*, user: User, item) -> QuerySet[ItemCidTimeline]:
    """The timeline entries of ``item`` whose CIDs are snapshots ``user`` may read (staff:
    every entry), by sequence."""
    entries = ItemCidTimeline.objects.filter(dfid=item.pk)
    if not user.is_admin:
        readable = item_snapshots_visible(user=user, item=item).order_by().values("cid")
        entries = entries.filter(cid__in=readable)
    return entries.order_by("event_sequence")


def indexing_progress_get(*, network: str) -> BlockchainIndexingProgress | None:
    return BlockchainIndexingProgress.objects.filter(network=network).first()


def snapshot_readable_get(*, user: User, cid: str) -> Snapshot | None:
    """The snapshot stored under ``cid`` when ``user`` may read it."""
    return snapshots_readable_by(user=user).filter(cid=cid).first()


def snapshot_public_get(*, cid: str) -> Snapshot | None:
    """The snapshot stored under ``cid`` when it is of an item as a public circuit publishing
    it holds it."""
    from rest_framework.exceptions import NotFound

    from adapters.selectors import item_get_public

    snapshot = Snapshot.objects.filter(cid=cid, entity_type=SnapshotEntityType.ITEM).first()
    if snapshot is None or not snapshot.scope:
        return None
    try:
        item = item_get_public(dfid=snapshot.entity_id)
    except NotFound:
        return None
    public = {str(circuit_id) for circuit_id in item.public_circuit_ids}
    return snapshot if snapshot.scope in public else None
