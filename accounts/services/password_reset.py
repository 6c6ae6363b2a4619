"""Password reset by e-mail.

- A request names an e-mail or a username. Whether an account matches or not, the caller
  gets the same answer; only the account's owner learns more, from the e-mail.
- The token is 32 random bytes in hex, written only into the e-mail; ``password_reset_tokens``
  keeps its SHA-256. It works once, for ``DEFARM_PASSWORD_RESET_TOKEN_MINUTES``.
- Limits (``PASSWORD_RESET_RATE_LIMIT_PER_HOUR``, 3 by default): requests naming the same
  e-mail or username in an hour, counted whether an account matches or not (a 429 says
  nothing about the account), and reset e-mails per account in an hour (past it the request
  is answered as usual and nothing is sent).
- A reset sets the new password (DeFarm's password rule), uses up every outstanding token of
  the account and ends all its sessions: JWTs issued before it are refused, and Django
  sessions end because the password changed.
"""

import hashlib
import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from rest_framework import exceptions

from accounts.models import PasswordResetToken, User
from accounts.services.attempts import attempt_take
from accounts.services.user_activity import (
    ActivityType,
    Category,
    ResourceType,
    user_activity_record,
)
from accounts.services.users import user_password_change
from defarm.api.exceptions import ApiError
from defarm.timeutils import unix_now

logger = logging.getLogger("defarm.accounts")

RATE_WINDOW_SECONDS = 3600
REQUESTS_SCOPE = "password-reset"


def password_reset_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account_for(*, email: str, username: str) -> User | None:
    """The one account the e-mail (case-insensitively; the exact spelling when a V1 database
    holds several differing in case) or else the username names."""
    if email:
        candidates = list(User.objects.filter(email__iexact=email).order_by("user_id"))
        if len(candidates) > 1:
            candidates = [candidate for candidate in candidates if candidate.email == email]
        return candidates[0] if len(candidates) == 1 else None
    return User.objects.filter(username=username).first()


def _reset_mail_body(*, user: User, token: str, minutes: int) -> str:
    if settings.DEFARM_PASSWORD_RESET_URL:
        separator = "&" if "?" in settings.DEFARM_PASSWORD_RESET_URL else "?"
        where = (
            "Choose a new password here:\n\n"
            f"{settings.DEFARM_PASSWORD_RESET_URL}{separator}{urlencode({'token': token})}"
        )
    else:
        where = (
            "Send this token with your new password to POST /api/auth/reset-password "
            '({"token": "...", "new_password": "..."}):\n\n'
            f"{token}"
        )
    return (
        f"Hello {user.username},\n\n"
        "Someone (hopefully you) asked to reset the password of your DeFarm account.\n"
        f"{where}\n\n"
        f"This works once, within {minutes} minutes. If you did not ask for it, ignore this "
        "e-mail: your password stays as it is.\n"
    )


def _reset_mail_send(*, user: User, token: str, minutes: int) -> None:
    mailer = settings.MAILERS["default"]
    if mailer["BACKEND"] == settings.SMTP_BACKEND and not mailer["OPTIONS"].get("host"):
        logger.warning(
            "Password reset e-mail for %s not sent: no e-mail is configured (EMAIL_HOST).",
            user.pk,
        )
        return
    try:
        EmailMessage(
            subject="Reset your DeFarm password",
            body=_reset_mail_body(user=user, token=token, minutes=minutes),
            to=[user.email],
        ).send()
    except Exception:  # the answer must not differ from an unknown account's
        logger.exception("Password reset e-mail for %s could not be sent.", user.pk)


def password_reset_request(*, email: str | None = None, username: str | None = None) -> None:
    """Send a reset e-mail to the account named by ``email`` (preferred) or ``username``, if
    there is one that may sign in. 400 when neither is given, 429 past the hourly limit of
    requests naming it; otherwise nothing tells whether an account matched."""
    email = (email or "").strip()
    username = (username or "").strip()
    if not email and not username:
        raise ApiError("Provide email or username to reset your password", code="validation_error")
    limit = settings.PASSWORD_RESET_RATE_LIMIT_PER_HOUR
    named = f"email:{email.lower()}" if email else f"username:{username.lower()}"
    decision = attempt_take(
        scope=REQUESTS_SCOPE,
        ident=password_reset_token_hash(named),
        limit=limit,
        window_seconds=RATE_WINDOW_SECONDS,
    )
    if not decision.allowed:
        raise exceptions.Throttled(
            wait=decision.retry_after,
            detail="Too many password reset requests. Please try again later.",
        )
    user = _account_for(email=email, username=username)
    if user is None or not user.is_active:
        return
    minutes = settings.DEFARM_PASSWORD_RESET_TOKEN_MINUTES
    token = secrets.token_hex(32)
    now = unix_now()
    with transaction.atomic():
        # One request of an account at a time, so two cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        recent = PasswordResetToken.objects.filter(
            user=user, created_at_ts__gt=now - RATE_WINDOW_SECONDS
        ).count()
        if recent >= limit:
            logger.info("Password reset for %s not sent: hourly limit reached.", user.pk)
            return
        PasswordResetToken.objects.create(
            user=user,
            token_hash=password_reset_token_hash(token),
            created_at_ts=now,
            expires_at_ts=now + minutes * 60,
        )
        transaction.on_commit(
            lambda: _reset_mail_send(user=user, token=token, minutes=minutes), robust=True
        )
    password_reset_tokens_prune(now=now)


def _invalid_token() -> ApiError:
    return ApiError("Invalid or expired password reset token", code="invalid_token")


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set ``new_password`` on the account of an unused, unexpired ``token``; the token and
    every other outstanding one of the account are used up and all its sessions end. A
    password breaking the rule is a 400 that leaves the token usable."""
    token = (token or "").strip()
    if not token:
        raise ApiError("Password reset token is required", code="validation_error")
    now = unix_now()
    reset = (
        PasswordResetToken.objects.select_for_update()
        .filter(token_hash=password_reset_token_hash(token.lower()))
        .first()
    )
    if reset is None or reset.used_at_ts is not None or reset.expires_at_ts <= now:
        raise _invalid_token()
    user = User.objects.select_for_update().get(pk=reset.user_id)
    user_password_change(user=user, password=new_password)
    PasswordResetToken.objects.filter(user=user, used_at_ts__isnull=True).update(used_at_ts=now)
    user_activity_record(
        user=user,
        activity_type=ActivityType.UPDATE,
        category=Category.AUTHENTICATION,
        resource_type=ResourceType.USER,
        resource_id=user.pk,
        action="password_reset",
        description="Reset the password with an e-mailed token",
    )
    return user


def password_reset_tokens_prune(*, now: int | None = None) -> int:
    """Delete tokens that expired over a day ago (kept a day for the hourly limit)."""
    now = unix_now() if now is None else now
    deleted, _ = PasswordResetToken.objects.filter(expires_at_ts__lt=now - 86_400).delete()
    return deleted
