"""Model fields holding adapter types in any spelling the earlier engine stored."""

from adapters import registry
from defarm.fields import SpelledCharField, SpelledTextArrayField


def _adapter_type_canonical(value: str) -> str:
    return registry.adapter_type_parse(value) or value


class AdapterTypeField(SpelledCharField):
    """An adapter type: rows holding ``IpfsIpfs`` or ``Custom("x")`` read as ``ipfs-ipfs`` and
    ``custom-x`` and are found by lookups in either spelling."""

    canonical = staticmethod(_adapter_type_canonical)
    stored_spellings = staticmethod(registry.adapter_type_spellings)


class AdapterTypeListField(SpelledTextArrayField):
    """A list of adapter types (``text[]``), each read in DeFarm's spelling."""

    canonical = staticmethod(_adapter_type_canonical)
