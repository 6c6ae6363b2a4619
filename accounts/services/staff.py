"""Changes staff make to accounts. Each writes an ``admin_actions`` row and tells the user."""

from collections.abc import Iterable

from django.db import transaction
from rest_framework import exceptions

from accounts.models import Tier, TransactionType, User, UserStatus
from accounts.services.credits import credits_add, credits_balance
from accounts.services.notifications import NotificationType, notification_create
from accounts.services.users import user_check_new, user_create, user_tokens_invalidate
from accounts.tiers import SIGNUP_CREDITS
from audit.services import admin_action_record


def _require_staff(admin: User) -> None:
    if not admin.is_admin:
        raise exceptions.PermissionDenied("Only staff may change other accounts.")


@transaction.atomic
def user_create_by_admin(
    *,
    admin: User,
    username: str,
    email: str,
    password: str | None,
    tier: str = Tier.BASIC,
    status: str = UserStatus.ACTIVE,
    is_admin: bool = False,
    workspace_name: str | None = None,
    workspace_id: str | None = None,
    initial_credits: int | None = None,
) -> User:
    """An account created by staff: the password rule and unique username and e-mail as on
    self-registration; ``initial_credits`` (default: the welcome credits) as its first grant."""
    _require_staff(admin)
    user_check_new(username=username, email=email, password=password)
    if initial_credits is not None and initial_credits < 0:
        raise exceptions.ValidationError({"initial_credits": ["Cannot be negative."]})
    user = user_create(
        username=username,
        email=email,
        password=password,
        workspace_name=workspace_name,
        workspace_id=workspace_id or None,
        initial_credits=SIGNUP_CREDITS if initial_credits is None else initial_credits,
        tier=tier,
        status=status,
        is_admin=is_admin,
    )
    admin_action_record(
        admin=admin,
        action_type="user_create",
        target_id=user.pk,
        data={"username": username, "tier": tier, "status": status, "is_admin": is_admin},
    )
    return user


@transaction.atomic
def user_set_status(*, admin: User, user: User, status: str) -> User:
    """Freeze (``Suspended``), unfreeze (``Active``) or otherwise change an account's status."""
    _require_staff(admin)
    if status not in UserStatus.values:
        raise exceptions.ValidationError({"status": [f"{status!r} is not a status."]})
    if admin.pk == user.pk and status != UserStatus.ACTIVE:
        raise exceptions.ValidationError({"status": ["Staff cannot freeze their own account."]})
    previous = user.status
    if previous == status:
        return user
    user.status = status
    user.save(update_fields=["status", "updated_at"])
    if status != UserStatus.ACTIVE:
        user_tokens_invalidate(user=user)  # unfreezing later does not revive old tokens
    admin_action_record(
        admin=admin,
        action_type="user_set_status",
        target_id=user.pk,
        data={"from": previous, "to": status},
    )
    unfrozen = status == UserStatus.ACTIVE
    notification_create(
        user=user,
        notification_type=(
            NotificationType.ACCOUNT_UNFROZEN if unfrozen else NotificationType.ACCOUNT_FROZEN
        ),
        title="Account reactivated" if unfrozen else "Account frozen",
        message=f"Your account status changed from {previous} to {status}.",
        data={"from": previous, "to": status},
    )
    return user


@transaction.atomic
def user_set_tier(*, admin: User, user: User, tier: str) -> User:
    _require_staff(admin)
    if tier not in Tier.values:
        raise exceptions.ValidationError({"tier": [f"{tier!r} is not a tier."]})
    previous = user.tier
    if previous == tier:
        return user
    user.tier = tier
    user.save(update_fields=["tier", "updated_at"])
    admin_action_record(
        admin=admin,
        action_type="user_set_tier",
        target_id=user.pk,
        data={"from": previous, "to": tier},
    )
    notification_create(
        user=user,
        notification_type=NotificationType.TIER_CHANGED,
        title="Tier changed",
        message=f"Your tier changed from {previous} to {tier}.",
        data={"from": previous, "to": tier},
    )
    return user


@transaction.atomic
def user_set_admin(*, admin: User, user: User, is_admin: bool) -> User:
    """Grant or withdraw staff rights (staff cannot withdraw their own)."""
    _require_staff(admin)
    if admin.pk == user.pk and not is_admin:
        raise exceptions.ValidationError({"is_admin": ["Staff cannot remove their own rights."]})
    if user.is_admin == is_admin:
        return user
    user.is_admin = is_admin
    user.save(update_fields=["is_admin", "updated_at"])
    admin_action_record(
        admin=admin, action_type="user_set_admin", target_id=user.pk, data={"is_admin": is_admin}
    )
    notification_create(
        user=user,
        notification_type=NotificationType.STAFF_RIGHTS_CHANGED,
        title="Staff rights granted" if is_admin else "Staff rights withdrawn",
        message=("You are now DeFarm staff." if is_admin else "Your staff rights were withdrawn."),
        data={"is_admin": is_admin},
    )
    return user


@transaction.atomic
def user_set_adapters(*, admin: User, user: User, adapters: Iterable[str] | None) -> User:
    """Set the adapter types the user may use; ``None`` (or empty) restores the tier default."""
    _require_staff(admin)
    cleaned = sorted({adapter.strip() for adapter in adapters or () if adapter.strip()}) or None
    previous = user.available_adapters
    user.available_adapters = cleaned
    user.save(update_fields=["available_adapters", "updated_at"])
    admin_action_record(
        admin=admin,
        action_type="user_set_adapters",
        target_id=user.pk,
        data={"from": previous, "to": cleaned},
    )
    notification_create(
        user=user,
        notification_type=NotificationType.ADAPTERS_CHANGED,
        title="Storage adapters changed",
        message=(
            "You may now use: " + ", ".join(cleaned)
            if cleaned
            else "Your storage adapters are your tier's defaults."
        ),
        data={"adapters": cleaned},
    )
    return user


def _credits_adjust_one(*, admin: User, user: User, amount: int, reason: str):
    transaction_type = TransactionType.GRANT if amount > 0 else TransactionType.PENALTY
    ledger_row = credits_add(
        user=user,
        amount=amount,
        transaction_type=transaction_type,
        description=reason,
    )
    notification_create(
        user=user,
        notification_type=NotificationType.CREDITS_ADJUSTED,
        title="Credits granted" if amount > 0 else "Credits removed",
        message=f"{amount:+d} credits: {reason}. Balance: {ledger_row.balance_after}.",
        data={"amount": amount, "balance_after": ledger_row.balance_after, "reason": reason},
    )
    return ledger_row


@transaction.atomic
def credits_adjust(*, admin: User, user: User, amount: int, reason: str):
    """Grant (positive ``amount``) or remove (negative, a ``Penalty``) credits.

    A penalty larger than the balance is refused with 402 ``insufficient_credits``.
    """
    _require_staff(admin)
    if amount == 0:
        raise exceptions.ValidationError({"amount": ["The amount cannot be zero."]})
    if not reason.strip():
        raise exceptions.ValidationError({"reason": ["Give a reason."]})
    ledger_row = _credits_adjust_one(admin=admin, user=user, amount=amount, reason=reason)
    admin_action_record(
        admin=admin,
        action_type="credits_adjust",
        target_id=user.pk,
        data={
            "amount": amount,
            "reason": reason,
            "transaction_id": str(ledger_row.pk),
            "balance_after": ledger_row.balance_after,
        },
    )
    return ledger_row


@transaction.atomic
def credits_bulk_grant(*, admin: User, users: Iterable[User], amount: int, reason: str) -> list:
    """Grant ``amount`` credits to every user in one transaction (all or none)."""
    _require_staff(admin)
    if amount <= 0:
        raise exceptions.ValidationError({"amount": ["A bulk grant is a positive amount."]})
    if not reason.strip():
        raise exceptions.ValidationError({"reason": ["Give a reason."]})
    # Lock in a fixed order so two bulk grants cannot deadlock each other.
    unique_users = sorted({user.pk: user for user in users}.values(), key=lambda user: user.pk)
    if not unique_users:
        raise exceptions.ValidationError({"user_ids": ["Choose at least one user."]})
    ledger_rows = [
        _credits_adjust_one(admin=admin, user=user, amount=amount, reason=reason)
        for user in unique_users
    ]
    admin_action_record(
        admin=admin,
        action_type="credits_bulk_grant",
        target_id=None,
        data={"amount": amount, "reason": reason, "user_ids": [u.pk for u in unique_users]},
    )
    return ledger_rows


@transaction.atomic
def credits_set_by_admin(*, admin: User, user: User, credits: int) -> User:
    """Set the balance to ``credits``: the difference is one Grant or Penalty ledger row."""
    _require_staff(admin)
    if credits < 0:
        raise exceptions.ValidationError({"credits": ["A balance cannot be negative."]})
    difference = credits - credits_balance(user=user, lock=True)
    if difference:
        credits_adjust(
            admin=admin, user=user, amount=difference, reason=f"Balance set to {credits} by staff"
        )
    return user


_UPDATERS = {
    "tier": lambda admin, user, value: user_set_tier(admin=admin, user=user, tier=value),
    "status": lambda admin, user, value: user_set_status(admin=admin, user=user, status=value),
    "is_admin": lambda admin, user, value: user_set_admin(admin=admin, user=user, is_admin=value),
    "available_adapters": lambda admin, user, value: user_set_adapters(
        admin=admin, user=user, adapters=value
    ),
    "credits": lambda admin, user, value: credits_set_by_admin(
        admin=admin, user=user, credits=value
    ),
}


@transaction.atomic
def user_update_by_admin(*, admin: User, user: User, **changes) -> User:
    """Apply several staff changes (tier, status, is_admin, available_adapters, credits) at
    once; each is recorded and notified as if made alone."""
    unknown = set(changes) - set(_UPDATERS)
    if unknown:
        raise ValueError(f"Staff cannot change {sorted(unknown)} here.")
    for field, value in changes.items():
        user = _UPDATERS[field](admin, user, value)
    return user
