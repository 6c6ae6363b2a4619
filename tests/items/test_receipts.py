import base64
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import CreditBalance
from audit.models import DataLakeEntry
from items.models import ConflictResolution, IdentifierMapping, Item, ItemSourceEntry
from items.services import data_lake_resolve_pending
from tests.items.factories import canonical, item_for

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def post_receipt(client, data: bytes, *identifiers):
    return client.post(
        "/api/receipts",
        {"data": b64(data), "identifiers": [{"key": k, "value": v} for k, v in identifiers]},
        format="json",
    )


def test_receipt_hashes_the_data_and_queues_a_data_lake_entry(auth_client):
    data = b"weighing 2026-11-25: 320kg"
    response = post_receipt(auth_client, data, ("sisbov", "BR123456789012"), ("lot", "L1"))
    assert response.status_code == 200
    body = response.json()
    assert body["data_hash"] == hashlib.sha256(data).hexdigest()
    assert body["size_bytes"] == len(data)
    assert body["timestamp"] > 0
    assert {(i["key"], i["value"]) for i in body["identifiers"]} == {
        ("sisbov", "BR123456789012"),
        ("lot", "L1"),
    }
    entry = DataLakeEntry.objects.get(receipt_id=body["id"])
    assert entry.status == "Pending" and entry.data_hash == body["data_hash"]


def test_verify_tells_whether_the_data_matches(auth_client):
    receipt = post_receipt(auth_client, b"original", ("lot", "L1")).json()
    ok = auth_client.post(f"/api/receipts/{receipt['id']}/verify", {"data": b64(b"original")})
    assert ok.status_code == 200 and ok.json()["is_valid"] is True
    bad = auth_client.post(f"/api/receipts/{receipt['id']}/verify", {"data": b64(b"tampered")})
    assert bad.json()["is_valid"] is False


def test_invalid_base64_is_a_validation_error(auth_client):
    response = auth_client.post("/api/receipts", {"data": "@@not base64@@"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_search_by_identifier_shows_only_my_receipts(auth_client, other_client):
    mine = post_receipt(auth_client, b"a", ("lot", "L1")).json()
    post_receipt(auth_client, b"b", ("lot", "L2"))
    theirs = post_receipt(other_client, b"c", ("lot", "L1")).json()
    results = auth_client.post(
        "/api/receipts/search/identifier", {"key": "lot", "value": "L1"}, format="json"
    ).json()
    assert [r["id"] for r in results] == [mine["id"]]
    assert other_client.get(f"/api/receipts/{mine['id']}").status_code == 404
    assert (
        other_client.post(f"/api/receipts/{mine['id']}/verify", {"data": b64(b"a")}).status_code
        == 404
    )
    assert auth_client.get(f"/api/receipts/{theirs['id']}").status_code == 404


def test_receipt_list_query_count_does_not_grow(auth_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(3):
        post_receipt(auth_client, bytes([n]), ("lot", f"L{n}"))
    with CaptureQueriesContext(connection) as few:
        auth_client.get("/api/receipts/list")
    for n in range(3, 30):
        post_receipt(auth_client, bytes([n]), ("lot", f"L{n}"), ("farm", "F"))
    with CaptureQueriesContext(connection) as many:
        assert int(auth_client.get("/api/receipts/list")["X-Total-Count"]) == 30
    assert len(many) == len(few)


def test_data_lake_resolution_creates_enriches_and_flags_conflicts(auth_client, user):
    tag_a, tag_b = canonical()["value"], canonical()["value"]
    existing_a = item_for(user, canonical(tag_a, namespace="generic"))
    existing_b = item_for(user, canonical(tag_b, namespace="generic"))
    new_tag = canonical()["value"]
    created = post_receipt(auth_client, b"1", ("sisbov", new_tag), ("lot", "L1")).json()
    enriched = post_receipt(auth_client, b"2", ("sisbov", tag_a), ("lot", "L2")).json()
    # a malformed registry value is kept as a contextual identifier
    post_receipt(auth_client, b"3", ("sisbov", tag_a), ("rfid", "X"))
    item_for(user, canonical("E2003412010", key="rfid", namespace="generic"))
    conflicted = post_receipt(auth_client, b"4", ("sisbov", tag_b), ("rfid", "E2003412010")).json()

    summary = data_lake_resolve_pending()
    assert (summary.completed, summary.conflicted, summary.failed) == (3, 1, 0)

    entry = DataLakeEntry.objects.get(receipt_id=created["id"])
    assert entry.status == "Completed"
    new_item = Item.objects.get(identifiers__value=new_tag)
    assert new_item.dfid in entry.processing_notes
    assert ItemSourceEntry.objects.filter(item=new_item, entry_id=entry.entry_id).exists()
    assert IdentifierMapping.objects.filter(item=new_item, source_entry_id=entry.entry_id).exists()

    entry = DataLakeEntry.objects.get(receipt_id=enriched["id"])
    assert entry.status == "Completed" and existing_a.dfid in entry.processing_notes
    assert Item.objects.get(dfid=existing_a.dfid).identifiers.filter(value="L2").exists()

    entry = DataLakeEntry.objects.get(receipt_id=conflicted["id"])
    assert entry.status == "Conflicted"
    assert existing_b.dfid in entry.processing_notes
    assert ConflictResolution.objects.filter(status="Pending").count() == 1


def test_resolve_data_lake_command_and_failure_when_short_of_credits(auth_client, user):
    post_receipt(auth_client, b"x", ("sisbov", canonical()["value"]))
    CreditBalance.objects.filter(user=user).update(credits=0)
    out = StringIO()
    call_command("resolve_data_lake", stdout=out)
    assert "failed=1" in out.getvalue()
    entry = DataLakeEntry.objects.get()
    assert entry.status == "Failed" and "insufficient_credits" in entry.processing_notes
    assert not Item.objects.exists()
