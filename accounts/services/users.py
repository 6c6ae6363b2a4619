"""Creating accounts."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from rest_framework import exceptions

from accounts.live import account_sockets_recheck_on_commit
from accounts.models import CreditBalance, TransactionType, User
from accounts.services.credits import credits_add
from accounts.services.user_activity import (
    ActivityType,
    Category,
    ResourceType,
    user_activity_record,
)
from accounts.tiers import SIGNUP_CREDITS
from accounts.validators import username_validate
from audit.hooks import audit_login
from audit.models import AuditOutcome
from defarm.api.exceptions import ApiError, Conflict
from defarm.timeutils import unix_now


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str | None,
    workspace_name: str | None = None,
    initial_credits: int = SIGNUP_CREDITS,
    **fields,
) -> User:
    """Create an account with its balance and its first grant of credits (the sign-up
    credits unless ``initial_credits`` says otherwise; none when it is 0)."""
    try:
        username_validate(username)
    except DjangoValidationError as error:
        raise exceptions.ValidationError({"username": error.messages}) from error
    workspace = (workspace_name or username).strip()
    if not fields.get("workspace_id"):
        fields["workspace_id"] = f"{workspace}-workspace"
    user = User.objects.create_user(username, email, password, **fields)
    CreditBalance.objects.create(user=user, credits=0)
    if initial_credits:
        credits_add(
            user=user,
            amount=initial_credits,
            transaction_type=TransactionType.GRANT,
            description="Welcome credits",
        )
    return user


def _password_errors(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as error:
        return list(error.messages)
    return []


def user_check_new(*, username: str, email: str, password: str | None) -> None:
    """The password rule (400) and a free username and e-mail (409 ``conflict``, one answer
    whichever is taken)."""
    if password is not None:
        errors = _password_errors(password, User(username=username, email=email))
        if errors:
            raise exceptions.ValidationError({"password": errors})
    taken = User.objects.filter(Q(username__iexact=username) | Q(email__iexact=email))
    if taken.exists():
        raise _registration_conflict()


@transaction.atomic
def user_register(
    *, username: str, email: str, password: str, workspace_name: str | None = None
) -> User:
    """Self-registration: the password rule, unique username and e-mail (409 ``conflict``),
    then ``user_create`` (balance and welcome credits)."""
    user_check_new(username=username, email=email, password=password)
    try:
        with transaction.atomic():
            return user_create(
                username=username, email=email, password=password, workspace_name=workspace_name
            )
    except IntegrityError as error:  # a concurrent registration took the name first
        raise _registration_conflict() from error


def _registration_conflict() -> Conflict:
    """One answer whichever of the username and e-mail is taken, so registration cannot tell
    a stranger which accounts exist."""
    return Conflict(
        "This username or e-mail cannot be used; choose another username, or log in if you "
        "already have an account."
    )


def _invalid_credentials() -> ApiError:
    return ApiError("Invalid username or password.", code="invalid_credentials", status_code=401)


def _user_for_credentials(*, login: str, password: str) -> User | None:
    """The account ``login`` names whose password is ``password``, or None.

    A login with an '@' is an e-mail and finds accounts by e-mail only (usernames cannot hold
    an '@', so no username can stand in for someone's e-mail); anything else is a username.
    V1 databases may hold e-mails that differ only in case: the one account among them whose
    password matches logs in; when several match, the one with exactly this spelling does,
    and otherwise nobody (the caller logs in with a username instead of DeFarm guessing).
    """
    if "@" in login:
        candidates = list(User.objects.filter(email__iexact=login).order_by("user_id"))
    else:
        candidates = list(User.objects.filter(username=login))
    if not candidates:
        User().set_password(password)  # same work as a real check: no timing difference
        return None
    matching = [candidate for candidate in candidates if candidate.check_password(password)]
    if len(matching) > 1:
        matching = [candidate for candidate in matching if candidate.email == login]
    return matching[0] if len(matching) == 1 else None


def user_login(*, username: str, password: str) -> User:
    """Check the credentials (raw bcrypt hashes of the earlier engine are accepted and
    upgraded). Only Active accounts log in; an inactive account gets the answer of a wrong
    password whatever the password, so the answer never confirms a password (its owner
    learns of the suspension from the notification written then). Records
    ``last_login_ts``."""
    user = _user_for_credentials(login=username, password=password)
    if user is None:
        audit_login(username=username, user=None, outcome=AuditOutcome.FAILURE)
        raise _invalid_credentials()
    if not user.is_active:
        audit_login(username=username, user=user, outcome=AuditOutcome.BLOCKED, reason=user.status)
        raise _invalid_credentials()
    user.last_login_ts = unix_now()
    User.objects.filter(pk=user.pk).update(last_login_ts=user.last_login_ts)
    audit_login(username=username, user=user, outcome=AuditOutcome.SUCCESS)
    user_activity_record(
        user=user,
        activity_type=ActivityType.LOGIN,
        category=Category.AUTHENTICATION,
        resource_type=ResourceType.USER,
        resource_id=user.pk,
        action="login",
        description="Logged in",
    )
    return user


def user_tokens_invalidate(*, user: User) -> None:
    """End every session of ``user``: each JWT issued until now is refused from now on, and
    the user's open notification sockets close once the change commits."""
    user.tokens_valid_after_ts = unix_now()
    User.objects.filter(pk=user.pk).update(tokens_valid_after_ts=user.tokens_valid_after_ts)
    account_sockets_recheck_on_commit(user.pk, reason="sessions_ended")


@transaction.atomic
def user_password_change(*, user: User, password: str) -> User:
    """Set a new password (DeFarm's password rule applies) and end every session of the
    user: tokens issued before the change are refused."""
    errors = _password_errors(password, user)
    if errors:
        raise exceptions.ValidationError({"password": errors})
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    user_tokens_invalidate(user=user)
    return user
