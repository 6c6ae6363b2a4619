import itertools

from items.services import item_create, local_item_create

_sisbov = itertools.count(100000000000)


def sisbov() -> str:
    """A fresh, valid SISBOV number."""
    return f"BR{next(_sisbov)}"


def canonical(value: str | None = None, *, key: str = "sisbov", namespace: str = "bovino"):
    return {"namespace": namespace, "key": key, "value": value or sisbov(), "id_type": "Canonical"}


def contextual(key: str = "lot", value: str = "L1", *, namespace: str = "bovino"):
    return {"namespace": namespace, "key": key, "value": value}


def item_for(user, *identifiers, enriched_data=None):
    """A global item created by ``user`` through the service (charged as usual)."""
    return item_create(
        user=user,
        identifiers=list(identifiers) or [canonical()],
        enriched_data=enriched_data,
    ).item


def local_item_for(user, *identifiers, enriched_data=None):
    return local_item_create(user=user, identifiers=list(identifiers), enriched_data=enriched_data)


def adopted_item(dfid: str = "DFID-20240926-000001-2488", **fields):
    """An item without a creator, as adopted from an earlier database: the migration gave it
    an adopted base layer."""
    from defarm.timeutils import unix_now
    from items.models import Item, ItemContribution

    item = Item.objects.create(dfid=dfid, item_hash=fields.pop("item_hash", "0" * 64), **fields)
    ItemContribution.objects.create(item=item, is_base=True, adopted_at_ts=unix_now())
    return item
