"""``verified`` on a canonical identifier is the server's to decide: what a client sends in
``verified`` and ``verification_date`` is ignored on every path that takes identifiers."""

import pytest

from items.models import ItemIdentifier
from tests.items.factories import canonical

pytestmark = pytest.mark.django_db

CLAIMED = {"verified": True, "verification_date": "2024-01-01T00:00:00Z"}


def stored_metadata(value: str) -> dict:
    return ItemIdentifier.objects.filter(value=value).latest("created_at").type_metadata


def test_a_client_cannot_mark_its_identifier_verified_on_items(auth_client):
    identifier = {**canonical(), **CLAIMED}
    response = auth_client.post("/api/items", {"identifiers": [identifier]}, format="json")
    assert response.status_code in (200, 201), response.content
    metadata = stored_metadata(identifier["value"])
    assert metadata["verified"] is False
    assert metadata["verification_date"] is None
    shown = response.json()
    shown = shown.get("data", shown)
    for row in shown["identifiers"]:
        assert row["type_metadata"].get("verified") in (False, None)


def test_a_client_cannot_mark_its_identifier_verified_on_local_items(auth_client):
    identifier = {**canonical(), **CLAIMED}
    response = auth_client.post("/api/items/local", {"identifiers": [identifier]}, format="json")
    assert response.status_code in (200, 201), response.content
    metadata = stored_metadata(identifier["value"])
    assert metadata["verified"] is False
    assert metadata["verification_date"] is None


def test_bulk_creation_ignores_the_claim_too(auth_client):
    identifiers = [{**canonical(), **CLAIMED} for _ in range(2)]
    items = [{"identifiers": [identifier]} for identifier in identifiers]
    response = auth_client.post("/api/items/batch", {"items": items}, format="json")
    assert response.status_code in (200, 201), response.content
    for identifier in identifiers:
        assert stored_metadata(identifier["value"])["verified"] is False
