"""Serializer field for adapter types, in every spelling the earlier engine accepted."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from adapters import registry

ADAPTER_TYPE_SCHEMA = {
    "type": "string",
    "description": (
        "An adapter type: none, local, ipfs-ipfs, stellar_testnet-ipfs, stellar_mainnet-ipfs, "
        "ethereum_goerli-ipfs, polygon-arweave or custom-<name>. The engine's spellings "
        "None, IpfsIpfs, StellarTestnetIpfs, StellarMainnetIpfs, EthereumGoerliIpfs and "
        "PolygonArweave are accepted too; answers use the hyphenated form."
    ),
    "example": registry.IPFS,
}


@extend_schema_field(ADAPTER_TYPE_SCHEMA)
class AdapterTypeField(serializers.CharField):
    """An adapter type in any spelling the engine accepted (``ipfs-ipfs`` or ``IpfsIpfs``,
    surrounding blanks ignored), given to the view in DeFarm's spelling (``ipfs-ipfs``)."""

    default_error_messages = {
        "unknown": "Unknown adapter type {value!r}; use one of {choices} or custom-<name>.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        parsed = registry.adapter_type_parse(value)
        if parsed is None or not registry.adapter_type_is_known(parsed):
            self.fail("unknown", value=value, choices=", ".join(registry.ADAPTER_TYPES))
        return parsed

    def to_representation(self, value):
        return registry.adapter_type_parse(str(value)) or str(value)
