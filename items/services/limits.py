"""The tier's items-per-month limit, checked before new DFIDs are issued."""

from accounts.models import User
from accounts.services.tiers import tier_check_item_limit
from items.selectors import items_created_this_month_count


def item_limit_check(*, user: User, count: int) -> None:
    """403 ``tier_limit_exceeded`` when ``count`` more DFIDs would pass the monthly limit
    (local ``LID-`` items do not count)."""
    tier_check_item_limit(
        user=user,
        count=count,
        created_this_month=lambda owner: items_created_this_month_count(user=owner),
    )
