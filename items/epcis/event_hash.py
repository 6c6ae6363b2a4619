"""The EPCIS event hash of CBV 2.0 (§ 8.9): ``ni:///sha-256;<hex>?ver=CBV2.0``.

An event's pre-hash string lists its fields in the standard's order (``eventType=...`` then
``eventTime=...`` ...), each value in canonical form: timestamps in UTC at millisecond precision,
standard vocabulary as web URIs, GS1 keys as canonical Digital Links, numbers without padding;
repeated values are sorted, and user extensions follow as ``{namespace}name=value``. This module
follows the reference implementation (``epcis-event-hash-generator``) step for step, without its
network access, process-wide state, or its failure on list entries with a single field.
"""

import hashlib
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from items.epcis.identifiers import canonical_identifier, check_digit
from items.epcis.validation import date_time_parse
from items.epcis.vocabulary import (
    SENSOR_METADATA_FIELDS,
    SENSOR_REPORT_HASHED_FIELDS,
    standard_context,
    standard_prefixes,
)

Node = tuple[Any, str, list]

# (field, order of its children) -- the standard's order of an event's fields.
_QUANTITY = [("quantityElement", [("epcClass", None), ("quantity", None), ("uom", None)])]
PROPERTY_ORDER: list[tuple[Any, Any]] = [
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", [("epc", None)]),
    ("inputEPCList", [("epc", None)]),
    ("childEPCs", [("epc", None)]),
    ("quantityList", _QUANTITY),
    ("childQuantityList", _QUANTITY),
    ("inputQuantityList", _QUANTITY),
    ("outputEPCList", [("epc", None)]),
    ("outputQuantityList", _QUANTITY),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]),
    ("bizLocation", [("id", None)]),
    ("bizTransactionList", [(("type", None), ("bizTransaction", None))]),
    ("sourceList", [(("type", None), ("source", None))]),
    ("destinationList", [(("type", None), ("destination", None))]),
    (
        "sensorElementList",
        [
            (
                "sensorElement",
                [
                    (
                        "sensorMetadata",
                        [(name, None) for name in SENSOR_METADATA_FIELDS],
                    ),
                    (
                        "sensorReport",
                        [(name, None) for name in SENSOR_REPORT_HASHED_FIELDS],
                    ),
                ],
            )
        ],
    ),
]
_IGNORED_FIELDS = ("recordTime", "eventID", "type", "errorDeclaration")
_IGNORED_KEYS = ("#text", "rdfs:comment", "comment")
_UNSORTED_KEYS = ("bizTransaction", "source", "destination")
_PAIR_LISTS = ("sourceList", "destinationList", "bizTransactionList")
_CBV_URNS = (
    ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
    ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
)


def _expand_curie(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return standard_prefixes().get(prefix, prefix + ":") + local


def _bare_values() -> dict[str, str]:
    """Every bare name the standard context defines for a value (``shipping``, ``location``,
    ``Temperature``...) -> its web vocabulary URI (CBV or GS1 Web Vocabulary only)."""
    found: dict[str, set[str]] = {}

    def walk(definition: Any) -> None:
        if not isinstance(definition, dict):
            return
        scoped = definition.get("@context")
        if isinstance(scoped, dict):
            for term, value in scoped.items():
                if isinstance(value, str) and ":" in value and not term.startswith("@"):
                    uri = _expand_curie(value)
                    if uri.startswith(("https://ref.gs1.org/cbv", "https://gs1.org/voc")):
                        found.setdefault(term, set()).add(uri)
                else:
                    walk(value)
        for value in definition.values():
            if isinstance(value, dict) and value is not scoped:
                walk(value)

    for definition in standard_context()["@context"].values():
        walk(definition)
    return {term: next(iter(uris)) for term, uris in found.items() if len(uris) == 1}


_BARE_VALUES: dict[str, str] | None = None


def _bare_value(value: str) -> str:
    global _BARE_VALUES
    if _BARE_VALUES is None:
        _BARE_VALUES = _bare_values()
    return _BARE_VALUES.get(value, value)


def _expand_bare_strings(value: Any) -> Any:
    if isinstance(value, str):
        return _bare_value(value)
    if isinstance(value, list):
        return [_expand_bare_strings(each) for each in value]
    if isinstance(value, dict):
        return {key: _expand_bare_strings(each) for key, each in value.items()}
    return value


def _namespaces_of(context: Any) -> dict[str, str]:
    namespaces: dict[str, str] = {}
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if isinstance(value, str):
                    namespaces[key] = value
    return namespaces


def _namespace_replace(text: str, namespaces: dict[str, str], *, is_value: bool) -> str:
    prefix, colon, local = text.partition(":")
    if colon and prefix in namespaces:
        return namespaces[prefix] + local if is_value else "{" + namespaces[prefix] + "}" + local
    return text


def _scalar_text(value: Any) -> str:
    if value is True or value is False:
        return str(value)
    return str(value)


def _to_nodes(value: Any, namespaces: dict[str, str]) -> Node:
    """JSON -> (name, text, children), as the reference's ``_json_to_py``."""
    if isinstance(value, list):
        node: Node = ("", "", [_to_nodes(child, namespaces) for child in value])
        node[2].sort()
        return node
    if isinstance(value, dict):
        name = value.get("type", "")
        text = value.get("#text", "")
        children: list = []
        for key, child_value in value.items():
            if key in _IGNORED_KEYS:
                continue
            child = _to_nodes(child_value, namespaces)
            key = _namespace_replace(key, namespaces, is_value=False)
            if isinstance(child_value, list):
                children.extend((key, element[1], element[2]) for element in child[2])
            else:
                children.append((key, child[1], child[2]))
        if not any(key in value for key in _UNSORTED_KEYS):
            children.sort()
        return (name if isinstance(name, str) else "", text, children)
    if isinstance(value, str):
        value = _namespace_replace(value, namespaces, is_value=True)
    return ("", _scalar_text(value), [])


def _rename(node: Node) -> Node:
    name, text, children = node
    if name in ("inputEPC", "outputEPC"):
        return ("epc", text, children)
    if name in ("inputQuantity", "outputQuantity", "childQuantity") or (
        name == "quantity" and children
    ):
        return ("quantityElement", text, children)
    return node


def _correct_structure(node: Node) -> Node:
    """The JSON form's lists as the XML form's elements (``epcList`` -> ``epc`` children...)."""
    children = list(node[2]) if len(node) > 2 else []
    lists: dict[str, list] = {}
    for element in [e for e in children if not isinstance(e[0], tuple) and e[0].endswith("List")]:
        lists.setdefault(element[0], []).append((element[0][:-4], element[1], element[2]))
        children.remove(element)
    for list_name, elements in lists.items():
        if list_name in _PAIR_LISTS:
            pairs = [tuple(element[2][:2]) for element in elements]
            children.append((list_name, "", pairs))
        else:
            children.append((list_name, "", elements))
    child_epcs = [element for element in children if element[0] == "childEPCs"]
    if child_epcs:
        for element in child_epcs:
            children.remove(element)
        children.append(("childEPCs", "", [("epc", element[1], []) for element in child_epcs]))
    corrected = [
        element if element[0] in _PAIR_LISTS else _correct_structure(element)
        for element in children
    ]
    return _rename((node[0], node[1], corrected))


def _timestamp(text: str) -> str:
    moment = date_time_parse(text)
    if moment is None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.astimezone()
    moment = moment.astimezone(UTC)
    moment = moment.replace(microsecond=round(moment.microsecond, -3) % 1_000_000)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def _numeric(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return str(int(number)) if int(number) == number else str(number)


_KEY_AIS = [
    "00",
    "01",
    "253",
    "255",
    "401",
    "402",
    "414",
    "417",
    "8003",
    "8004",
    "8006",
    "8010",
    "8017",
    "8018",
]
_SHORT_NAMES = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017",
    "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402",
    "grai": "8003", "giai": "8004", "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip
_PGLN = re.compile(r"^urn:epc:id:pgln:(\d{6,12})\.(\d{0,6})$")
_GSRN = re.compile(r"^urn:epc:id:(gsrnp?):(\d{6,12})\.(\d{5,11})$")
_GDTI = re.compile(r"^urn:epc:id:gdti:(\d{6,12})\.(\d{0,6})\.(.{1,17})$")
_SGTIN_PATTERN = re.compile(r"^urn:epc:idpat:sgtin:(\d{6,12})\.(\d{1,7})\.\*$")


def _digital_link_canonical(text: str) -> str | None:
    """A Digital Link on any host, as the canonical one on id.gs1.org (the reference's rules:
    short names as AIs, no query string, GTINs of 14 digits, the lowest level only)."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        return None
    segments = [_SHORT_NAMES.get(segment, segment) for segment in parts.path.split("/")]
    start = next((i for i, segment in enumerate(segments) if segment in _KEY_AIS), None)
    if start is None or start + 1 >= len(segments) or len(segments[start + 1]) < 4:
        return None
    segments = [segment for segment in segments[start:] if segment]
    if segments[0] == "01" and segments[1].isdigit() and len(segments[1]) < 14:
        segments[1] = segments[1].zfill(14)
    pairs = dict(zip(segments[2::2], segments[3::2], strict=False))
    pairs.pop("22", None)
    if "21" in pairs:
        pairs.pop("10", None)
    path = "/".join([segments[0], segments[1], *[f"{ai}/{value}" for ai, value in pairs.items()]])
    return f"https://id.gs1.org/{path}"


def _identifier_canonical(text: str) -> str:
    if text.startswith("urn:epc:"):
        if match := _PGLN.match(text):
            body = match[1] + match[2]
            if len(body) == 12:
                return f"https://id.gs1.org/417/{body}{check_digit(body)}"
        if (match := _GSRN.match(text)) and len(match[2]) + len(match[3]) == 17:
            body = match[2] + match[3]
            ai = "8018" if match[1] == "gsrn" else "8017"
            return f"https://id.gs1.org/{ai}/{body}{check_digit(body)}"
        if (match := _GDTI.match(text)) and len(match[1]) + len(match[2]) == 12:
            body = match[1] + match[2]
            return f"https://id.gs1.org/253/{body}{check_digit(body)}{match[3]}"
        if (match := _SGTIN_PATTERN.match(text)) and len(match[1]) + len(match[2]) == 13:
            body = match[2][0] + match[1] + match[2][1:]
            return f"https://id.gs1.org/01/{body}{check_digit(body)}"
        return canonical_identifier(text)
    return _digital_link_canonical(text) or text


@lru_cache(maxsize=65536)
def _canonical_value(text: str) -> str:
    for urn, web in _CBV_URNS:
        text = text.replace(urn, web)
    text = _numeric(text)
    return _identifier_canonical(text)


def _child_text(child: Node, order: Any) -> str:
    grandchildren = _in_order(child[2], order) if order else ""
    text = ""
    if child[1]:
        text = child[1].strip()
        lowered = child[0].lower() if isinstance(child[0], str) else ""
        if "time" in lowered and "offset" not in lowered:
            text = _timestamp(text)
        else:
            text = _canonical_value(text)
        if text:
            text = "=" + text
    if text or grandchildren:
        return f"{child[0]}{text}{grandchildren}"
    return ""


def _user_extensions(children: list) -> list:
    if len(children) <= 1:
        return []
    if any(
        isinstance(child[0], str) and ("eventTime" in child[0] or "action" in child[0])
        for child in children
    ):
        return []
    extensions = [
        child
        for child in children
        if isinstance(child[0], str) and "{" in child[0] and "/}" in child[0]
    ]
    for extension in extensions:
        children.remove(extension)
    return extensions


def _in_order(children: list, order: Any) -> str:
    pre_hash = ""
    extensions = _user_extensions(children)
    for name, sub_order in order:
        matching = [child for child in children if child[0] == name]
        values = []
        for child in matching:
            text = _child_text(child, sub_order)
            if text:
                values.append(text)
            if len(child[2]) == 0:
                children.remove(child)
        values.sort()
        if "".join(values):
            pre_hash = pre_hash + "".join(values)
    if extensions:
        pre_hash += _generic(extensions)
    return pre_hash


def _should_sort(children: list) -> bool:
    return not any(child[0] in _UNSORTED_KEYS for child in children)


def _generic(children: list) -> str:
    values = []
    for child in children:
        if isinstance(child, tuple) and child and isinstance(child[0], tuple):
            # A (type, value) pair of a source/destination/bizTransaction list (either part
            # may be missing).
            values.append(_generic(list(child)))
        else:
            text = child[1].strip()
            if text:
                text = "=" + _canonical_value(text)
            values.append(f"{child[0]}{text}{_generic(child[2])}")
    if len(children) > 1 and _should_sort(children):
        values.sort()
    return "".join(values)


# The fields of a plain event (the common case: one level of strings), and how each is
# held: a string, a list of strings, or an object holding only an ``id`` string; in the
# standard's order. ``_plain_pre_hash`` builds its pre-hash string directly.
_PLAIN_ORDER = (
    ("eventTime", "text"),
    ("eventTimeZoneOffset", "text"),
    ("parentID", "text"),
    ("epcList", "list"),
    ("inputEPCList", "list"),
    ("childEPCs", "list"),
    ("outputEPCList", "list"),
    ("action", "text"),
    ("transformationID", "text"),
    ("bizStep", "text"),
    ("disposition", "text"),
    ("readPoint", "id"),
    ("bizLocation", "id"),
)
_PLAIN_KINDS = dict(_PLAIN_ORDER) | {"type": "text", "eventID": "text", "recordTime": "text"}


def _plain_text(name: str, value: str, namespaces: dict[str, str]) -> str:
    """A value as ``_child_text`` writes it (after ``=``); empty when it writes nothing."""
    text = _namespace_replace(_bare_value(value), namespaces, is_value=True).strip()
    if not text:
        return ""
    return _timestamp(text) if name == "eventTime" else _canonical_value(text)


def _plain_pre_hash(event: dict[str, Any], namespaces: dict[str, str]) -> str | None:
    """The pre-hash string of an event made only of ``_PLAIN_ORDER``'s fields in their plain
    shapes (what the general walk below computes for it, without building its tree); ``None``
    for any other event."""
    for key, value in event.items():
        kind = _PLAIN_KINDS.get(key)
        if kind == "text":
            if not isinstance(value, str):
                return None
        elif kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return None
        elif kind == "id":
            if not isinstance(value, dict) or value.keys() != {"id"}:
                return None
            if not isinstance(value["id"], str):
                return None
        elif key != "@context":
            return None
    parts = [f"eventType={event.get('type', '')}"]
    for name, kind in _PLAIN_ORDER:
        if name not in event:
            continue
        value = event[name]
        if kind == "text":
            if text := _plain_text(name, value, namespaces):
                parts.append(f"{name}={text}")
        elif kind == "list":
            values = [f"epc={text}" for v in value if (text := _plain_text("epc", v, namespaces))]
            if values:
                values.sort()
                parts.append(name + "".join(values))
        elif text := _plain_text("id", value["id"], namespaces):
            parts.append(f"{name}id={text}")
    return "".join(parts)


def event_pre_hash(event: dict[str, Any], *, context: Any = None) -> str:
    """The pre-hash string of one event; ``context`` is the ``@context`` of its document."""
    namespaces = _namespaces_of(context) | _namespaces_of(event.get("@context"))
    plain = _plain_pre_hash(event, namespaces)
    if plain is not None:
        return plain
    return _walked_pre_hash(event, namespaces)


def _walked_pre_hash(event: dict[str, Any], namespaces: dict[str, str]) -> str:
    """The pre-hash string of any event, through its tree as the reference builds it."""
    prepared = _expand_bare_strings({k: v for k, v in event.items() if k != "@context"})
    node = _correct_structure(_to_nodes(prepared, namespaces))
    children = list(node[2])
    ordered = _in_order(children, PROPERTY_ORDER)
    remaining = [child for child in children if child[0] not in _IGNORED_FIELDS]
    return f"eventType={event.get('type', '')}{ordered}{_generic(remaining) if remaining else ''}"


def event_hash(event: dict[str, Any], *, context: Any = None) -> str:
    digest = hashlib.sha256(event_pre_hash(event, context=context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
