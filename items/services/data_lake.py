"""Resolution of pending data-lake entries into items: each receipt's identifiers create a new
DFID, enrich the item holding one of its canonical ids, or end Conflicted with notes."""

from dataclasses import dataclass, field

from django.db import connection, transaction
from rest_framework import exceptions

from audit.models import DataLakeEntry, DataLakeStatus
from defarm.api.exceptions import ApiError
from items.identifiers import KNOWN_REGISTRIES, Identifier, identifier_parse
from items.models import IdentifierType, ReceiptIdentifier
from items.services.writes import Submission, WriteStatus, items_write


@dataclass
class DataLakeSummary:
    completed: int = 0
    conflicted: int = 0
    failed: int = 0
    dfids: list[str] = field(default_factory=list)


def _receipt_identifiers(rows: list[ReceiptIdentifier]) -> list[Identifier]:
    """Known registry keys with a valid shape are canonical; everything else contextual."""
    identifiers: list[Identifier] = []
    for row in rows:
        id_type = IdentifierType.CONTEXTUAL
        if row.key.lower() in KNOWN_REGISTRIES:
            try:
                identifiers.append(
                    identifier_parse(
                        {"key": row.key, "value": row.value, "id_type": IdentifierType.CANONICAL}
                    )
                )
                continue
            except exceptions.ValidationError:
                id_type = IdentifierType.CONTEXTUAL
        raw = {"key": row.key, "value": row.value, "id_type": id_type}
        identifiers.append(identifier_parse(raw))
    return identifiers


def _next_pending() -> DataLakeEntry | None:
    entries = DataLakeEntry.objects.filter(status=DataLakeStatus.PENDING).order_by("timestamp")
    if connection.vendor == "postgresql":
        entries = entries.select_for_update(skip_locked=True, of=("self",))
    return entries.select_related("receipt__created_by").first()


def _finish(entry: DataLakeEntry, status: str, notes: str) -> None:
    entry.status = status
    entry.processing_notes = notes
    entry.save(update_fields=["status", "processing_notes", "updated_at"])


def data_lake_resolve_one() -> tuple[DataLakeEntry, str] | None:
    """Resolve the oldest Pending entry; None when there is none."""
    with transaction.atomic():
        entry = _next_pending()
        if entry is None:
            return None
        receipt = entry.receipt
        user = receipt.created_by
        if user is None:
            _finish(entry, DataLakeStatus.FAILED, "The receipt has no sender to own its item.")
            return entry, DataLakeStatus.FAILED
        identifiers = _receipt_identifiers(list(receipt.identifiers.all()))
        if not identifiers:
            _finish(entry, DataLakeStatus.FAILED, "The receipt names no identifiers.")
            return entry, DataLakeStatus.FAILED
        submission = Submission(
            identifiers=identifiers,
            source_entry_id=entry.entry_id,
            event_metadata={"receipt_id": str(receipt.id), "data_hash": receipt.data_hash},
        )
        try:
            with transaction.atomic():
                outcome = items_write(user=user, submissions=[submission], source="data_lake")[0]
        except ApiError as error:  # short of credits, over the tier's limit
            _finish(entry, DataLakeStatus.FAILED, f"{error.error_code}: {error.detail}")
            return entry, DataLakeStatus.FAILED
        if outcome.status == WriteStatus.CONFLICT:
            assert outcome.conflict is not None
            _finish(
                entry,
                DataLakeStatus.CONFLICTED,
                f"Canonical identifiers point at {', '.join(outcome.conflicting_dfids)}; "
                f"conflict {outcome.conflict.conflict_id} awaits staff review.",
            )
            return entry, DataLakeStatus.CONFLICTED
        assert outcome.item is not None
        verb = "Created" if outcome.status == WriteStatus.CREATED else "Enriched"
        _finish(entry, DataLakeStatus.COMPLETED, f"{verb} {outcome.item.dfid}.")
        entry.resolved_dfid = outcome.item.dfid
        return entry, DataLakeStatus.COMPLETED


def data_lake_resolve_pending(*, limit: int | None = None) -> DataLakeSummary:
    """Resolve Pending entries one transaction each (at most ``limit``)."""
    summary = DataLakeSummary()
    while limit is None or summary.completed + summary.conflicted + summary.failed < limit:
        resolved = data_lake_resolve_one()
        if resolved is None:
            break
        entry, status = resolved
        if status == DataLakeStatus.COMPLETED:
            summary.completed += 1
            summary.dfids.append(entry.resolved_dfid)
        elif status == DataLakeStatus.CONFLICTED:
            summary.conflicted += 1
        else:
            summary.failed += 1
    return summary
