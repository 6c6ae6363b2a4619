"""What a recall needs about an item: every related item up- and downstream (merges,
splits, local items it was tokenized from), and for all of them every circuit, holder,
event and storage location."""

from collections import deque
from typing import Any

from accounts.models import User
from adapters.models import StorageHistory
from circuits.models import CircuitItem, CircuitOperation, CircuitPendingItem
from items.models import (
    LOCAL_DFID_PREFIX,
    MERGED_INTO_PREFIX,
    Event,
    EventType,
    EventVisibility,
    Item,
    LidDfidMapping,
)

SELF, UPSTREAM, DOWNSTREAM = "self", "upstream", "downstream"


def _neighbours(item: Item) -> list[tuple[str, str, str]]:
    """``(dfid, direction, relation)`` of the items directly related to ``item``."""
    found: list[tuple[str, str, str]] = []
    events = item.events.filter(event_type__in=[EventType.MERGED, EventType.SPLIT]).values_list(
        "event_type", "metadata"
    )
    for event_type, metadata in events:
        metadata = metadata or {}
        if event_type == EventType.MERGED:
            if metadata.get("primary_dfid") == item.dfid and metadata.get("secondary_dfid"):
                found.append((metadata["secondary_dfid"], UPSTREAM, "merged_into_this"))
            elif metadata.get("secondary_dfid") == item.dfid and metadata.get("primary_dfid"):
                found.append((metadata["primary_dfid"], DOWNSTREAM, "merged_into"))
            for local_id in metadata.get("merged") or []:
                found.append((f"{LOCAL_DFID_PREFIX}{local_id}", UPSTREAM, "merged_into_this"))
        else:
            if metadata.get("original_dfid") == item.dfid and metadata.get("new_dfid"):
                found.append((metadata["new_dfid"], DOWNSTREAM, "split_into"))
            elif metadata.get("new_dfid") == item.dfid and metadata.get("original_dfid"):
                found.append((metadata["original_dfid"], UPSTREAM, "split_from"))
    if item.status.startswith(MERGED_INTO_PREFIX):
        primary = item.status.removeprefix(MERGED_INTO_PREFIX)
        found.append((f"{LOCAL_DFID_PREFIX}{primary}", DOWNSTREAM, "merged_into"))
    for local_id, dfid in LidDfidMapping.objects.filter(item=item).values_list(
        "local_id", "item_id"
    ):
        local_dfid = f"{LOCAL_DFID_PREFIX}{local_id}"
        if local_dfid != dfid:
            found.append((local_dfid, UPSTREAM, "tokenized_from"))
    if item.is_local:
        mapped = LidDfidMapping.objects.filter(local_id=item.local_id).values_list(
            "item_id", flat=True
        )
        found += [(dfid, DOWNSTREAM, "tokenized_into") for dfid in mapped if dfid != item.dfid]
    return found


def item_related(*, item: Item) -> dict[str, dict[str, str]]:
    """Every item reachable up- or downstream of ``item``: ``{dfid: {direction, relation,
    via}}``; upstream of an upstream item is upstream, and so on."""
    related = {item.dfid: {"direction": SELF, "relation": "self", "via": None}}
    queue = deque([item])
    while queue:
        current = queue.popleft()
        direction = related[current.dfid]["direction"]
        for dfid, step, relation in _neighbours(current):
            if dfid in related or (direction not in (SELF, step)):
                continue
            neighbour = Item.objects.filter(dfid=dfid).first()
            if neighbour is None:
                continue
            related[dfid] = {"direction": step, "relation": relation, "via": current.dfid}
            queue.append(neighbour)
    return related


def _user_ids(values: list[Any]) -> set[str]:
    return {str(value) for value in values if value}


def item_recall_trace(*, item: Item, viewer: User) -> dict[str, Any]:
    """The recall report's content for ``item`` as ``viewer`` may read it (staff see holders'
    e-mail addresses and every event's metadata; others see ids, usernames, and the metadata
    of public events and their own)."""
    related = item_related(item=item)
    dfids = list(related)
    items = Item.objects.filter(dfid__in=dfids).prefetch_related("identifiers").order_by("dfid")
    memberships = CircuitItem.objects.filter(item_id__in=dfids).select_related("circuit")
    operations = CircuitOperation.objects.filter(dfid__in=dfids).select_related("circuit")
    pending = CircuitPendingItem.objects.filter(item_id__in=dfids).select_related("circuit")
    events = Event.objects.filter(item_id__in=dfids).order_by("timestamp", "event_id")
    storage = StorageHistory.objects.filter(item_id__in=dfids).order_by("stored_at_ts", "id")

    circuits: dict[str, dict[str, Any]] = {}

    def circuit_entry(circuit) -> dict[str, Any]:
        return circuits.setdefault(
            str(circuit.circuit_id),
            {
                "circuit_id": str(circuit.circuit_id),
                "name": circuit.name,
                "owner_id": circuit.owner_id,
                "status": circuit.status,
                "dfids": [],
                "operations": [],
            },
        )

    for row in memberships:
        entry = circuit_entry(row.circuit)
        entry["dfids"].append(
            {"dfid": row.item_id, "added_by": row.added_by, "added_at": row.added_at_ts}
        )
    for op in operations:
        circuit_entry(op.circuit)["operations"].append(
            {
                "operation_id": str(op.operation_id),
                "dfid": op.dfid,
                "operation_type": op.operation_type,
                "status": op.status,
                "requester_id": op.requester_id,
                "approver_id": op.approver_id,
                "created_at": op.created_at_ts,
                "completed_at": op.completed_at_ts,
            }
        )
    for row in pending:
        circuit_entry(row.circuit)["operations"].append(
            {
                "pending_item_id": str(row.pk),
                "dfid": row.item_id,
                "operation_type": "PendingPush",
                "status": row.status,
                "requester_id": row.pushed_by,
                "created_at": row.pushed_at_ts,
            }
        )

    holder_roles: dict[str, set[str]] = {}

    def hold(user_ids: set[str], role: str) -> None:
        for user_id in user_ids:
            holder_roles.setdefault(user_id, set()).add(role)

    items = list(items)
    events = list(events)
    hold(_user_ids([i.created_by_id for i in items]), "creator")
    hold(
        _user_ids([e.created_by_id for e in events if e.event_type == EventType.ENRICHED]),
        "enricher",
    )
    hold(_user_ids([e.created_by_id for e in events]), "recorded_event")
    hold(_user_ids([m.added_by for m in memberships]), "pushed_to_circuit")
    hold(_user_ids([o.requester_id for o in operations]), "requested_operation")
    hold(_user_ids([o.approver_id for o in operations]), "approved_operation")
    hold(_user_ids([p.pushed_by for p in pending]), "pushed_to_circuit")
    users = {u.pk: u for u in User.objects.filter(pk__in=list(holder_roles))}
    holders = [
        {
            "user_id": user_id,
            "username": users[user_id].username if user_id in users else None,
            **(
                {"email": users[user_id].email if user_id in users else None}
                if viewer.is_admin
                else {}
            ),
            "roles": sorted(roles),
        }
        for user_id, roles in sorted(holder_roles.items())
    ]

    def event_metadata_visible(event: Event) -> bool:
        return (
            viewer.is_admin
            or event.visibility == EventVisibility.PUBLIC
            or event.created_by_id == viewer.pk
        )

    return {
        "dfid": item.dfid,
        "items": [
            {
                "dfid": i.dfid,
                **related[i.dfid],
                "status": i.status,
                "created_by": i.created_by_id,
                "created_at": i.created_at_ts,
                "last_updated": i.last_updated_ts,
                "identifiers": [
                    {"namespace": x.namespace, "key": x.key, "value": x.value, "id_type": x.id_type}
                    for x in i.identifiers.all()
                ],
                "enriched_data": i.enriched_data,
            }
            for i in items
        ],
        "circuits": sorted(circuits.values(), key=lambda c: c["circuit_id"]),
        "holders": holders,
        "events": [
            {
                "event_id": str(e.event_id),
                "dfid": e.item_id,
                "event_type": e.event_type,
                "timestamp": e.timestamp,
                "visibility": e.visibility,
                "created_by": e.created_by_id,
                "metadata": e.metadata if event_metadata_visible(e) else None,
            }
            for e in events
        ],
        "storage_locations": [
            {
                "dfid": s.item_id,
                "adapter_type": s.adapter_type,
                "storage_location": s.storage_location,
                "stored_at": s.stored_at_ts,
                "triggered_by": s.triggered_by,
                "triggered_by_id": s.triggered_by_id,
                "is_active": s.is_active,
            }
            for s in storage
        ],
    }
