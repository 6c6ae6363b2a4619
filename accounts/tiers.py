"""What each tier may do and what operations cost (DOMAIN.md, Accounts, tiers, credits)."""

from dataclasses import dataclass
from enum import StrEnum

from accounts.models import Tier

UNLIMITED = None


class CreditOperation(StrEnum):
    ITEM_CREATION = "item_creation"
    CIRCUIT_OPERATION = "circuit_operation"
    STORAGE_MIGRATION = "storage_migration"


@dataclass(frozen=True)
class TierLimits:
    items_per_month: int | None
    circuits_owned: int | None
    api_requests_per_hour: int | None
    adapters: tuple[str, ...] | None  # None = every adapter type


BASIC_ADAPTERS = ("none", "local", "ipfs-ipfs")

TIER_LIMITS: dict[str, TierLimits] = {
    Tier.BASIC: TierLimits(1_000, 5, 100, BASIC_ADAPTERS),
    Tier.PROFESSIONAL: TierLimits(10_000, 25, 1_000, (*BASIC_ADAPTERS, "stellar_testnet-ipfs")),
    Tier.ENTERPRISE: TierLimits(
        UNLIMITED,
        UNLIMITED,
        10_000,
        (*BASIC_ADAPTERS, "stellar_testnet-ipfs", "stellar_mainnet-ipfs"),
    ),
    Tier.ADMIN: TierLimits(UNLIMITED, UNLIMITED, UNLIMITED, None),
}

OPERATION_COSTS: dict[str, dict[CreditOperation, int]] = {
    Tier.BASIC: {
        CreditOperation.ITEM_CREATION: 2,
        CreditOperation.CIRCUIT_OPERATION: 3,
        CreditOperation.STORAGE_MIGRATION: 10,
    },
    Tier.PROFESSIONAL: {
        CreditOperation.ITEM_CREATION: 1,
        CreditOperation.CIRCUIT_OPERATION: 2,
        CreditOperation.STORAGE_MIGRATION: 5,
    },
    Tier.ENTERPRISE: {
        CreditOperation.ITEM_CREATION: 1,
        CreditOperation.CIRCUIT_OPERATION: 1,
        CreditOperation.STORAGE_MIGRATION: 3,
    },
    Tier.ADMIN: {
        CreditOperation.ITEM_CREATION: 0,
        CreditOperation.CIRCUIT_OPERATION: 0,
        CreditOperation.STORAGE_MIGRATION: 0,
    },
}

SIGNUP_CREDITS = 100


_TIERS_BY_LOWER = {tier.lower(): tier for tier in Tier.values}


def tier_canonical(tier: str | None) -> str:
    """The tier as DeFarm spells it: the earlier engine wrote ``basic``, ``enterprise`` ...
    in ``user_accounts.tier``; those are the same tiers. Unknown values count as Basic."""
    return _TIERS_BY_LOWER.get(str(tier or "").strip().lower(), Tier.BASIC)


def tier_limits(tier: str) -> TierLimits:
    return TIER_LIMITS[tier_canonical(tier)]


def operation_cost(tier: str, operation: CreditOperation) -> int:
    return OPERATION_COSTS[tier_canonical(tier)][operation]
