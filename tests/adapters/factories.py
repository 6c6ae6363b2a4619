"""Items, events and circuits for storage and webhook tests, made with the ORM."""

import hashlib

import factory

from circuits.models import Circuit, CircuitItem, CircuitMember
from circuits.permissions import ALL_PERMISSIONS, ROLE_PERMISSIONS, Role
from items.models import Event, Item, ItemContribution, ItemIdentifier
from tests.accounts.factories import UserFactory


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item
        skip_postgeneration_save = True

    dfid = factory.Sequence(lambda n: f"DFID-20250101-{n:06d}-0")
    item_hash = factory.LazyAttribute(lambda item: hashlib.sha256(item.dfid.encode()).hexdigest())
    enriched_data = factory.LazyAttribute(lambda item: {"breed": "Nelore", "dfid": item.dfid})
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def identifiers(item, create, extracted, **kwargs):
        if create:
            ItemIdentifier.objects.create(item=item, key="ear_tag", value=f"BR-{item.dfid[-8:]}")
            ItemContribution.objects.create(item=item, contributor=item.created_by, is_base=True)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    item = factory.SubFactory(ItemFactory)
    event_type = "Created"
    timestamp = factory.Sequence(lambda n: 1_700_000_000 + n)
    metadata = factory.LazyFunction(dict)


class CircuitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Circuit
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Circuit {n}")
    owner = factory.SubFactory(UserFactory)
    permissions = factory.LazyFunction(dict)

    @factory.post_generation
    def owner_member(circuit, create, extracted, **kwargs):
        if create:
            CircuitMember.objects.create(
                circuit=circuit,
                member=circuit.owner,
                role=Role.OWNER,
                permissions=list(ALL_PERMISSIONS),
            )


def member_add(circuit, user, role=Role.MEMBER) -> CircuitMember:
    return CircuitMember.objects.create(
        circuit=circuit, member=user, role=role, permissions=list(ROLE_PERMISSIONS[role])
    )


def circuit_hold(circuit, item) -> CircuitItem:
    return CircuitItem.objects.create(circuit=circuit, item=item, added_by=circuit.owner_id)
