"""Adapter types in the earlier engine's spellings: accepted by the serializer field, read back
from rows it wrote, and found by lookups in either spelling."""

import pytest
from django.db import connection
from django.db.models import CharField, Value
from django.db.models.functions import Cast
from rest_framework import serializers

from accounts.models import User
from adapters.api.fields import AdapterTypeField
from adapters.models import AdapterConfig, StorageHistory
from tests.accounts.factories import UserFactory
from tests.adapters.factories import ItemFactory


class _Body(serializers.Serializer):
    adapter_type = AdapterTypeField()


@pytest.mark.parametrize(
    ("sent", "parsed"),
    [
        ("ipfs-ipfs", "ipfs-ipfs"),
        ("IpfsIpfs", "ipfs-ipfs"),
        (" StellarTestnetIpfs ", "stellar_testnet-ipfs"),
        ("stellar_mainnet-ipfs", "stellar_mainnet-ipfs"),
        ("StellarMainnetIpfs", "stellar_mainnet-ipfs"),
        ("EthereumGoerliIpfs", "ethereum_goerli-ipfs"),
        ("PolygonArweave", "polygon-arweave"),
        ("None", "none"),
        ("none", "none"),
        ("custom-farm-node", "custom-farm-node"),
    ],
)
def test_every_engine_spelling_is_accepted(sent, parsed):
    body = _Body(data={"adapter_type": sent})
    assert body.is_valid(), body.errors
    assert body.validated_data["adapter_type"] == parsed


@pytest.mark.parametrize("sent", ["ipfs", "IPFS-IPFS", "custom-", "stellar", ""])
def test_unknown_spellings_are_refused(sent):
    body = _Body(data={"adapter_type": sent})
    assert not body.is_valid()
    assert "adapter_type" in body.errors


def test_answers_use_the_hyphenated_spelling():
    assert AdapterTypeField().to_representation("IpfsIpfs") == "ipfs-ipfs"
    assert AdapterTypeField().to_representation('Custom("x")') == "custom-x"


def _store_raw(queryset, **values) -> None:
    """Write values as given, past the fields' conversion (as the engine wrote them)."""
    queryset.update(**{name: Value(value, CharField()) for name, value in values.items()})


@pytest.mark.django_db
def test_rows_in_engine_spellings_read_and_filter_as_defarm_spellings():
    item = ItemFactory()
    record = StorageHistory.objects.create(
        item=item, adapter_type="ipfs-ipfs", storage_location={}, triggered_by="manual"
    )
    config = AdapterConfig.objects.create(name="n", adapter_type="ipfs-ipfs", created_by="x")
    _store_raw(StorageHistory.objects.filter(pk=record.pk), adapter_type="IpfsIpfs")
    _store_raw(AdapterConfig.objects.filter(pk=config.pk), adapter_type='Custom("farm")')

    assert StorageHistory.objects.get(pk=record.pk).adapter_type == "ipfs-ipfs"
    assert StorageHistory.objects.filter(adapter_type="ipfs-ipfs").count() == 1
    assert StorageHistory.objects.filter(adapter_type="IpfsIpfs").count() == 1
    assert StorageHistory.objects.filter(adapter_type__in=["ipfs-ipfs"]).count() == 1
    assert AdapterConfig.objects.get(pk=config.pk).adapter_type == "custom-farm"
    assert AdapterConfig.objects.filter(adapter_type="custom-farm").count() == 1


@pytest.mark.django_db
def test_writes_store_the_hyphenated_spelling():
    config = AdapterConfig.objects.create(
        name="n", adapter_type="StellarTestnetIpfs", created_by="x"
    )
    stored = AdapterConfig.objects.filter(pk=config.pk).values_list(
        Cast("adapter_type", CharField()), flat=True
    )
    assert list(stored) == ["stellar_testnet-ipfs"]


@pytest.mark.django_db
def test_user_adapter_lists_in_engine_spellings_read_hyphenated():
    user = UserFactory(available_adapters=["ipfs-ipfs"])
    if connection.vendor == "postgresql":
        value = ["IpfsIpfs", 'Custom("farm")']
    else:
        value = '["IpfsIpfs", "Custom(\\"farm\\")"]'
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE user_accounts SET available_adapters = %s WHERE user_id = %s", [value, user.pk]
        )
    assert User.objects.get(pk=user.pk).available_adapters == ["ipfs-ipfs", "custom-farm"]
