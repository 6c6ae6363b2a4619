"""Validation of EPCIS 2.0 documents: the official JSON Schema (local copy) plus the Core
Business Vocabulary rules the schema cannot express."""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import ValidationError, best_match

from items.epcis.vocabulary import (
    CONTEXT_URLS,
    EVENT_TYPES,
    RESOURCES,
    SENSOR_METADATA_FIELDS,
    SENSOR_REPORT_HASHED_FIELDS,
    standard_prefixes,
    vocabulary_error,
)

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|z|[+-]\d{2}:\d{2})$")
_TIMEZONE_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")
# Keys whose names are the standard's own; any other key of an event is an extension.
_TIME_FIELDS = ("eventTime", "recordTime")

# Only the date-time format is checked by the schema: the official examples rely on ``uri`` not
# being checked (bare measurement types, persistentDisposition on an AggregationEvent), so the
# names and namespaces of fields are checked by the vocabulary rules below instead.
_format_checker = jsonschema.FormatChecker(formats=())


@_format_checker.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or date_time_parse(value) is not None


@lru_cache(maxsize=65536)
def date_time_parse(value: str) -> datetime | None:
    """An RFC 3339 date-time with its offset, or ``None``. Cached: a capture reads each event
    time three times (validation, event hash, the stored column)."""
    if not _DATE_TIME.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


@cache
def _validator() -> jsonschema.Draft7Validator:
    with (RESOURCES / "EPCIS-JSON-Schema.json").open(encoding="utf-8") as file:
        schema = json.load(file)
    return jsonschema.Draft7Validator(schema, format_checker=_format_checker)


@cache
def _fast_validator() -> jsonschema_rs.Draft7Validator:
    """The same schema and format rules, compiled (Rust): a valid document, the usual case,
    is checked ~300 times faster; only an invalid one goes through ``_validator`` for
    readable reasons."""
    with (RESOURCES / "EPCIS-JSON-Schema.json").open(encoding="utf-8") as file:
        schema = json.load(file)
    return jsonschema_rs.Draft7Validator(
        schema,
        validate_formats=True,
        formats={
            "uri": lambda value: True,
            "date-time": lambda value: date_time_parse(value) is not None,
        },
        offline=True,
    )


@dataclass
class DocumentErrors:
    """What is wrong with a document: errors of the document itself, and per event index."""

    document: list[str] = field(default_factory=list)
    events: dict[int, list[str]] = field(default_factory=dict)

    def add_event(self, index: int, message: str) -> None:
        self.events.setdefault(index, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.document and not self.events

    def first(self) -> str:
        if self.document:
            return self.document[0]
        index = min(self.events)
        return f"event {index}: {self.events[index][0]}"


def _path_text(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _deepest(error: ValidationError) -> ValidationError:
    """The most specific cause of an ``anyOf``/``allOf`` failure."""
    while error.context:
        error = best_match(error.context)
    return error


def _schema_message(error: ValidationError, *, depth: int = 0) -> str:
    cause = _deepest(error)
    path = _path_text(list(cause.absolute_path)[depth:])
    message = cause.message
    if len(message) > 300:
        message = message[:300] + "..."
    return f"{path}: {message}" if path else message


def _waived(error: ValidationError) -> bool:
    """Whether ``error`` is the one rule of the JSON Schema DeFarm does not apply: a
    ``sensorReport`` without ``type`` that reports an ``exception``. The standard's own XML
    schema (``EPCglobal-epcis-2_0.xsd``, ``SensorReportType``) makes ``type`` optional, and an
    alarm or error report names what it is in ``exception`` (``ALARM_CONDITION``,
    ``ERROR_CONDITION``); the JSON Schema alone requires ``type``. A report with neither is
    still refused."""
    path = list(error.absolute_path)
    return (
        error.validator == "required"
        and error.validator_value == ["type"]
        and len(path) >= 2
        and path[-2] == "sensorReport"
        and isinstance(path[-1], int)
        and isinstance(error.instance, dict)
        and "exception" in error.instance
    )


def event_list_of(document: dict[str, Any]) -> list[Any] | None:
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        return None
    if document.get("type") == "EPCISQueryDocument":
        results = body.get("queryResults")
        body = results.get("resultsBody") if isinstance(results, dict) else None
        if not isinstance(body, dict):
            return None
    events = body.get("eventList")
    return events if isinstance(events, list) else None


def _event_path_prefix(document: dict[str, Any]) -> list[str]:
    if document.get("type") == "EPCISQueryDocument":
        return ["epcisBody", "queryResults", "resultsBody", "eventList"]
    return ["epcisBody", "eventList"]


def _context_prefixes(context: Any) -> set[str]:
    prefixes: set[str] = set()
    entries = context if isinstance(context, list) else [context]
    for entry in entries:
        if isinstance(entry, dict):
            prefixes.update(key for key in entry if not key.startswith("@"))
    return prefixes


def _context_errors(context: Any) -> list[str]:
    entries = context if isinstance(context, list) else [context]
    errors = []
    for entry in entries:
        if isinstance(entry, str) and entry not in CONTEXT_URLS:
            errors.append(
                f"@context: {entry!r} is not the EPCIS 2.0 context; only "
                f"{sorted(CONTEXT_URLS)[0]} (or its versioned URL) can be resolved, and "
                "namespaces of extensions are given inline as objects."
            )
    if not any(isinstance(entry, str) for entry in entries):
        errors.append("@context: the EPCIS 2.0 context URL is missing.")
    return errors


_STANDARD_SCHEMES = ("http", "https", "urn")


def _key_error(key: str, prefixes: set[str]) -> str | None:
    if key.startswith("@") or ":" not in key:
        return None
    prefix = key.split(":", 1)[0]
    if prefix in prefixes or prefix in _STANDARD_SCHEMES:
        return None
    return f"the namespace prefix {prefix!r} of {key!r} is not defined in @context."


def _keys_valid(value: Any, prefixes: set[str]) -> bool:
    """Whether every key at any depth passes ``_key_error`` (no paths built: the usual case)."""
    if isinstance(value, dict):
        for key, child in value.items():
            if ":" in key and _key_error(key, prefixes):
                return False
            if isinstance(child, (dict, list)) and not _keys_valid(child, prefixes):
                return False
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, (dict, list)) and not _keys_valid(child, prefixes):
                return False
    return True


def _walk_keys(value: Any, path: str, prefixes: set[str], errors: list[str]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            problem = _key_error(key, prefixes)
            if problem:
                errors.append(f"{path}.{key}: {problem}")
            _walk_keys(child, f"{path}.{key}", prefixes, errors)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _walk_keys(child, f"{path}[{index}]", prefixes, errors)


_EVENT_FIELDS = frozenset(
    [
        "type",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "certificationInfo",
        "errorDeclaration",
        "action",
        "epcList",
        "quantityList",
        "bizStep",
        "disposition",
        "persistentDisposition",
        "readPoint",
        "bizLocation",
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "ilmd",
        "parentID",
        "childEPCs",
        "childQuantityList",
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
    ]
)
_SENSOR_METADATA_FIELDS = frozenset(SENSOR_METADATA_FIELDS)
_SENSOR_REPORT_FIELDS = frozenset((*SENSOR_REPORT_HASHED_FIELDS, "bizRules"))


def _standard_positions(event: dict[str, Any]):
    """(path, object, its standard field names) for every object whose other keys are
    extensions."""
    yield "", event, _EVENT_FIELDS
    if isinstance(event.get("ilmd"), dict):
        yield "ilmd.", event["ilmd"], frozenset()
    for name in ("readPoint", "bizLocation"):
        if isinstance(event.get(name), dict):
            yield f"{name}.", event[name], frozenset({"id"})
    if isinstance(event.get("errorDeclaration"), dict):
        known = frozenset({"declarationTime", "reason", "correctiveEventIDs"})
        yield "errorDeclaration.", event["errorDeclaration"], known
    elements = event.get("sensorElementList")
    for index, element in enumerate(elements if isinstance(elements, list) else []):
        if not isinstance(element, dict):
            continue
        path = f"sensorElementList[{index}]."
        yield path, element, frozenset({"sensorMetadata", "sensorReport"})
        if isinstance(element.get("sensorMetadata"), dict):
            yield path + "sensorMetadata.", element["sensorMetadata"], _SENSOR_METADATA_FIELDS
        reports = element.get("sensorReport")
        for number, report in enumerate(reports if isinstance(reports, list) else []):
            if isinstance(report, dict):
                yield f"{path}sensorReport[{number}].", report, _SENSOR_REPORT_FIELDS


def event_vocabulary_errors(event: dict[str, Any], *, prefixes: set[str]) -> list[str]:
    """The CBV rules the JSON Schema leaves open, for one event."""
    errors: list[str] = []
    for name in ("bizStep", "disposition"):
        value = event.get(name)
        if isinstance(value, str):
            problem = vocabulary_error(value, field=name)
            if problem:
                errors.append(f"{name}: {problem}")
    persistent = event.get("persistentDisposition")
    if isinstance(persistent, dict):
        for part in ("set", "unset"):
            for value in persistent.get(part) or []:
                if isinstance(value, str):
                    problem = vocabulary_error(value, field="disposition")
                    if problem:
                        errors.append(f"persistentDisposition.{part}: {problem}")
    for name in _TIME_FIELDS:
        value = event.get(name)
        if isinstance(value, str) and date_time_parse(value) is None:
            errors.append(f"{name}: {value!r} is not an RFC 3339 date-time with its offset.")
    offset = event.get("eventTimeZoneOffset")
    if isinstance(offset, str) and not _TIMEZONE_OFFSET.match(offset):
        errors.append(f"eventTimeZoneOffset: {offset!r} is not of the form +hh:mm or -hh:mm.")
    event_type = event.get("type")
    if isinstance(event_type, str) and event_type not in EVENT_TYPES and ":" not in event_type:
        errors.append(
            f"type: {event_type!r} is not an EPCIS event type; an event type of your own must "
            "be namespaced (prefix:name, the prefix defined in @context)."
        )
    for path, value, known in _standard_positions(event):
        for key in value:
            if ":" not in key and not key.startswith("@") and key not in known:
                errors.append(
                    f"{path}{key}: not a field of EPCIS 2.0; an extension field must be "
                    "namespaced (prefix:name, the prefix defined in @context)."
                )
    local_prefixes = prefixes | _context_prefixes(event.get("@context"))
    if not _keys_valid(event, local_prefixes):
        _walk_keys(event, "", local_prefixes, errors)
    return [error.removeprefix(".") for error in errors]


def document_validate(document: Any) -> DocumentErrors:
    """Every reason ``document`` (an EPCISDocument or EPCISQueryDocument) is not acceptable."""
    errors = DocumentErrors()
    if not isinstance(document, dict):
        errors.document.append("The body must be a JSON object (an EPCISDocument).")
        return errors
    if document.get("type") not in ("EPCISDocument", "EPCISQueryDocument"):
        errors.document.append(
            f"type: {document.get('type')!r}; capture takes an EPCISDocument or an "
            "EPCISQueryDocument."
        )
        return errors
    if "@context" in document:
        errors.document.extend(_context_errors(document["@context"]))
    event_prefix = _event_path_prefix(document)
    depth = len(event_prefix)
    schema_errors = (
        [] if _fast_validator().is_valid(document) else _validator().iter_errors(document)
    )
    for error in schema_errors:
        if _waived(error):
            continue
        path = list(error.absolute_path)
        if len(path) > depth and path[:depth] == event_prefix and isinstance(path[depth], int):
            # The message names the event's own fields, not the document around them.
            errors.add_event(path[depth], _schema_message(error, depth=depth + 1))
        else:
            errors.document.append(_schema_message(error))
    events = event_list_of(document)
    if events is None:
        if not errors.document:
            errors.document.append("epcisBody.eventList is missing.")
        return errors
    prefixes = set(standard_prefixes()) | _context_prefixes(document.get("@context"))
    for index, event in enumerate(events):
        if isinstance(event, dict):
            for message in event_vocabulary_errors(event, prefixes=prefixes):
                if message not in errors.events.get(index, []):
                    errors.add_event(index, message)
    for messages in errors.events.values():
        messages[:] = list(dict.fromkeys(messages))
    return errors


@cache
def _query_validator() -> jsonschema.Draft7Validator:
    with (RESOURCES / "epcis-query-schema.json").open(encoding="utf-8") as file:
        schema = json.load(file)
    return jsonschema.Draft7Validator(schema, format_checker=_format_checker)


def query_definition_errors(query: Any) -> list[str]:
    """Why ``query`` is not a valid EPCIS events query (the standard's query schema)."""
    if not isinstance(query, dict):
        return ["query: an EPCIS events query is a JSON object."]
    return [_schema_message(error) for error in _query_validator().iter_errors(query)]
