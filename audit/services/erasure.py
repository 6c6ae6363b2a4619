"""Erasure of a person's data (GDPR art. 17), triggered by staff.

The account stays (items, events and circuit history keep pointing at its id, as
traceability requires) but holds nothing personal any more: username and e-mail become
``erased-<hash>`` values, the password is unusable, the account is Suspended, its API keys
are revoked and its notifications deleted. Audit rows by or about it are anonymised
(``audit_events_erase_user``) and one erasure row vouches for them, so the chain still
verifies.
"""

from dataclasses import dataclass

from django.db import transaction

from accounts.live import account_sockets_recheck_on_commit
from accounts.models import ApiKey, Notification, User, UserStatus
from audit.models import AuditEvent
from audit.services.records import admin_action_record
from audit.services.trail import audit_events_erase_user, user_pseudonym
from defarm.timeutils import unix_now


@dataclass(frozen=True)
class ErasureResult:
    user: User
    audit_rows: int
    api_keys_revoked: int
    notifications_deleted: int
    erasure_event: AuditEvent


@transaction.atomic
def user_personal_data_erase(*, user: User, actor: User) -> ErasureResult:
    if not actor.is_admin:
        raise PermissionError("Only staff may erase a person's data.")
    user = User.objects.select_for_update().get(pk=user.pk)
    pseudonym = user_pseudonym(user.pk)
    user.username = pseudonym
    user.email = f"{pseudonym}@erased.invalid"
    user.set_unusable_password()
    user.status = UserStatus.SUSPENDED
    user.workspace_id = None
    user.save()
    revoked = ApiKey.objects.filter(user=user, is_active=True).update(is_active=False)
    account_sockets_recheck_on_commit(user.pk, reason="account_erased")
    notifications, _ = Notification.objects.filter(user=user).delete()
    erasure = audit_events_erase_user(user_id=user.pk, actor=actor)
    admin_action_record(
        admin=actor,
        action_type="user_erase",
        target_id=user.pk,
        data={
            "erasure_event_id": str(erasure.event_id),
            "audit_rows": erasure.details["rows"],
            "api_keys_revoked": revoked,
            "notifications_deleted": notifications,
            "at": unix_now(),
        },
    )
    return ErasureResult(
        user=user,
        audit_rows=erasure.details["rows"],
        api_keys_revoked=revoked,
        notifications_deleted=notifications,
        erasure_event=erasure,
    )
