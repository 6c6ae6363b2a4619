"""Approvals, pushes, join requests and circuit creation under concurrent requests
(PostgreSQL: real row locks)."""

import threading

import pytest
from django.db import connection

from accounts.models import CreditTransaction
from circuits.models import (
    Circuit,
    CircuitItem,
    CircuitJoinRequest,
    CircuitOperation,
    CircuitPendingItem,
)
from circuits.services import circuit_push
from tests.accounts.factories import UserFactory
from tests.circuits.factories import CircuitFactory, item_for, member_of
from tests.conftest import client_for

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def in_parallel(calls):
    """Run each call in its own thread (own connection), released together."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_one_pending_item_approved_by_two_managers_at_once_completes_once():
    owner = UserFactory()
    circuit = CircuitFactory(owner=owner, permissions={"require_approval_for_push": True})
    admin = member_of(circuit, "Admin")
    member = member_of(circuit, "Member")
    item = item_for(member)
    circuit_push(circuit=circuit, user=member, dfid=item.dfid)
    pending = CircuitPendingItem.objects.get()
    charges_before = CreditTransaction.objects.filter(user=member).count()
    path = f"/api/circuits/{circuit.circuit_id}/pending-items/{pending.pk}/approve"

    statuses = in_parallel(
        [lambda user=user: client_for(user).post(path).status_code for user in (owner, admin)] * 2
    )

    assert sorted(statuses) == [200, 409, 409, 409]
    assert CircuitItem.objects.filter(circuit=circuit, item=item).count() == 1
    assert CircuitOperation.objects.get().status == "Completed"
    assert CreditTransaction.objects.filter(user=member).count() == charges_before + 1


def test_the_same_item_pushed_twice_at_once_enters_once():
    owner = UserFactory()
    circuit = CircuitFactory(owner=owner)
    item = item_for(owner)
    path = f"/api/circuits/{circuit.circuit_id}/push/{item.dfid}"

    statuses = in_parallel([lambda: client_for(owner).post(path).status_code] * 4)

    assert sorted(statuses) == [200, 409, 409, 409]
    assert CircuitItem.objects.filter(circuit=circuit).count() == 1
    assert CircuitOperation.objects.filter(status="Completed").count() == 1


def test_parallel_join_requests_of_one_user_make_one():
    circuit = CircuitFactory(owner=UserFactory())
    requester = UserFactory()
    path = f"/api/circuits/{circuit.circuit_id}/requests"

    statuses = in_parallel([lambda: client_for(requester).post(path).status_code] * 4)

    assert sorted(statuses) == [200, 409, 409, 409]
    assert CircuitJoinRequest.objects.count() == 1


def test_parallel_creations_stop_at_the_tier_limit():
    owner = UserFactory()  # Basic: 5 circuits
    for n in range(3):
        CircuitFactory(owner=owner, name=f"c{n}")

    statuses = in_parallel(
        [
            lambda n=n: client_for(owner).post("/api/circuits", {"name": f"p{n}"}).status_code
            for n in range(5)
        ]
    )

    assert sorted(statuses) == [200, 200, 403, 403, 403]
    assert Circuit.objects.filter(owner=owner).count() == 5
