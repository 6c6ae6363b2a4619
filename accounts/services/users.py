"""Creating accounts."""

from django.db import transaction

from accounts.models import CreditBalance, TransactionType, User
from accounts.services.credits import credits_add
from accounts.tiers import SIGNUP_CREDITS


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str | None,
    workspace_name: str | None = None,
    **fields,
) -> User:
    """Create an account with its balance and the sign-up grant of credits."""
    workspace = (workspace_name or username).strip()
    fields.setdefault("workspace_id", f"{workspace}-workspace")
    user = User.objects.create_user(username, email, password, **fields)
    CreditBalance.objects.create(user=user, credits=0)
    credits_add(
        user=user,
        amount=SIGNUP_CREDITS,
        transaction_type=TransactionType.GRANT,
        description="Welcome credits",
    )
    return user
