import itertools

import factory

from circuits.models import Circuit
from circuits.services import circuit_create, member_add
from items.services import item_create, local_item_create
from tests.accounts.factories import UserFactory

_sisbov = itertools.count(200000000000)


class CircuitFactory(factory.django.DjangoModelFactory):
    """A circuit made through ``circuit_create``: its owner is the Owner member."""

    class Meta:
        model = Circuit

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Circuit {n}")
    description = "Cattle traders of the valley"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return circuit_create(**kwargs)


def member_of(circuit, role="Member", user=None):
    """A (new) user added to ``circuit`` with ``role``."""
    user = user or UserFactory()
    member_add(circuit=circuit, actor=None, member=user, role=role)
    return user


def sisbov() -> str:
    return f"BR{next(_sisbov)}"


def canonical(value=None, *, key="sisbov", namespace="bovino"):
    return {"namespace": namespace, "key": key, "value": value or sisbov(), "id_type": "Canonical"}


def contextual(key="lot", value="L1", *, namespace="bovino"):
    return {"namespace": namespace, "key": key, "value": value}


def item_for(user, *identifiers, enriched_data=None):
    return item_create(
        user=user, identifiers=list(identifiers) or [canonical()], enriched_data=enriched_data
    ).item


def local_item_for(user, *identifiers, enriched_data=None):
    return local_item_create(user=user, identifiers=list(identifiers), enriched_data=enriched_data)


def circuit_url(circuit, suffix: str = "") -> str:
    return f"/api/circuits/{circuit.circuit_id}{suffix}"
