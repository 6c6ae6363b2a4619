"""GS1 keys as EPC URNs and as GS1 Digital Link URIs, both ways.

Covers the schemes DeFarm's EPCIS interface links to items: SGTIN, SSCC, SGLN, GRAI, GIAI (instance
identifiers, ``urn:epc:id:...``) and LGTIN (a batch, ``urn:epc:class:lgtin:...``). A Digital Link
URI names its keys in AI order (``/01/{gtin}/21/{serial}``) on ``https://id.gs1.org``; any other
host is read the same way. An EPC URN carries the length of the GS1 Company Prefix and a Digital
Link does not, so turning a Digital Link into a URN needs that length (``company_prefix_length``).
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

CANONICAL_DL_HOST = "https://id.gs1.org"

SCHEMES = ("sgtin", "sscc", "sgln", "grai", "giai", "lgtin")

# Characters GS1 allows in alphanumeric keys (AI encodable character set 82), unescaped in URIs.
_UNRESERVED = "!'()*+,-.:;=_"


class IdentifierError(ValueError):
    """The value is not a well-formed EPC URN / Digital Link of a supported scheme."""


@dataclass(frozen=True)
class Gs1Key:
    """One GS1 key, scheme-independent: the scheme and its element strings in AI order."""

    scheme: str
    # AI -> value, e.g. {"01": "09521141012345", "21": "2017"}
    elements: tuple[tuple[str, str], ...]
    company_prefix_length: int | None = None

    def element(self, ai: str) -> str | None:
        return dict(self.elements).get(ai)


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of ``digits`` (the key without its check digit): from the
    right, every other digit weighs 3, the others 1."""
    total = 3 * sum(map(int, digits[::-2])) + sum(map(int, digits[-2::-2]))
    return str((10 - total % 10) % 10)


def _check(key: str, name: str) -> None:
    if not key.isdigit() or check_digit(key[:-1]) != key[-1]:
        raise IdentifierError(f"{name} {key!r} has a wrong check digit or is not numeric.")


def _urn_unescape(value: str) -> str:
    return unquote(value)


# What ``quote(value, safe=_UNRESERVED)`` leaves as it is (it never escapes ``A-Za-z0-9_.-~``).
_UNESCAPED = re.compile(r"[A-Za-z0-9_.~!'()*+,:;=-]*")


def _urn_escape(value: str) -> str:
    return value if _UNESCAPED.fullmatch(value) else quote(value, safe=_UNRESERVED)


def _dl_escape(value: str) -> str:
    return value if _UNESCAPED.fullmatch(value) else quote(value, safe=_UNRESERVED)


_URN = re.compile(r"^urn:epc:(?P<kind>id|class):(?P<scheme>[a-z]+):(?P<body>.+)$")


def urn_parse(urn: str) -> Gs1Key:
    match = _URN.match(urn.strip())
    if not match or match["scheme"] not in SCHEMES:
        raise IdentifierError(f"{urn!r} is not an EPC URN of {', '.join(SCHEMES)}.")
    scheme = match["scheme"]
    expected = {"sgtin": 3, "sscc": 2, "sgln": 3, "grai": 3, "giai": 2, "lgtin": 3}[scheme]
    parts = match["body"].split(".", expected - 1)
    if len(parts) != expected or (match["kind"] == "class") != (scheme == "lgtin"):
        raise IdentifierError(f"{urn!r} does not have the parts of an {scheme.upper()} URN.")
    prefix = parts[0]
    if not prefix.isdigit() or not 6 <= len(prefix) <= 12:
        raise IdentifierError(f"{urn!r}: the GS1 Company Prefix must be 6 to 12 digits.")
    length = len(prefix)
    if scheme in ("sgtin", "lgtin"):
        item_reference = parts[1]
        if not item_reference.isdigit() or len(prefix) + len(item_reference) != 13:
            raise IdentifierError(f"{urn!r}: company prefix and item reference must be 13 digits.")
        body = item_reference[0] + prefix + item_reference[1:]
        gtin = body + check_digit(body)
        ai = "21" if scheme == "sgtin" else "10"
        return Gs1Key(scheme, (("01", gtin), (ai, _urn_unescape(parts[2]))), length)
    if scheme == "sscc":
        serial_reference = parts[1]
        if not serial_reference.isdigit() or len(prefix) + len(serial_reference) != 17:
            raise IdentifierError(
                f"{urn!r}: company prefix and serial reference must be 17 digits."
            )
        body = serial_reference[0] + prefix + serial_reference[1:]
        return Gs1Key(scheme, (("00", body + check_digit(body)),), length)
    if scheme == "sgln":
        location_reference, extension = parts[1], _urn_unescape(parts[2])
        if not location_reference.isdigit() or len(prefix) + len(location_reference) != 12:
            raise IdentifierError(
                f"{urn!r}: company prefix and location reference must be 12 digits."
            )
        body = prefix + location_reference
        elements: tuple[tuple[str, str], ...] = (("414", body + check_digit(body)),)
        if extension != "0":
            elements += (("254", extension),)
        return Gs1Key(scheme, elements, length)
    if scheme == "grai":
        asset_type, serial = parts[1], _urn_unescape(parts[2])
        if not asset_type.isdigit() or len(prefix) + len(asset_type) != 12:
            raise IdentifierError(f"{urn!r}: company prefix and asset type must be 12 digits.")
        body = "0" + prefix + asset_type
        return Gs1Key(scheme, (("8003", body + check_digit(body) + serial),), length)
    # giai
    return Gs1Key(scheme, (("8004", prefix + _urn_unescape(parts[1])),), length)


# The canonical Digital Link of an SGTIN or LGTIN whose serial or lot needs no escaping (what
# a capture makes of most EPCs): read without splitting the URI, to the same key.
_PLAIN_GTIN_DL = re.compile(
    r"https://id\.gs1\.org/01/(?P<gtin>[0-9]{14})/(?P<ai>21|10)/(?P<value>[A-Za-z0-9_.~!'()*+,:;=-]+)"
)


def dl_parse(uri: str, *, company_prefix_length: int | None = None) -> Gs1Key:
    """A Digital Link URI (any host) as a key; ``company_prefix_length`` is only remembered."""
    if match := _PLAIN_GTIN_DL.fullmatch(uri):
        gtin = match["gtin"]
        _check(gtin, "GTIN")
        scheme = "sgtin" if match["ai"] == "21" else "lgtin"
        elements = (("01", gtin), (match["ai"], match["value"]))
        return Gs1Key(scheme, elements, company_prefix_length)
    parts = urlsplit(uri.strip())
    if parts.scheme not in ("http", "https") or not parts.path:
        raise IdentifierError(f"{uri!r} is not a GS1 Digital Link URI.")
    segments = [unquote(segment) for segment in parts.path.strip("/").split("/")]
    # A Digital Link may sit under a path prefix on its host: its keys start at the first AI.
    for start, segment in enumerate(segments):
        if segment in ("01", "00", "414", "8003", "8004"):
            segments = segments[start:]
            break
    else:
        raise IdentifierError(f"{uri!r} names none of the GS1 keys 01, 00, 414, 8003, 8004.")
    if len(segments) % 2:
        raise IdentifierError(f"{uri!r}: every application identifier needs a value.")
    pairs = tuple(zip(segments[::2], segments[1::2], strict=True))
    primary, value = pairs[0]
    qualifiers = dict(pairs[1:])
    if primary == "01":
        if len(value) == 13 and value.isdigit():  # a GTIN-13 written without its leading 0
            value = "0" + value
        if len(value) != 14:
            raise IdentifierError(f"{uri!r}: a GTIN has 14 digits.")
        _check(value, "GTIN")
        if "21" in qualifiers:
            return Gs1Key("sgtin", (("01", value), ("21", qualifiers["21"])), company_prefix_length)
        if "10" in qualifiers:
            return Gs1Key("lgtin", (("01", value), ("10", qualifiers["10"])), company_prefix_length)
        raise IdentifierError(f"{uri!r}: a GTIN alone is a class, not an SGTIN or LGTIN.")
    if primary == "00":
        if len(value) != 18:
            raise IdentifierError(f"{uri!r}: an SSCC has 18 digits.")
        _check(value, "SSCC")
        return Gs1Key("sscc", (("00", value),), company_prefix_length)
    if primary == "414":
        if len(value) != 13:
            raise IdentifierError(f"{uri!r}: a GLN has 13 digits.")
        _check(value, "GLN")
        elements: tuple[tuple[str, str], ...] = (("414", value),)
        if qualifiers.get("254") not in (None, "0"):
            elements += (("254", qualifiers["254"]),)
        return Gs1Key("sgln", elements, company_prefix_length)
    if primary == "8003":
        if len(value) < 14 or not value[:14].isdigit():
            raise IdentifierError(f"{uri!r}: a GRAI starts with 14 digits.")
        _check(value[:14], "GRAI")
        return Gs1Key("grai", (("8003", value),), company_prefix_length)
    return Gs1Key("giai", (("8004", value),), company_prefix_length)


def key_to_dl(key: Gs1Key, *, host: str = CANONICAL_DL_HOST) -> str:
    return host + "".join(f"/{ai}/{_dl_escape(value)}" for ai, value in key.elements)


def key_to_urn(key: Gs1Key, *, company_prefix_length: int | None = None) -> str:
    length = company_prefix_length or key.company_prefix_length
    if length is None or not 6 <= length <= 12:
        raise IdentifierError("An EPC URN needs the length of the GS1 Company Prefix (6 to 12).")
    if key.scheme in ("sgtin", "lgtin"):
        gtin = key.element("01") or ""
        prefix, item_reference = gtin[1 : 1 + length], gtin[0] + gtin[1 + length : 13]
        serial = key.element("21") if key.scheme == "sgtin" else key.element("10")
        kind = "id" if key.scheme == "sgtin" else "class"
        return f"urn:epc:{kind}:{key.scheme}:{prefix}.{item_reference}.{_urn_escape(serial or '')}"
    if key.scheme == "sscc":
        sscc = key.element("00") or ""
        return f"urn:epc:id:sscc:{sscc[1 : 1 + length]}.{sscc[0]}{sscc[1 + length : 17]}"
    if key.scheme == "sgln":
        gln = key.element("414") or ""
        extension = _urn_escape(key.element("254") or "0")
        return f"urn:epc:id:sgln:{gln[:length]}.{gln[length:12]}.{extension}"
    if key.scheme == "grai":
        grai = key.element("8003") or ""
        serial = _urn_escape(grai[14:])
        return f"urn:epc:id:grai:{grai[1 : 1 + length]}.{grai[1 + length : 13]}.{serial}"
    giai = key.element("8004") or ""
    return f"urn:epc:id:giai:{giai[:length]}.{_urn_escape(giai[length:])}"


def urn_to_dl(urn: str) -> str:
    return key_to_dl(urn_parse(urn))


def dl_to_urn(uri: str, *, company_prefix_length: int) -> str:
    return key_to_urn(dl_parse(uri), company_prefix_length=company_prefix_length)


@lru_cache(maxsize=65536)
def gs1_key_parse(value: str) -> Gs1Key | None:
    """The GS1 key an identifier names, in either form; ``None`` when it names none we know.
    Cached (a ``Gs1Key`` is immutable): a capture reads each key several times (its canonical
    form, the event hash, the item it links to and that identifier's own check)."""
    try:
        if value.startswith("urn:epc:"):
            return urn_parse(value)
        if value.startswith(("http://", "https://")):
            return dl_parse(value)
    except IdentifierError:
        return None
    return None


@lru_cache(maxsize=65536)
def canonical_identifier(value: str) -> str:
    """The one form an identifier is stored and matched in: the canonical Digital Link
    (``https://id.gs1.org/...``) when it names a supported GS1 key, else the value as given."""
    key = gs1_key_parse(value)
    return key_to_dl(key) if key else value
