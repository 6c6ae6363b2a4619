"""Item shares: the creator of an item (or staff) gives another user read access to it, until
revoked. A shared item shows in everything its recipient sees (lists, searches, events)."""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from rest_framework import exceptions

from accounts.models import User
from defarm.api.exceptions import ApiError
from defarm.timeutils import unix_now
from items.models import Item, ItemShare
from items.selectors import item_share_active
from items.services.activity import ActivityType, item_activity_record
from items.services.items import item_require_owner


def _share_id() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"SHARE-{stamp}-{secrets.token_hex(4).upper()}"


def _recipient(recipient_user_id: str) -> User:
    recipient = User.objects.filter(pk=recipient_user_id).first()
    if recipient is None:
        raise ApiError(
            f"User {recipient_user_id} not found.", code="user_not_found", status_code=404
        )
    return recipient


def item_share(
    *, user: User, item: Item, recipient_user_id: str, permissions: Sequence[str] | None = None
) -> ItemShare:
    """Give ``recipient_user_id`` read access to ``item`` (its creator or staff only). Sharing
    again with the same user updates the permissions of the share already given."""
    item_require_owner(user=user, item=item)
    if recipient_user_id == user.pk:
        raise exceptions.ValidationError(
            {"recipient_user_id": ["An item is not shared with its own creator."]}
        )
    recipient = _recipient(recipient_user_id)
    permissions = list(permissions) if permissions is not None else None
    item_activity_record(
        user=user,
        activity_type=ActivityType.SHARE,
        dfid=item.dfid,
        action="item_share",
        description=f"Shared the item with {recipient.pk}",
        metadata={"recipient_user_id": recipient.pk, "permissions": permissions},
    )
    try:
        with transaction.atomic():
            existing = item_share_active(item=item, recipient_id=recipient.pk)
            if existing is not None:
                existing.permissions = permissions
                existing.save(update_fields=["permissions"])
                return existing
            return ItemShare.objects.create(
                share_id=_share_id(),
                item=item,
                shared_by=user,
                recipient=recipient,
                permissions=permissions,
            )
    except IntegrityError:  # the same share was given concurrently
        share = item_share_active(item=item, recipient_id=recipient.pk)
        assert share is not None
        return share


@transaction.atomic
def item_share_revoke(*, user: User, item: Item, recipient_user_id: str) -> ItemShare:
    """End the share of ``item`` with ``recipient_user_id`` (its creator or staff only)."""
    item_require_owner(user=user, item=item)
    share = item_share_active(item=item, recipient_id=recipient_user_id)
    if share is None:
        raise exceptions.NotFound(f"{item.dfid} is not shared with {recipient_user_id}.")
    share.revoked_at = unix_now()
    share.save(update_fields=["revoked_at"])
    return share
