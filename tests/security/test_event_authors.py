"""Seeing an item through Pull only does not let a member write events to it."""

import pytest

from tests.circuits.factories import CircuitFactory, circuit_url, item_for, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def circuit(user):
    return CircuitFactory(owner=user)


def add_event(client, dfid):
    return client.post(
        "/api/events",
        {"dfid": dfid, "event_type": "Enriched", "metadata": {"note": "x"}},
        format="json",
    )


def test_a_member_who_can_only_pull_cannot_add_events(circuit, user, auth_client):
    item = item_for(user)
    assert auth_client.post(circuit_url(circuit, f"/push/{item.dfid}")).status_code in (200, 201)
    viewer = client_for(member_of(circuit, "Viewer"))
    assert viewer.get(f"/api/items/{item.dfid}").status_code == 200  # it is visible
    response = add_event(viewer, item.dfid)
    assert response.status_code == 403, response.content
    member = client_for(member_of(circuit, "Member"))  # Push in a circuit holding it
    assert add_event(member, item.dfid).status_code in (200, 201)
    assert add_event(auth_client, item.dfid).status_code in (200, 201)
