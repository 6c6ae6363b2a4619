"""The credit balance and its ledger. Every change locks the balance row and writes exactly
one ledger row with the balance after it, inside the caller's transaction."""

from django.db import transaction

from accounts.models import CreditBalance, CreditTransaction, TransactionType, User
from accounts.tiers import CreditOperation, operation_cost
from defarm.api.exceptions import InsufficientCredits
from defarm.timeutils import unix_now


def _locked_balance(user: User) -> CreditBalance:
    balance = CreditBalance.objects.select_for_update().filter(user=user).first()
    if balance is None:
        CreditBalance.objects.get_or_create(user=user, defaults={"credits": 0})
        balance = CreditBalance.objects.select_for_update().get(user=user)
    return balance


def _apply(
    *, user: User, amount: int, transaction_type: str, description: str, allow_negative: bool
) -> CreditTransaction:
    balance = _locked_balance(user)
    new_credits = balance.credits + amount
    if new_credits < 0 and not allow_negative:
        raise InsufficientCredits(
            f"This operation costs {-amount} credits; the balance is {balance.credits}.",
            details={"required": -amount, "available": balance.credits},
        )
    balance.credits = new_credits
    balance.updated_at_ts = unix_now()
    balance.save(update_fields=["credits", "updated_at_ts", "updated_at"])
    return CreditTransaction.objects.create(
        user=user,
        amount=amount,
        transaction_type=transaction_type,
        description=description,
        balance_after=new_credits,
    )


@transaction.atomic
def credits_charge(
    *, user: User, operation: CreditOperation, description: str
) -> CreditTransaction | None:
    """Consume the caller's tier cost of ``operation``; 402 ``insufficient_credits`` when short.

    Call it inside the transaction of the operation it pays for, so a failed operation
    charges nothing. Free operations (cost 0) write no ledger row and return None.
    """
    cost = operation_cost(user.tier, operation)
    if cost == 0:
        return None
    return _apply(
        user=user,
        amount=-cost,
        transaction_type=TransactionType.CONSUMPTION,
        description=description,
        allow_negative=False,
    )


@transaction.atomic
def credits_charge_many(
    *, user: User, operation: CreditOperation, count: int, description: str
) -> tuple[int, InsufficientCredits | None]:
    """Pay for ``count`` operations of one kind at once, in one ledger row: as many as the
    balance covers, in order. Returns how many were paid and, when not all, the 402 each of
    the others gets (what ``credits_charge`` would have answered for it after the paid ones).
    """
    cost = operation_cost(user.tier, operation)
    if cost == 0 or count <= 0:
        return max(count, 0), None
    balance = _locked_balance(user)
    paid = min(count, max(balance.credits, 0) // cost)
    left = balance.credits - paid * cost
    if paid:
        _apply(
            user=user,
            amount=-paid * cost,
            transaction_type=TransactionType.CONSUMPTION,
            description=description.format(count=paid),
            allow_negative=False,
        )
    if paid == count:
        return paid, None
    return paid, InsufficientCredits(
        f"This operation costs {cost} credits; the balance is {left}.",
        details={"required": cost, "available": left},
    )


@transaction.atomic
def credits_add(
    *, user: User, amount: int, transaction_type: str, description: str
) -> CreditTransaction:
    """Add (or, with a negative amount, remove) credits: grants, purchases, refunds, penalties.

    A penalty may not take the balance below zero either.
    """
    if amount == 0:
        raise ValueError("A credit change needs a non-zero amount.")
    return _apply(
        user=user,
        amount=amount,
        transaction_type=transaction_type,
        description=description,
        allow_negative=False,
    )


def credits_balance(*, user: User, lock: bool = False) -> int:
    """The balance of ``user``; with ``lock``, its row stays locked to the caller's
    transaction (call inside ``transaction.atomic``)."""
    if lock:
        return _locked_balance(user).credits
    balance = CreditBalance.objects.filter(user=user).values_list("credits", flat=True).first()
    return balance or 0
