"""Local items (``LID-<uuid>``): created without a DFID, merged and unmerged by their owner,
tokenized into a DFID when pushed into a circuit."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from rest_framework import exceptions

from accounts.models import User
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now
from items.identifiers import Identifier, identifiers_parse
from items.models import (
    DEFAULT_NAMESPACE,
    LOCAL_DFID_PREFIX,
    MERGED_INTO_PREFIX,
    EventType,
    EventVisibility,
    Item,
    ItemIdentifier,
    ItemStatus,
    LidDfidMapping,
)
from items.selectors import item_is_visible_to, local_duplicate_groups, local_items_active_of
from items.services.activity import ActivityType, item_activity_record
from items.services.events import event_record
from items.services.items import _conflict_error, _submission_parse
from items.services.writes import (
    ItemWriteResult,
    WriteOutcome,
    WriteStatus,
    item_hash_compute,
    item_identifiers,
    item_rehash,
    items_write,
)


class LocalStatus:
    LOCAL_ONLY = "LocalOnly"
    TOKENIZED = "Tokenized"


class MergeStrategy:
    APPEND = "append"
    KEEP_FIRST = "keep_first"
    OVERWRITE = "overwrite"
    ALL = ("append", "keep_first", "overwrite")


def local_dfid(local_id: uuid.UUID | str) -> str:
    return f"{LOCAL_DFID_PREFIX}{local_id}"


def _local_uuid(local_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return uuid.UUID(str(local_id))
    except ValueError as error:
        raise exceptions.NotFound(f"Local item {local_id} not found.") from error


def _identifier_rows(item: Item, identifiers: Sequence[Identifier]) -> list[ItemIdentifier]:
    return [
        ItemIdentifier(
            item=item,
            namespace=i.namespace,
            key=i.key,
            value=i.value,
            id_type=i.id_type,
            type_metadata=i.type_metadata or None,
        )
        for i in identifiers
    ]


@transaction.atomic
def local_item_create(
    *,
    user: User,
    identifiers: Sequence[dict[str, Any] | Identifier] = (),
    enriched_data: dict[str, Any] | None = None,
) -> Item:
    """A local item ``LID-<local_id>`` owned by ``user``, with its mapping row (free)."""
    submission = _submission_parse(
        identifiers=list(identifiers), enriched_data=enriched_data, require_identifiers=False
    )
    local_id = uuid.uuid4()
    now = unix_now()
    item = Item.objects.create(
        dfid=local_dfid(local_id),
        item_hash=item_hash_compute(
            identifiers=submission.identifiers, enriched_data=submission.enriched_data
        ),
        enriched_data=submission.enriched_data or None,
        created_by=user,
        created_at_ts=now,
        last_updated_ts=now,
    )
    ItemIdentifier.objects.bulk_create(_identifier_rows(item, submission.identifiers))
    LidDfidMapping.objects.create(local_id=local_id, item=item)
    event_record(
        item=item,
        event_type=EventType.CREATED,
        user=user,
        source="local",
        metadata={"local_id": str(local_id)},
        visibility=EventVisibility.PRIVATE,
    )
    item_activity_record(
        user=user,
        activity_type=ActivityType.CREATE,
        dfid=item.dfid,
        action="local_item_create",
        description="Created a local item",
    )
    return item


def local_item_get(*, user: User, local_id: uuid.UUID | str, lock: bool = False) -> Item:
    """The ``LID-`` item of ``local_id`` if ``user`` owns it (or is staff), otherwise 404."""
    items = Item.objects.prefetch_related("identifiers")
    if lock:
        items = items.select_for_update()
    item = items.filter(dfid=local_dfid(_local_uuid(local_id))).first()
    if item is None or (not user.is_admin and item.created_by_id != user.pk):
        raise exceptions.NotFound(f"Local item {local_id} not found.")
    return item


@dataclass
class LocalMapping:
    local_id: str
    dfid: str | None
    status: str


def local_mapping_get(*, user: User, local_id: uuid.UUID | str) -> LocalMapping:
    """Where ``local_id`` points: ``LocalOnly`` or ``Tokenized`` with its DFID. A mapping
    adopted from V1 may have no ``LID-`` item: it answers to whoever may see its DFID."""
    mapping = (
        LidDfidMapping.objects.filter(local_id=_local_uuid(local_id)).select_related("item").first()
    )
    if (
        mapping is not None
        and not mapping.item_id.startswith(LOCAL_DFID_PREFIX)
        and not Item.objects.filter(dfid=local_dfid(_local_uuid(local_id))).exists()
    ):
        if not item_is_visible_to(user=user, item=mapping.item):
            raise exceptions.NotFound(f"Local item {local_id} not found.")
        return LocalMapping(
            local_id=str(local_id), dfid=mapping.item_id, status=LocalStatus.TOKENIZED
        )
    local_item_get(user=user, local_id=local_id)
    if mapping is None or mapping.item_id.startswith(LOCAL_DFID_PREFIX):
        return LocalMapping(local_id=str(local_id), dfid=None, status=LocalStatus.LOCAL_ONLY)
    return LocalMapping(local_id=str(local_id), dfid=mapping.item_id, status=LocalStatus.TOKENIZED)


def _for_tokenizing(identifier: Identifier, namespace_default: str | None) -> Identifier:
    """The identifier as the global item keeps it: the circuit's namespace instead of
    ``generic``, without the local merge bookkeeping."""
    namespace = identifier.namespace
    if namespace_default and namespace == DEFAULT_NAMESPACE:
        namespace = namespace_default
    metadata = {k: v for k, v in (identifier.type_metadata or {}).items() if k != "merged_from"}
    return Identifier(
        namespace=namespace,
        key=identifier.key,
        value=identifier.value,
        id_type=identifier.id_type,
        type_metadata=metadata,
    )


@transaction.atomic
def _tokenize(
    *,
    user: User,
    local_id: uuid.UUID | str,
    identifiers: Sequence[dict[str, Any] | Identifier],
    enriched_data: dict[str, Any] | None,
    namespace_default: str | None,
    circuit_id: Any,
) -> WriteOutcome:
    local = local_item_get(user=user, local_id=local_id, lock=True)
    if local.status != ItemStatus.ACTIVE:
        raise Conflict(
            f"Local item {local_id} is {local.status}; only Active local items are tokenized.",
            details={"local_id": str(local_id), "status": local.status},
        )
    if enriched_data is not None and not isinstance(enriched_data, dict):
        raise exceptions.ValidationError({"enriched_data": ["enriched_data is an object."]})
    combined = [_for_tokenizing(i, namespace_default) for i in item_identifiers(local)]
    combined += identifiers_parse(list(identifiers), namespace_default=namespace_default)
    combined = identifiers_parse(combined)
    if not combined:
        raise exceptions.ValidationError(
            {"identifiers": ["A local item needs at least one identifier to be tokenized."]}
        )
    submission = _submission_parse(
        identifiers=combined,
        enriched_data={**(local.enriched_data or {}), **(enriched_data or {})} or None,
    )
    submission.event_metadata = {"local_id": str(local.local_id)}
    submission.circuit_id = circuit_id
    outcome = items_write(user=user, submissions=[submission], source="tokenization")[0]
    if outcome.status == WriteStatus.CONFLICT:
        return outcome
    assert outcome.item is not None
    LidDfidMapping.objects.filter(local_id=local.local_id).update(item=outcome.item)
    local.status = ItemStatus.DEPRECATED
    local.last_updated_ts = unix_now()
    local.save(update_fields=["status", "last_updated_ts", "updated_at"])
    event_record(
        item=local,
        event_type=EventType.STATUS_CHANGED,
        user=user,
        source="tokenization",
        metadata={"from": ItemStatus.ACTIVE, "to": local.status, "dfid": outcome.item.dfid},
        visibility=EventVisibility.PRIVATE,
    )
    return outcome


def local_item_tokenize(
    *,
    user: User,
    local_id: uuid.UUID | str,
    identifiers: Sequence[dict[str, Any] | Identifier] = (),
    enriched_data: dict[str, Any] | None = None,
    namespace_default: str | None = None,
    circuit_id: Any = None,
) -> ItemWriteResult:
    """Turn a local item into a global one.

    Its identifiers and data plus ``identifiers``/``enriched_data`` are deduplicated by
    canonical id: the live item holding one is enriched (``created=False``) or a new DFID is
    issued and charged (``created=True``). The mapping row then points ``local_id -> DFID``,
    the ``LID-`` item becomes Deprecated and events record it. ``namespace_default`` replaces
    the ``generic`` namespace of identifiers that did not name one. Raises ``Conflict`` (the
    conflict row is written) when the canonical ids point at several items. An existing item
    someone else created is never changed: the caller's data becomes its own layer of it
    (through ``circuit_id`` when tokenized by a push into that circuit).
    """
    outcome = _tokenize(
        user=user,
        local_id=local_id,
        identifiers=identifiers,
        enriched_data=enriched_data,
        namespace_default=namespace_default,
        circuit_id=circuit_id,
    )
    if outcome.status == WriteStatus.CONFLICT:
        raise _conflict_error(outcome)
    assert outcome.item is not None
    item_activity_record(
        user=user,
        activity_type=ActivityType.UPDATE,
        dfid=outcome.item.dfid,
        action="local_item_tokenize",
        description=f"Tokenized local item {local_id}",
        metadata={"local_id": str(local_id)},
    )
    return ItemWriteResult(item=outcome.item, created=outcome.status == WriteStatus.CREATED)


def _merge_data(
    *, primary: dict[str, Any], secondary: dict[str, Any], strategy: str
) -> dict[str, Any]:
    if strategy == MergeStrategy.KEEP_FIRST:
        return {**secondary, **primary}
    if strategy == MergeStrategy.OVERWRITE:
        return dict(secondary) if secondary else dict(primary)
    return {**primary, **secondary}


@transaction.atomic
def local_items_merge(
    *, user: User, primary_local_id: str, secondary_local_ids: Sequence[str], strategy: str
) -> Item:
    """Merge the caller's local items into ``primary_local_id``.

    Identifiers are always united. Enriched data: ``append`` adds the secondaries' keys with
    their values winning, ``keep_first`` adds only keys the primary lacks, ``overwrite``
    replaces the primary's data by the secondaries'. Each secondary becomes
    ``MergedInto:<primary local id>`` and can be unmerged while the primary is still local.
    """
    if strategy not in MergeStrategy.ALL:
        raise exceptions.ValidationError(
            {"strategy": [f"Strategy is one of {', '.join(MergeStrategy.ALL)}."]}
        )
    secondary_ids = [str(_local_uuid(local_id)) for local_id in secondary_local_ids]
    primary = local_item_get(user=user, local_id=primary_local_id, lock=True)
    if not secondary_ids or primary.local_id in secondary_ids:
        raise exceptions.ValidationError(
            {"secondary_local_ids": ["Name other local items to merge into the primary."]}
        )
    if primary.status != ItemStatus.ACTIVE:
        raise Conflict(f"Local item {primary.local_id} is {primary.status}; it cannot merge.")
    restores: list[dict[str, Any]] = []
    for local_id in dict.fromkeys(secondary_ids):
        secondary = local_item_get(user=user, local_id=local_id, lock=True)
        if secondary.status != ItemStatus.ACTIVE:
            raise Conflict(
                f"Local item {local_id} is {secondary.status}; it cannot be merged again.",
                details={"local_id": local_id, "status": secondary.status},
            )
        known = {i.triple for i in item_identifiers(primary)}
        added = [i for i in item_identifiers(secondary) if i.triple not in known]
        ItemIdentifier.objects.bulk_create(
            ItemIdentifier(
                item=primary,
                namespace=i.namespace,
                key=i.key,
                value=i.value,
                id_type=i.id_type,
                type_metadata={**(i.type_metadata or {}), "merged_from": local_id},
            )
            for i in added
        )
        before = dict(primary.enriched_data or {})
        primary.enriched_data = (
            _merge_data(primary=before, secondary=secondary.enriched_data or {}, strategy=strategy)
            or None
        )
        restores.append({"local_id": local_id, "data_before": before})
        secondary.status = f"{MERGED_INTO_PREFIX}{primary.local_id}"
        secondary.last_updated_ts = unix_now()
        secondary.save(update_fields=["status", "last_updated_ts", "updated_at"])
        primary = _reload(primary, enriched_data=primary.enriched_data)
    primary.last_updated_ts = unix_now()
    item_rehash(primary)
    primary.save(update_fields=["enriched_data", "item_hash", "last_updated_ts", "updated_at"])
    event_record(
        item=primary,
        event_type=EventType.MERGED,
        user=user,
        source="local",
        metadata={"strategy": strategy, "merged": secondary_ids, "restore": restores},
        visibility=EventVisibility.PRIVATE,
    )
    return primary


def _reload(item: Item, *, enriched_data: dict[str, Any] | None) -> Item:
    fresh = Item.objects.prefetch_related("identifiers").get(dfid=item.dfid)
    fresh.enriched_data = enriched_data
    return fresh


@transaction.atomic
def local_item_unmerge(*, user: User, local_id: str) -> tuple[Item, Item]:
    """Undo the merge of local item ``local_id``: it becomes Active again, the identifiers it
    brought leave the primary and the primary's data goes back to what it was before that
    merge (keys changed since are kept). Returns ``(primary, restored)``."""
    secondary = local_item_get(user=user, local_id=local_id, lock=True)
    if not secondary.status.startswith(MERGED_INTO_PREFIX):
        raise Conflict(
            f"Local item {local_id} is {secondary.status}; it is not merged.",
            details={"local_id": str(local_id), "status": secondary.status},
        )
    primary_id = secondary.status.removeprefix(MERGED_INTO_PREFIX)
    primary = local_item_get(user=user, local_id=primary_id, lock=True)
    if not primary.is_local or primary.status != ItemStatus.ACTIVE:
        raise Conflict(f"Local item {primary_id} is {primary.status}; it can no longer unmerge.")
    own_id = str(secondary.local_id)
    brought = [
        row.pk
        for row in primary.identifiers.all()
        if (row.type_metadata or {}).get("merged_from") == own_id
    ]
    ItemIdentifier.objects.filter(pk__in=brought).delete()
    merge_event = primary.events.filter(event_type=EventType.MERGED).order_by(
        "-timestamp", "-created_at"
    )
    data = dict(primary.enriched_data or {})
    for event in merge_event:
        restore = next(
            (r for r in (event.metadata or {}).get("restore", []) if r.get("local_id") == own_id),
            None,
        )
        if restore is not None:
            before = restore["data_before"]
            secondary_data = secondary.enriched_data or {}
            for key, value in secondary_data.items():
                if data.get(key) == value:
                    if key in before:
                        data[key] = before[key]
                    else:
                        data.pop(key, None)
            for key, value in before.items():
                data.setdefault(key, value)  # keys an overwrite dropped come back
            break
    primary = _reload(primary, enriched_data=data or None)
    primary.last_updated_ts = unix_now()
    item_rehash(primary)
    primary.save(update_fields=["enriched_data", "item_hash", "last_updated_ts", "updated_at"])
    secondary.status = ItemStatus.ACTIVE
    secondary.last_updated_ts = unix_now()
    secondary.save(update_fields=["status", "last_updated_ts", "updated_at"])
    event_record(
        item=secondary,
        event_type=EventType.STATUS_CHANGED,
        user=user,
        source="local",
        metadata={"unmerged_from": primary_id, "at": secondary.last_updated_ts},
        visibility=EventVisibility.PRIVATE,
    )
    return primary, secondary


class OrganizeStatus:
    SUCCESS = "success"
    ERROR = "error"
    WOULD_MERGE = "would_merge"


@dataclass
class OrganizeOperation:
    master_lid: str
    merged_lids: list[str]
    status: str
    reason: str | None = None


@dataclass
class OrganizeResult:
    operations: list[OrganizeOperation]
    items_before: int
    items_after: int
    merged_count: int


def local_items_organize(
    *, user: User, strategy: str = MergeStrategy.APPEND, dry_run: bool = False
) -> OrganizeResult:
    """Merge every group of ``user``'s local items sharing an identifier into its oldest
    item (``local_items_merge`` with ``strategy``), one group at a time: a group that fails
    is reported and the others go on. An item merged in one group is left out of the next.
    ``dry_run`` only reports what would be merged."""
    if strategy not in MergeStrategy.ALL:
        raise exceptions.ValidationError(
            {"merge_strategy": [f"Strategy is one of {', '.join(MergeStrategy.ALL)}."]}
        )
    items_before = local_items_active_of(user=user).count()
    merged: set[str] = set()
    operations: list[OrganizeOperation] = []
    for group in local_duplicate_groups(user=user):
        candidates = [str(item.local_id) for item in group.items]
        candidates = [local_id for local_id in candidates if local_id not in merged]
        if len(candidates) < 2:
            continue
        master, others = candidates[0], candidates[1:]
        if dry_run:
            operations.append(OrganizeOperation(master, others, OrganizeStatus.WOULD_MERGE))
            merged.update(others)
            continue
        try:
            with transaction.atomic():
                local_items_merge(
                    user=user,
                    primary_local_id=master,
                    secondary_local_ids=others,
                    strategy=strategy,
                )
        except exceptions.APIException as error:
            operations.append(
                OrganizeOperation(master, others, OrganizeStatus.ERROR, reason=str(error.detail))
            )
            continue
        operations.append(OrganizeOperation(master, others, OrganizeStatus.SUCCESS))
        merged.update(others)
    return OrganizeResult(
        operations=operations,
        items_before=items_before,
        items_after=items_before - len(merged),
        merged_count=len(merged),
    )
