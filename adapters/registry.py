"""The adapter types DeFarm knows and what each one is."""

import re
from dataclasses import dataclass

NONE = "none"
LOCAL = "local"
IPFS = "ipfs-ipfs"
STELLAR_TESTNET = "stellar_testnet-ipfs"
STELLAR_MAINNET = "stellar_mainnet-ipfs"
ETHEREUM_GOERLI = "ethereum_goerli-ipfs"
POLYGON_ARWEAVE = "polygon-arweave"
CUSTOM_PREFIX = "custom-"

_CUSTOM_NAME = re.compile(r"^custom-[a-z0-9][a-z0-9_.-]{0,90}$")


@dataclass(frozen=True)
class AdapterType:
    adapter_type: str
    description: str
    stores_content: bool  # False for ``none``: nothing is written anywhere
    needs_config: bool  # True when an adapter_configs row must give the connection


ADAPTER_TYPES: dict[str, AdapterType] = {
    entry.adapter_type: entry
    for entry in (
        AdapterType(NONE, "No storage: items are not written anywhere.", False, False),
        AdapterType(
            LOCAL,
            "Content-addressed store on the server's disk; ids are IPFS-compatible CIDv1.",
            True,
            False,
        ),
        AdapterType(IPFS, "An IPFS node (Kubo HTTP RPC): add, pin and cat.", True, True),
        AdapterType(STELLAR_TESTNET, "IPFS content anchored on the Stellar testnet.", True, True),
        AdapterType(STELLAR_MAINNET, "IPFS content anchored on the Stellar mainnet.", True, True),
        AdapterType(ETHEREUM_GOERLI, "IPFS content anchored on Ethereum Goerli.", True, True),
        AdapterType(POLYGON_ARWEAVE, "Arweave content anchored on Polygon.", True, True),
    )
}


# The earlier engine's other spellings of each type: its Rust variant names (accepted in
# requests) and the Debug rendering some of its versions stored (``Custom("name")``).
_ENGINE_SPELLINGS = {
    "None": NONE,
    "IpfsIpfs": IPFS,
    "StellarTestnetIpfs": STELLAR_TESTNET,
    "StellarMainnetIpfs": STELLAR_MAINNET,
    "EthereumGoerliIpfs": ETHEREUM_GOERLI,
    "PolygonArweave": POLYGON_ARWEAVE,
}
_ENGINE_CUSTOM = re.compile(r'^Custom\("(?P<name>.+)"\)$')


def adapter_type_parse(value: str) -> str | None:
    """DeFarm's spelling (``ipfs-ipfs``, ``custom-<name>``) of an adapter type written in any
    spelling the earlier engine took or stored (``IpfsIpfs``, ``Custom("name")``), trimmed;
    None when ``value`` names no adapter type."""
    value = value.strip()
    if value in ADAPTER_TYPES or (value.startswith(CUSTOM_PREFIX) and len(value) > 7):
        return value
    if value in _ENGINE_SPELLINGS:
        return _ENGINE_SPELLINGS[value]
    custom = _ENGINE_CUSTOM.match(value)
    if custom:
        return CUSTOM_PREFIX + custom["name"]
    return None


def adapter_type_spellings(adapter_type: str) -> list[str]:
    """Every stored spelling of ``adapter_type`` (for lookups in rows the engine wrote)."""
    spellings = [adapter_type]
    spellings += [
        other for other, canonical in _ENGINE_SPELLINGS.items() if canonical == adapter_type
    ]
    if adapter_type.startswith(CUSTOM_PREFIX):
        spellings.append(f'Custom("{adapter_type[len(CUSTOM_PREFIX) :]}")')
    return spellings


def adapter_type_is_known(adapter_type: str) -> bool:
    return adapter_type in ADAPTER_TYPES or bool(_CUSTOM_NAME.match(adapter_type))


def adapter_type_describe(adapter_type: str) -> AdapterType:
    if adapter_type in ADAPTER_TYPES:
        return ADAPTER_TYPES[adapter_type]
    if _CUSTOM_NAME.match(adapter_type):
        return AdapterType(adapter_type, "A custom adapter configured by staff.", True, True)
    raise KeyError(adapter_type)
