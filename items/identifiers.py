"""Identifiers: namespaces, canonical/contextual types and registry shape rules
(DOMAIN.md, Identifiers)."""

import re
from dataclasses import dataclass, field
from typing import Any

from rest_framework import exceptions

from items.epcis.identifiers import gs1_key_parse, key_to_dl
from items.models import DEFAULT_NAMESPACE, IdentifierType

KNOWN_NAMESPACES = (
    "bovino",
    "aves",
    "suino",
    "soja",
    "milho",
    "algodao",
    "cafe",
    "leite",
    "generic",
    # GS1 keys (EPCIS): key = scheme (sgtin, sscc, grai, giai, lgtin, sgln), value = the
    # canonical GS1 Digital Link URI.
    "gs1",
)
CONTEXTUAL_SCOPES = ("user", "organization", "circuit")
# Identifiers live in btree indexes ((key, value), (namespace, key, value)), whose entries
# PostgreSQL caps at 2,704 bytes: 128 + 512 characters of up to 4 bytes each stay under it.
IDENTIFIER_KEY_MAX_LENGTH = 128
IDENTIFIER_VALUE_MAX_LENGTH = 512
KNOWN_REGISTRIES = ("sisbov", "cpf", "cnpj", "car", "nirf", "ie", "rfid")
# ``Choices.values`` builds a new list on every access: looked up once per process.
_ID_TYPES = frozenset(IdentifierType.values)


@dataclass(frozen=True)
class Identifier:
    """A validated identifier, ready to store."""

    namespace: str
    key: str
    value: str
    id_type: str = IdentifierType.CONTEXTUAL
    type_metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_canonical(self) -> bool:
        return self.id_type == IdentifierType.CANONICAL

    @property
    def triple(self) -> tuple[str, str, str]:
        return (self.namespace, self.key, self.value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "key": self.key,
            "value": self.value,
            "id_type": self.id_type,
            "type_metadata": self.type_metadata,
        }


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _cpf_is_valid(digits: str) -> bool:
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    for length in (9, 10):
        pairs = zip(digits[:length], range(length + 1, 1, -1), strict=True)
        total = sum(int(d) * weight for d, weight in pairs)
        check = (total * 10) % 11 % 10
        if check != int(digits[length]):
            return False
    return True


def _cnpj_is_valid(digits: str) -> bool:
    if len(digits) != 14 or len(set(digits)) == 1:
        return False
    weights = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    for length in (12, 13):
        pairs = zip(digits[:length], weights[13 - length :], strict=True)
        total = sum(int(d) * w for d, w in pairs)
        remainder = total % 11
        check = 0 if remainder < 2 else 11 - remainder
        if check != int(digits[length]):
            return False
    return True


def _gs1_key_error(scheme: str, value: str) -> str | None:
    key = gs1_key_parse(value)
    if key is None or key.scheme != scheme:
        return f"a {scheme.upper()} is given as its GS1 Digital Link or EPC URN"
    canonical = key_to_dl(key)  # canonical_identifier(value), from the key already parsed
    if canonical != value:
        return f"give the canonical Digital Link {canonical}"
    return None


GS1_KEY_REGISTRIES = ("sgtin", "sscc", "sgln", "grai", "giai", "lgtin")


def registry_value_error(registry: str, value: str) -> str | None:
    """Why ``value`` is not a valid ``registry`` id, or None (unknown registries pass)."""
    registry = registry.lower()
    if registry in GS1_KEY_REGISTRIES:
        return _gs1_key_error(registry, value)
    if registry == "sisbov":
        if not re.fullmatch(r"BR\d{12}", value):
            return "a SISBOV number is 'BR' followed by 12 digits"
    elif registry == "cpf":
        digits = _digits(value)
        if len(digits) != 11 or len(set(digits)) == 1:
            return "a CPF has 11 digits, not all the same"
        if not _cpf_is_valid(digits):
            return "the CPF check digits do not match"
    elif registry == "cnpj":
        digits = _digits(value)
        if len(digits) != 14 or len(set(digits)) == 1:
            return "a CNPJ has 14 digits, not all the same"
        if not _cnpj_is_valid(digits):
            return "the CNPJ check digits do not match"
    elif registry == "car":
        if not value.startswith("BR-") or not 9 <= len(value) <= 44:
            return "a CAR starts with 'BR-' and is 9 to 44 characters long"
    elif registry == "nirf":
        if len(_digits(value)) < 8:
            return "a NIRF has at least 8 digits"
    elif registry == "ie":
        if len(value) < 8:
            return "an IE is at least 8 characters long"
    elif registry == "rfid" and len(value) < 10:
        return "an RFID tag is at least 10 characters long"
    return None


def _canonical_value(registry: str, value: str) -> str:
    """CPF and CNPJ are stored as bare digits so punctuation never hides a duplicate."""
    return _digits(value) if registry.lower() in ("cpf", "cnpj") else value


def identifier_parse(raw: Any, *, namespace_default: str | None = None) -> Identifier:
    """Validate one identifier input; raises a 400 naming the identifier."""
    if not isinstance(raw, dict):
        raise exceptions.ValidationError({"identifiers": ["Each identifier is an object."]})
    key = str(raw.get("key") or "").strip()
    value = str(raw.get("value") if raw.get("value") is not None else "").strip()
    if len(key) > IDENTIFIER_KEY_MAX_LENGTH:
        raise exceptions.ValidationError(
            {
                "identifiers": [
                    f"Identifier key {key[:40]}...: at most {IDENTIFIER_KEY_MAX_LENGTH} characters."
                ]
            }
        )
    if len(value) > IDENTIFIER_VALUE_MAX_LENGTH:
        raise exceptions.ValidationError(
            {
                "identifiers": [
                    f"Identifier {key}: the value is at most {IDENTIFIER_VALUE_MAX_LENGTH} "
                    f"characters ({len(value)} sent)."
                ]
            }
        )
    label = f"{key or '?'}={value or '?'}"
    if not key or not value:
        raise exceptions.ValidationError(
            {"identifiers": [f"Identifier {label}: key and value are required."]}
        )
    namespace = str(raw.get("namespace") or namespace_default or DEFAULT_NAMESPACE).strip()
    if namespace not in KNOWN_NAMESPACES:
        raise exceptions.ValidationError(
            {
                "identifiers": [
                    f"Identifier {label}: unknown namespace '{namespace}' "
                    f"(known: {', '.join(KNOWN_NAMESPACES)})."
                ]
            }
        )
    id_type = str(raw.get("id_type") or IdentifierType.CONTEXTUAL)
    if id_type not in _ID_TYPES:
        raise exceptions.ValidationError(
            {"identifiers": [f"Identifier {label}: id_type must be Canonical or Contextual."]}
        )
    if id_type == IdentifierType.CANONICAL:
        error = registry_value_error(key, value)
        if error:
            raise exceptions.ValidationError(
                {"identifiers": [f"Identifier {label} is not a valid {key} id: {error}."]}
            )
        # ``verified`` is the server's to decide (a registry check or a certifier), never
        # the sender's: a client's ``verified`` and ``verification_date`` are ignored.
        metadata: dict[str, Any] = {
            "registry": key,
            "verified": False,
            "verification_date": None,
        }
        value = _canonical_value(key, value)
    else:
        scope = str(raw.get("scope") or "user")
        if scope not in CONTEXTUAL_SCOPES:
            raise exceptions.ValidationError(
                {
                    "identifiers": [
                        f"Identifier {label}: scope must be one of {', '.join(CONTEXTUAL_SCOPES)}."
                    ]
                }
            )
        metadata = {"scope": scope}
    return Identifier(
        namespace=namespace, key=key, value=value, id_type=id_type, type_metadata=metadata
    )


def identifiers_parse(
    raw_identifiers: Any, *, namespace_default: str | None = None
) -> list[Identifier]:
    """Validate a list of identifiers, dropping exact repeats (same namespace, key, value)."""
    if raw_identifiers is None:
        return []
    if not isinstance(raw_identifiers, list | tuple):
        raise exceptions.ValidationError({"identifiers": ["Identifiers are a list."]})
    parsed: dict[tuple[str, str, str], Identifier] = {}
    for raw in raw_identifiers:
        if isinstance(raw, Identifier):
            identifier = raw
        else:
            identifier = identifier_parse(raw, namespace_default=namespace_default)
        parsed.setdefault(identifier.triple, identifier)
    return list(parsed.values())
