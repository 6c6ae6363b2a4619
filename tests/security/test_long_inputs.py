"""Text the database could not index is refused as a 400 naming the field, and a database
error that is not an outage is never answered as ``database_unavailable``."""

import base64
import os

import pytest
from django.db import DatabaseError, transaction

from defarm.api.exceptions import database_error_is_outage, exception_handler
from items.identifiers import IDENTIFIER_KEY_MAX_LENGTH, IDENTIFIER_VALUE_MAX_LENGTH
from tests.items.factories import contextual

pytestmark = pytest.mark.django_db

LONG_VALUE = "L" * 2800  # past PostgreSQL's 2,704-byte btree entry
LONG_KEY = "k" * (IDENTIFIER_KEY_MAX_LENGTH + 1)


def assert_names_identifiers(response) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert body["error"] == "validation_error"
    assert "identifiers" in body["details"], body


@pytest.mark.parametrize(
    "identifier",
    [contextual(value=LONG_VALUE), contextual(key=LONG_KEY, value="v")],
    ids=["value", "key"],
)
@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/items", lambda identifier: {"identifiers": [identifier]}),
        ("/api/items/batch", lambda identifier: {"items": [{"identifiers": [identifier]}]}),
        ("/api/items/local", lambda identifier: {"identifiers": [identifier]}),
        (
            "/api/receipts",
            lambda identifier: {"data": "aGVsbG8=", "identifiers": [identifier]},
        ),
    ],
    ids=["item", "bulk", "local", "receipt"],
)
def test_a_long_identifier_is_a_400_naming_the_field(auth_client, path, body, identifier):
    identifier = {key: value for key, value in identifier.items() if key != "namespace"}
    response = auth_client.post(path, body(identifier), format="json")
    if path == "/api/items/batch" and response.status_code in (
        200,
        201,
        207,
    ):
        # A batch answers per item: the item is refused, naming the field.
        [result] = response.json()["results"]
        assert result["status"] == "invalid"
        assert ("at most" in result["error"] or "no more than" in result["error"]) and (
            "value" in result["error"] or "key" in result["error"]
        )
        return
    assert_names_identifiers(response)


def test_the_longest_allowed_identifier_is_stored(auth_client):
    identifier = contextual(value="v" * IDENTIFIER_VALUE_MAX_LENGTH)
    response = auth_client.post("/api/items", {"identifiers": [identifier]}, format="json")
    assert response.status_code in (200, 201), response.content[:300]


@pytest.mark.postgresql
def test_a_value_too_large_for_an_index_is_a_400_not_an_outage(user):
    from items.models import Item, ItemIdentifier

    item = Item.objects.create(dfid="DFID-20240926-000001-2488", created_by=user)
    unindexable = base64.b64encode(os.urandom(6000)).decode()  # incompressible
    with pytest.raises(DatabaseError) as raised, transaction.atomic():
        ItemIdentifier.objects.create(item=item, key="lot", value=unindexable)
    error = raised.value
    assert not database_error_is_outage(error)
    response = exception_handler(error, {})
    assert response.status_code == 400
    assert response.data["error"] == "validation_error"
