"""Bulk ingestion of items in chunks, and the CSV import built on it.

Every chunk goes through ``items_create_bulk`` (the service behind ``POST /api/items/batch``
and, one item at a time, ``POST /api/items``): the same deduplication, conflicts, credits,
tier limits and events. A chunk is one transaction: a row is written whole or not at all.
Rows are read as they come (a file is never held in memory); only one chunk is.

CSV header convention (one header row, then one item per row; UTF-8, a BOM is ignored):

``canonical:<key>`` or ``canonical:<namespace>:<key>``
    a Canonical identifier (``key`` is the registry: sisbov, cpf, cnpj, car, rfid ...)
``id:<key>`` or ``id:<namespace>:<key>``
    a Contextual identifier (scope ``user``)
``namespace``
    the namespace of the row's identifiers that do not name one (default ``generic``)
``data:<name>``
    an ``enriched_data`` key, its cell kept as text
``json:<name>``
    an ``enriched_data`` key whose cell is a JSON value (number, true/false, object, list)
``source_entry``
    the data-lake entry (a UUID) the row comes from

Column names are read without surrounding spaces, prefixes in any case. An empty cell adds
nothing (no identifier, no data key); a row needs at least one identifier. Rows whose cells
are all empty are skipped. Line numbers are the file's physical lines (the header is line 1;
a quoted cell spanning lines counts each of its lines).
"""

import csv
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from rest_framework import exceptions

from accounts.models import User
from defarm.api.exceptions import ApiError
from items.identifiers import KNOWN_NAMESPACES
from items.services.items import MAX_BATCH, BatchResult, items_create_bulk
from items.services.writes import WriteStatus

CSV_PREFIX_CANONICAL = "canonical:"
CSV_PREFIX_CONTEXTUAL = "id:"
CSV_PREFIX_DATA = "data:"
CSV_PREFIX_JSON = "json:"
CSV_COLUMN_NAMESPACE = "namespace"
CSV_COLUMN_SOURCE_ENTRY = "source_entry"
# At most this many per-row errors are listed in a report; all are counted.
MAX_REPORTED_ERRORS = 1000


@dataclass(frozen=True)
class CsvColumn:
    kind: str  # canonical, contextual, data, json, namespace, source_entry
    name: str = ""  # identifier key or enriched-data key
    namespace: str | None = None


@dataclass
class ImportRowError:
    line: int
    status: str  # invalid or conflict
    error: str
    conflict_id: str | None = None
    conflicting_dfids: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass
class ImportReport:
    """What an import did: counts per status, and the failed rows with their lines."""

    rows: int = 0
    created: int = 0
    enriched: int = 0
    conflicts: int = 0
    invalid: int = 0
    chunks: int = 0
    errors: list[ImportRowError] = field(default_factory=list)

    @property
    def errors_truncated(self) -> bool:
        return self.conflicts + self.invalid > len(self.errors)

    def add(self, *, line: int, result: BatchResult) -> None:
        self.rows += 1
        if result.status == WriteStatus.CREATED:
            self.created += 1
        elif result.status == WriteStatus.ENRICHED:
            self.enriched += 1
        else:
            if result.status == WriteStatus.CONFLICT:
                self.conflicts += 1
            else:
                self.invalid += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(
                    ImportRowError(
                        line=line,
                        status=result.status,
                        error=result.error or "",
                        conflict_id=result.conflict_id,
                        conflicting_dfids=result.conflicting_dfids,
                    )
                )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "enriched": self.enriched,
            "conflicts": self.conflicts,
            "invalid": self.invalid,
            "errors": [error.as_dict() for error in self.errors],
            "errors_truncated": self.errors_truncated,
        }


def _header_error(message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({"header": [f"Line 1: {message}"]})


def _identifier_column(kind: str, rest: str, raw: str) -> CsvColumn:
    parts = rest.split(":")
    if len(parts) == 1 and parts[0]:
        return CsvColumn(kind=kind, name=parts[0])
    if len(parts) == 2 and all(parts):
        if parts[0] not in KNOWN_NAMESPACES:
            raise _header_error(
                f"column '{raw}' names an unknown namespace '{parts[0]}' "
                f"(known: {', '.join(KNOWN_NAMESPACES)})."
            )
        return CsvColumn(kind=kind, name=parts[1], namespace=parts[0])
    raise _header_error(f"column '{raw}' is not <prefix><key> or <prefix><namespace>:<key>.")


def csv_header_parse(header: list[str]) -> list[CsvColumn]:
    """The columns a header row names; a 400 naming the first bad column otherwise."""
    columns: list[CsvColumn] = []
    seen: set[tuple[str, str, str | None]] = set()
    for position, cell in enumerate(header, start=1):
        raw = cell.strip()
        lowered = raw.lower()
        if not raw:
            raise _header_error(f"column {position} has no name.")
        if lowered == CSV_COLUMN_NAMESPACE:
            column = CsvColumn(kind="namespace")
        elif lowered == CSV_COLUMN_SOURCE_ENTRY:
            column = CsvColumn(kind="source_entry")
        elif lowered.startswith(CSV_PREFIX_CANONICAL):
            column = _identifier_column("canonical", raw[len(CSV_PREFIX_CANONICAL) :], raw)
        elif lowered.startswith(CSV_PREFIX_CONTEXTUAL):
            column = _identifier_column("contextual", raw[len(CSV_PREFIX_CONTEXTUAL) :], raw)
        elif lowered.startswith(CSV_PREFIX_DATA) and raw[len(CSV_PREFIX_DATA) :]:
            column = CsvColumn(kind="data", name=raw[len(CSV_PREFIX_DATA) :])
        elif lowered.startswith(CSV_PREFIX_JSON) and raw[len(CSV_PREFIX_JSON) :]:
            column = CsvColumn(kind="json", name=raw[len(CSV_PREFIX_JSON) :])
        else:
            raise _header_error(
                f"column '{raw}' is not canonical:<key>, id:<key>, data:<name>, json:<name>, "
                "namespace or source_entry."
            )
        identity = (
            "data" if column.kind in ("data", "json") else column.kind,
            column.name,
            column.namespace,
        )
        if identity in seen:
            raise _header_error(f"column '{raw}' appears twice.")
        seen.add(identity)
        columns.append(column)
    if not any(column.kind in ("canonical", "contextual") for column in columns):
        raise _header_error("no identifier column (canonical:<key> or id:<key>).")
    return columns


class CsvRowError(Exception):
    """A row that cannot become an item; reported with its line, nothing written for it."""


def csv_row_item(*, columns: list[CsvColumn], cells: list[str]) -> dict[str, Any]:
    """One row as the body of ``POST /api/items``; ``CsvRowError`` when it cannot be one."""
    if len(cells) != len(columns):
        raise CsvRowError(f"expected {len(columns)} cells, found {len(cells)}.")
    namespace: str | None = None
    for column, cell in zip(columns, cells, strict=True):
        if column.kind == "namespace" and cell.strip():
            namespace = cell.strip()
    identifiers: list[dict[str, Any]] = []
    enriched: dict[str, Any] = {}
    item: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=True):
        if column.kind in ("canonical", "contextual"):
            if not cell.strip():
                continue
            identifier = {
                "key": column.name,
                "value": cell,
                "id_type": "Canonical" if column.kind == "canonical" else "Contextual",
            }
            if column.namespace or namespace:
                identifier["namespace"] = column.namespace or namespace
            identifiers.append(identifier)
        elif column.kind == "data":
            if cell != "":
                enriched[column.name] = cell
        elif column.kind == "json":
            if cell.strip() == "":
                continue
            try:
                enriched[column.name] = json.loads(cell)
            except ValueError as error:
                raise CsvRowError(f"column json:{column.name} is not JSON ({error}).") from None
        elif column.kind == "source_entry" and cell.strip():
            try:
                item["source_entry"] = uuid.UUID(cell.strip())
            except ValueError:
                raise CsvRowError(f"source_entry '{cell.strip()}' is not a UUID.") from None
    if not identifiers:
        raise CsvRowError("the row has no identifier.")
    item["identifiers"] = identifiers
    if enriched:
        item["enriched_data"] = enriched
    return item


class ImportStopped(ApiError):
    """The import stopped before the end of its rows; rows before ``line`` were imported."""


def _stopped(error: Exception, *, line: int, report: ImportReport) -> ApiError:
    """``error`` (a 402, a 403, a malformed file) re-raised with what was imported before."""
    details = {"first_line_not_imported": line, "imported": report.as_dict()}
    if isinstance(error, ApiError):
        original = {"details": error.details} if error.details else {}
        return ImportStopped(
            f"Rows from line {line} on were not imported: {error.detail}",
            code=error.error_code,
            status_code=error.status_code,
            details={**details, **original},
        )
    if isinstance(error, exceptions.APIException):
        return ImportStopped(
            f"Rows from line {line} on were not imported: {error.detail}",
            code="validation_error",
            status_code=error.status_code,
            details=details,
        )
    return ImportStopped(
        f"Rows from line {line} on were not imported: {error}",
        code="validation_error",
        status_code=400,
        details=details,
    )


def items_ingest(
    *,
    user: User,
    rows: Iterable[tuple[int, dict[str, Any] | CsvRowError]],
    source: str = "import",
    chunk_size: int = MAX_BATCH,
) -> ImportReport:
    """Create or enrich one item per ``(line, body)`` row, ``chunk_size`` rows a transaction.

    A row that is a ``CsvRowError`` (or whose body is invalid) is reported as ``invalid``,
    a conflicting one as ``conflict`` with its conflict row; neither writes anything. When a
    chunk is refused (credits short: 402, tier limit: 403) the import stops there: earlier
    chunks stay written and the error says from which line nothing was.
    """
    chunk_size = max(1, min(chunk_size, MAX_BATCH))
    report = ImportReport()
    chunk: list[tuple[int, dict[str, Any] | CsvRowError]] = []
    iterator = iter(rows)
    while True:
        try:
            for line, body in iterator:
                chunk.append((line, body))
                if len(chunk) >= chunk_size:
                    break
        except CsvFileError as error:
            _ingest_chunk(user=user, chunk=chunk, source=source, report=report)
            raise _stopped(error, line=error.line, report=report) from error
        if not chunk:
            return report
        _ingest_chunk(user=user, chunk=chunk, source=source, report=report)
        chunk = []


def _ingest_chunk(
    *,
    user: User,
    chunk: list[tuple[int, dict[str, Any] | CsvRowError]],
    source: str,
    report: ImportReport,
) -> None:
    if not chunk:
        return
    bodies = [body for _, body in chunk if not isinstance(body, CsvRowError)]
    lines = [line for line, body in chunk if not isinstance(body, CsvRowError)]
    try:
        results = items_create_bulk(user=user, items=bodies, source=source) if bodies else []
    except (ApiError, exceptions.APIException) as error:
        raise _stopped(error, line=chunk[0][0], report=report) from error
    by_line = {lines[result.index]: result for result in results}
    for line, body in chunk:
        if isinstance(body, CsvRowError):
            result = BatchResult(index=0, status=WriteStatus.INVALID, error=str(body))
        else:
            result = by_line[line]
        report.add(line=line, result=result)
    report.chunks += 1


class CsvFileError(Exception):
    """The file stops being UTF-8 or CSV at ``line``: nothing from there on can be read."""

    def __init__(self, message: str, *, line: int):
        super().__init__(message)
        self.line = line


def _blocks(stream: IO[bytes] | Iterable[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    read = getattr(stream, "read", None)
    if read is None:
        yield from stream  # type: ignore[misc]
        return
    while block := read(size):
        yield block


def _text_lines(stream: IO[bytes] | Iterable[bytes]) -> Iterator[str]:
    """Decode a byte stream as UTF-8 (a leading BOM dropped), line by line, keeping line ends.

    Bytes are split at newlines before decoding (a UTF-8 character never holds a newline
    byte), so a bad byte is reported on its own line, after every good line before it."""
    pending = b""
    line = 0
    for block in _blocks(stream):
        pending += block
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            line += 1
            yield _decoded(raw + b"\n", line=line)
    if pending:
        yield _decoded(pending, line=line + 1)


def _decoded(raw: bytes, *, line: int) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CsvFileError(f"the file is not UTF-8 text ({error.reason}).", line=line) from None
    return text.removeprefix("\ufeff") if line == 1 else text


def csv_rows(lines: Iterable[str]) -> tuple[list[CsvColumn], Iterator[tuple[int, Any]]]:
    """The header's columns, and ``(line, item body or CsvRowError)`` for every data row."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise _header_error("the file is empty; a header row names the columns.") from None
    except csv.Error as error:
        raise _header_error(f"the header row is not CSV ({error}).") from None
    except CsvFileError as error:
        raise _header_error(str(error)) from None
    columns = csv_header_parse(header)

    def rows() -> Iterator[tuple[int, Any]]:
        previous = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise CsvFileError(f"the file is not CSV ({error}).", line=previous + 1) from None
            line = previous + 1
            previous = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            try:
                yield line, csv_row_item(columns=columns, cells=cells)
            except CsvRowError as error:
                yield line, error

    return columns, rows()


def items_import_csv(
    *,
    user: User,
    stream: IO[bytes] | Iterable[bytes],
    chunk_size: int = MAX_BATCH,
    source: str = "csv",
) -> ImportReport:
    """Import items from CSV bytes (header convention in this module's docstring), streamed
    in chunks of ``chunk_size`` rows, each chunk one transaction.

    A bad header is a 400 before anything is written. Per-row errors (bad cells, invalid
    identifiers, conflicts) are reported with their line numbers and write nothing for that
    row; other rows go on. A refused chunk (402/403) or a file that stops being CSV/UTF-8
    stops the import with an error naming the first line not imported.
    """
    _, rows = csv_rows(_text_lines(stream))
    return items_ingest(user=user, rows=rows, source=source, chunk_size=chunk_size)
