"""Receipts: proof that some bytes were received (SHA-256, size, time, identifiers). Each one
queues a data-lake entry for resolution into items."""

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from rest_framework import exceptions

from accounts.models import User
from audit.models import DataLakeEntry, DataLakeStatus
from items.models import Receipt, ReceiptIdentifier


@transaction.atomic
def receipt_create(*, user: User, data: bytes, identifiers: Sequence[dict[str, Any]]) -> Receipt:
    """Hash ``data``, keep its identifiers and queue a Pending data-lake entry."""
    pairs: list[tuple[str, str]] = []
    for raw in identifiers:
        key = str(raw.get("key") or "").strip()
        value = str(raw.get("value") or "").strip()
        if not key or not value:
            raise exceptions.ValidationError(
                {"identifiers": [f"Identifier {key or '?'}={value or '?'}: key and value needed."]}
            )
        if (key, value) not in pairs:
            pairs.append((key, value))
    receipt = Receipt.objects.create(
        data_hash=receipt_data_hash(data), size_bytes=len(data), created_by=user
    )
    ReceiptIdentifier.objects.bulk_create(
        ReceiptIdentifier(receipt=receipt, key=key, value=value) for key, value in pairs
    )
    DataLakeEntry.objects.create(
        receipt=receipt, data_hash=receipt.data_hash, status=DataLakeStatus.PENDING
    )
    return Receipt.objects.prefetch_related("identifiers").get(pk=receipt.pk)


def receipt_data_hash(data: bytes) -> str:
    """The hash a receipt keeps of its data: SHA-256, hex."""
    return hashlib.sha256(data).hexdigest()


def receipt_verify(*, receipt: Receipt, data: bytes) -> bool:
    """True when ``data`` is exactly the bytes the receipt was issued for."""
    return hmac.compare_digest(receipt_data_hash(data), receipt.data_hash)
