"""The lists' query counts do not grow with their rows (3 rows vs 30)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from circuits.models import (
    Activity,
    Circuit,
    CircuitCustomRole,
    CircuitItem,
    CircuitJoinRequest,
    CircuitMember,
    CircuitOperation,
    CircuitPendingItem,
)
from circuits.permissions import ALL_PERMISSIONS
from items.models import Event, Item, ItemIdentifier
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def make_users(prefix: str, count: int) -> list[User]:
    return User.objects.bulk_create(
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password="!")
        for n in range(count)
    )


def make_circuit(owner: User, name: str = "c") -> Circuit:
    circuit = Circuit.objects.create(owner=owner, name=name)
    CircuitMember.objects.create(
        circuit=circuit, member=owner, role="Owner", permissions=list(ALL_PERMISSIONS)
    )
    return circuit


def fill(circuit: Circuit, count: int, tag: str) -> None:
    """``count`` members, items (with identifiers), operations, activities, pending items and
    join requests."""
    members = make_users(f"{tag}m", count)
    CircuitMember.objects.bulk_create(
        CircuitMember(circuit=circuit, member=user, role="Member", permissions=["Push", "Pull"])
        for user in members
    )
    items = Item.objects.bulk_create(
        Item(dfid=f"DFID-20250101-{tag}{n:06d}-0", item_hash="0" * 64) for n in range(count)
    )
    ItemIdentifier.objects.bulk_create(
        ItemIdentifier(item=item, key="lot", value=str(n)) for n, item in enumerate(items)
    )
    CircuitItem.objects.bulk_create(
        CircuitItem(circuit=circuit, item=item, added_by=circuit.owner_id) for item in items
    )
    CircuitOperation.objects.bulk_create(
        CircuitOperation(
            circuit=circuit,
            requester_id=circuit.owner_id,
            operation_type="Push",
            status="Completed",
            dfid=item.dfid,
        )
        for item in items
    )
    Activity.objects.bulk_create(
        Activity(
            activity_type="Push",
            circuit=circuit,
            circuit_name=circuit.name,
            dfids=[item.dfid],
            performed_by=circuit.owner_id,
            status="Completed",
        )
        for item in items
    )
    CircuitPendingItem.objects.bulk_create(
        CircuitPendingItem(circuit=circuit, item=item, pushed_by=circuit.owner_id) for item in items
    )
    CircuitJoinRequest.objects.bulk_create(
        CircuitJoinRequest(circuit=circuit, requester=user) for user in make_users(f"{tag}j", count)
    )
    CircuitCustomRole.objects.bulk_create(
        CircuitCustomRole(circuit=circuit, role_name=f"role{n}", permissions=["Pull"])
        for n in range(count)
    )
    CircuitMember.objects.bulk_create(
        CircuitMember(circuit=circuit, member=user, role=f"role{n}", permissions=["Pull"])
        for n, user in enumerate(make_users(f"{tag}r", count))
    )
    Event.objects.bulk_create(
        Event(item=item, event_type="Created", visibility="CircuitOnly") for item in items
    )


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "suffix",
    [
        "",
        "/items",
        "/items?include_events=true",
        "/operations",
        "/operations/pending",
        "/activities",
        "/pending-items",
        "/requests/pending",
        "/roles",
    ],
)
def test_circuit_detail_and_lists_do_not_grow_with_rows(user, suffix):
    small, large = make_circuit(user, "small"), make_circuit(user, "large")
    fill(small, 3, "a")
    fill(large, 30, "b")
    client = client_for(user)
    small_count = queries_for(client, f"/api/circuits/{small.circuit_id}{suffix}")
    large_count = queries_for(client, f"/api/circuits/{large.circuit_id}{suffix}")
    assert small_count == large_count


def test_circuit_list_does_not_grow_with_circuits_or_members(user):
    client = client_for(user)
    for n in range(3):
        fill(make_circuit(user, f"s{n}"), 3, f"s{n}")
    small_count = queries_for(client, "/api/circuits?limit=100")
    for n in range(27):
        fill(make_circuit(user, f"l{n}"), 3 if n % 2 else 10, f"l{n}")
    assert int(client.get("/api/circuits?limit=100")["X-Total-Count"]) == 30
    assert queries_for(client, "/api/circuits?limit=100") == small_count


def test_circuits_of_a_member_do_not_grow_with_circuits_or_members(user):
    client = client_for(user)
    path = f"/api/circuits/member/{user.pk}"
    for n in range(3):
        fill(make_circuit(user, f"s{n}"), 3, f"s{n}")
    small_count = queries_for(client, path)
    for n in range(27):
        fill(make_circuit(user, f"l{n}"), 3 if n % 2 else 10, f"l{n}")
    assert len(client.get(path).json()) == 30
    assert queries_for(client, path) == small_count
