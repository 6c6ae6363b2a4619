"""Writes of the items app. Other apps import from here."""

from items.selectors import item_get_visible, items_visible_to
from items.services.conflicts import ConflictStrategy, conflict_resolve
from items.services.data_lake import data_lake_resolve_one, data_lake_resolve_pending
from items.services.dfid import dfid_issue, dfids_issue
from items.services.events import (
    event_author_check,
    event_metadata_add,
    event_record,
    event_submit,
    events_record_many,
)
from items.services.imports import ImportReport, items_import_csv, items_ingest
from items.services.items import (
    item_create,
    item_deprecate,
    item_enrich,
    item_merge,
    item_merge_into,
    item_split,
    item_update,
    items_create_bulk,
)
from items.services.local import (
    LocalStatus,
    MergeStrategy,
    local_item_create,
    local_item_get,
    local_item_tokenize,
    local_item_unmerge,
    local_items_merge,
    local_items_organize,
    local_mapping_get,
)
from items.services.pending import (
    PendingAction,
    pending_item_approve,
    pending_item_modify,
    pending_item_reject,
)
from items.services.receipts import receipt_create, receipt_data_hash, receipt_verify
from items.services.shares import item_share, item_share_revoke
from items.services.writes import ItemWriteResult, item_hash_compute, item_snapshot

__all__ = [
    "ConflictStrategy",
    "ImportReport",
    "ItemWriteResult",
    "LocalStatus",
    "MergeStrategy",
    "PendingAction",
    "conflict_resolve",
    "data_lake_resolve_one",
    "data_lake_resolve_pending",
    "dfid_issue",
    "dfids_issue",
    "event_author_check",
    "event_metadata_add",
    "event_record",
    "event_submit",
    "events_record_many",
    "item_create",
    "item_deprecate",
    "item_enrich",
    "item_get_visible",
    "item_hash_compute",
    "item_merge",
    "item_merge_into",
    "item_share",
    "item_share_revoke",
    "item_snapshot",
    "item_split",
    "item_update",
    "items_create_bulk",
    "items_import_csv",
    "items_ingest",
    "items_visible_to",
    "local_item_create",
    "local_item_get",
    "local_item_tokenize",
    "local_item_unmerge",
    "local_items_merge",
    "local_items_organize",
    "local_mapping_get",
    "pending_item_approve",
    "pending_item_modify",
    "pending_item_reject",
    "receipt_create",
    "receipt_data_hash",
    "receipt_verify",
]
