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


# Where an adapter type keeps items and events: the engine's StorageBackendType names.
STORAGE_BACKEND_TYPES = [
    "Local",
    "IPFS",
    "StellarTestnet",
    "StellarMainnet",
    "EthereumMainnet",
    "EthereumGoerli",
    "Polygon",
    "Arweave",
    "Custom",
]

# Where each type keeps items and events.
_STORAGE_BACKENDS = {
    NONE: ("Local", "Local"),
    LOCAL: ("Local", "Local"),
    IPFS: ("IPFS", "IPFS"),
    STELLAR_TESTNET: ("StellarTestnet", "IPFS"),
    STELLAR_MAINNET: ("StellarMainnet", "IPFS"),
    ETHEREUM_GOERLI: ("EthereumGoerli", "IPFS"),
    POLYGON_ARWEAVE: ("Polygon", "Arweave"),
}


def adapter_type_storage_backends(adapter_type: str) -> tuple[str, str]:
    """Where ``adapter_type`` keeps items and where it keeps events."""
    return _STORAGE_BACKENDS.get(adapter_type, ("Custom", "Custom"))


def adapter_type_requires_blockchain(adapter_type: str) -> bool:
    return adapter_type not in {NONE, LOCAL, IPFS}


# What choosing each adapter means for a client (the engine's adapter templates, limited to
# the types that exist).
ADAPTER_TEMPLATES: dict[str, dict[str, str]] = {
    LOCAL: {
        "description": "Local storage on the server's disk - for development and testing",
        "cost": "Free",
        "scalability": "Limited",
        "decentralization": "None",
        "use_case": "Development and testing",
    },
    IPFS: {
        "description": "Full IPFS storage - decentralized with no blockchain",
        "cost": "IPFS pinning costs",
        "scalability": "High",
        "decentralization": "Full",
        "use_case": "Decentralized storage without blockchain costs",
    },
    STELLAR_TESTNET: {
        "description": "Stellar testnet NFTs + IPFS events - for testing blockchain integration",
        "cost": "Free (testnet)",
        "scalability": "High",
        "decentralization": "Full",
        "use_case": "Testing blockchain integration",
    },
    STELLAR_MAINNET: {
        "description": "Stellar mainnet NFTs + IPFS events - production blockchain + IPFS",
        "cost": "Stellar fees + IPFS costs",
        "scalability": "High",
        "decentralization": "Full",
        "use_case": "Production decentralized traceability",
    },
    ETHEREUM_GOERLI: {
        "description": "Ethereum Goerli testnet + IPFS - Ethereum ecosystem testing",
        "cost": "Free (testnet)",
        "scalability": "Medium",
        "decentralization": "Full",
        "use_case": "Testing Ethereum integration",
    },
    POLYGON_ARWEAVE: {
        "description": "Polygon NFTs + Arweave permanent storage - low cost + permanence",
        "cost": "Polygon fees + Arweave storage",
        "scalability": "High",
        "decentralization": "Full",
        "use_case": "Permanent storage at low cost",
    },
}
