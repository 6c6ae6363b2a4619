import pytest

from circuits.models import Circuit, CircuitItem, CircuitMember


@pytest.fixture
def share_in_circuit():
    """Put ``item`` in a new circuit whose members are ``members``; returns the circuit."""

    def share(item, *members):
        owner = members[0]
        circuit = Circuit.objects.create(name="Cooperative", owner=owner)
        for member in members:
            CircuitMember.objects.create(circuit=circuit, member=member, role="Member")
        CircuitItem.objects.create(circuit=circuit, item=item, added_by=owner.pk)
        return circuit

    return share
