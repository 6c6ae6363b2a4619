"""The Core Business Vocabulary as the official JSON-LD context defines it (read from the local
copy in ``resources/``; nothing is fetched from the network)."""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).resolve().parent / "resources"

# The URLs documents name the official context by; all resolve to the local copy.
CONTEXT_URLS = frozenset(
    {
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    }
)
CONTEXT_URL = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
ACTIONS = ("ADD", "OBSERVE", "DELETE")

# The fields of a sensor element's metadata and of its reports, in the order the standard's event
# hash lists them (a report's ``bizRules`` is accepted but not hashed).
SENSOR_METADATA_FIELDS = (
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
)
SENSOR_REPORT_HASHED_FIELDS = (
    "type",
    "exception",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "time",
    "microorganism",
    "chemicalSubstance",
    "value",
    "component",
    "stringValue",
    "booleanValue",
    "hexBinaryValue",
    "uriValue",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
    "uom",
    "coordinateReferenceSystem",
)

CBV_WEB = "https://ref.gs1.org/cbv/"
# Field -> (web vocabulary prefix, URN prefix of CBV 1.x) of its standard values.
_VOCABULARY_PREFIXES = {
    "bizStep": ("BizStep-", "urn:epcglobal:cbv:bizstep:"),
    "disposition": ("Disp-", "urn:epcglobal:cbv:disp:"),
    "bizTransaction": ("BTT-", "urn:epcglobal:cbv:btt:"),
    "sourceDest": ("SDT-", "urn:epcglobal:cbv:sdt:"),
    "errorReason": ("ER-", "urn:epcglobal:cbv:er:"),
}

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


@cache
def standard_context() -> dict[str, Any]:
    with (RESOURCES / "epcis-context.jsonld").open(encoding="utf-8") as file:
        return json.load(file)


@cache
def standard_prefixes() -> dict[str, str]:
    """The prefixes the standard context defines (``cbv``, ``gs1``, ``epcis``...)."""
    return {
        term: value
        for term, value in standard_context()["@context"].items()
        if isinstance(value, str) and value.endswith(("/", "#", ":"))
    }


@cache
def scoped_values() -> dict[str, dict[str, str]]:
    """For each field with a vocabulary of bare names: bare name -> full URI."""
    prefixes = standard_prefixes()
    values: dict[str, dict[str, str]] = {}
    for term, definition in standard_context()["@context"].items():
        if not isinstance(definition, dict) or not isinstance(definition.get("@context"), dict):
            continue
        mapping = {}
        for bare, curie in definition["@context"].items():
            if not isinstance(curie, str) or ":" not in curie:
                continue
            prefix, local = curie.split(":", 1)
            mapping[bare] = prefixes.get(prefix, prefix + ":") + local
        if mapping:
            values[term] = mapping
    return values


BIZ_TRANSACTION_TYPES = frozenset(
    [
        "bol",
        "cert",
        "desadv",
        "inv",
        "pedigree",
        "po",
        "poc",
        "prodorder",
        "recadv",
        "rma",
        "testprd",
        "testres",
        "upevt",
    ]
)


def standard_names(field: str) -> frozenset[str]:
    if field == "bizTransaction":
        return BIZ_TRANSACTION_TYPES
    return frozenset(scoped_values().get(field, {}))


def is_uri(value: str) -> bool:
    return bool(_URI.match(value))


def vocabulary_bare_name(value: str, *, field: str) -> str | None:
    """The standard bare name ``value`` stands for (given bare, as CBV 1.x URN or as web URI),
    or ``None`` when it is not a standard value of ``field``."""
    names = standard_names(field)
    web, urn = _VOCABULARY_PREFIXES[field]
    for prefix in (CBV_WEB + web, urn, "cbv:" + web):
        if value.startswith(prefix):
            value = value.removeprefix(prefix)
            return value if value in names else None
    return value if value in names else None


def vocabulary_error(value: str, *, field: str) -> str | None:
    """Why ``value`` is not acceptable for ``field``: neither a standard name (in any of its
    forms) nor a URI of someone else's vocabulary."""
    if vocabulary_bare_name(value, field=field) is not None:
        return None
    if value.startswith((CBV_WEB, "urn:epcglobal:cbv:", "https://ns.gs1.org/cbv/")):
        return f"{value!r} is in the CBV namespace but is not a standard {field} value."
    if not is_uri(value):
        return (
            f"{value!r} is not a standard {field} of CBV 2.0; a {field} of your own must be a "
            f"URI (e.g. https://example.com/{field}/{value})."
        )
    return None


def vocabulary_normal_form(value: str | None, *, field: str) -> str:
    """The form a value is stored and matched in: the bare name when standard, else as given."""
    if not value:
        return ""
    return vocabulary_bare_name(value, field=field) or value


def vocabulary_uri(value: str, *, field: str) -> str:
    """The full web-vocabulary URI of a standard value (as given when not standard)."""
    bare = vocabulary_bare_name(value, field=field)
    if bare is None:
        return value
    return CBV_WEB + _VOCABULARY_PREFIXES[field][0] + bare
