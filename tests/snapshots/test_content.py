import hashlib
import json

from adapters.cid import cid_v1_raw
from adapters.selectors import local_store_root
from circuits.models import CircuitPublishedItem
from items.snapshots.services import snapshot_take
from tests.adapters.factories import CircuitFactory, circuit_hold


def take(item, scope=""):
    return snapshot_take(entity_type="item", entity_id=item.dfid, scope=scope, operation="x")


def test_owner_reads_the_stored_bytes_checked_against_the_cid(auth_client, item):
    snapshot = take(item)
    answer = auth_client.get(f"/api/content/{snapshot.cid}")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    assert answer["X-Content-CID"] == snapshot.cid
    assert cid_v1_raw(answer.content) == snapshot.cid
    assert hashlib.sha256(answer.content).hexdigest() == snapshot.snapshot_id
    assert json.loads(answer.content) == snapshot.state


def test_others_get_404_and_anonymous_401(other_client, api_client, item):
    snapshot = take(item)
    assert other_client.get(f"/api/content/{snapshot.cid}").status_code == 404
    assert api_client.get(f"/api/content/{snapshot.cid}").status_code == 401
    assert other_client.get("/api/content/bafkreinothing").status_code == 404


def test_a_tampered_blob_is_a_clear_error_not_the_bytes(auth_client, item):
    snapshot = take(item)
    path = local_store_root() / snapshot.cid[-2:] / snapshot.cid
    path.write_bytes(path.read_bytes().replace(b'"version":1', b'"version":9'))
    answer = auth_client.get(f"/api/content/{snapshot.cid}")
    assert answer.status_code == 502
    body = answer.json()
    assert body["success"] is False and "does not match" in body["message"]
    assert body["error"] == "content_integrity_failed"
    path.unlink()
    missing = auth_client.get(f"/api/content/{snapshot.cid}")
    assert missing.status_code == 404 and missing.json()["error"] == "storage_not_found"


def test_adapter_returning_other_bytes_is_refused(auth_client, item, monkeypatch):
    from adapters.backends import LocalStorageAdapter

    snapshot = take(item)
    monkeypatch.setattr(LocalStorageAdapter, "retrieve", lambda self, location: b"{}")
    answer = auth_client.get(f"/api/content/{snapshot.cid}")
    assert answer.status_code == 502
    assert answer.json()["error"] == "content_integrity_failed"


def test_public_content_only_for_published_chains(api_client, user, item):
    public = CircuitFactory(
        owner=user,
        adapter_config={"adapter_type": "local"},
        public_settings={"access_mode": "public"},
    )
    circuit_hold(public, item)
    CircuitPublishedItem.objects.create(circuit=public, item=item)
    published = take(item, scope=str(public.circuit_id))
    own = take(item)
    answer = api_client.get(f"/api/public/content/{published.cid}")
    assert answer.status_code == 200 and cid_v1_raw(answer.content) == published.cid
    assert api_client.get(f"/api/public/content/{own.cid}").status_code == 404
    listed = api_client.get(f"/api/public/snapshots/items/{item.dfid}/snapshots").json()
    assert listed["data"]["snapshots"][0]["urls"]["ipfs_url"] == (
        f"http://testserver/api/public/content/{published.cid}"
    )


def test_members_read_their_circuits_chains_and_staff_every_one(staff_client, item):
    from tests.accounts.factories import UserFactory
    from tests.adapters.factories import member_add
    from tests.conftest import client_for

    foreign = CircuitFactory(adapter_config={"adapter_type": "local"})
    circuit_hold(foreign, item)
    in_foreign = take(item, scope=str(foreign.circuit_id))
    own = take(item)
    circuit_snapshot = snapshot_take(
        entity_type="circuit", entity_id=str(foreign.circuit_id), operation="x"
    )
    member = UserFactory()
    member_add(foreign, member)
    client = client_for(member)
    assert client.get(f"/api/content/{in_foreign.cid}").status_code == 200
    assert client.get(f"/api/content/{circuit_snapshot.cid}").status_code == 200
    assert client.get(f"/api/content/{own.cid}").status_code == 404
    for snapshot in (in_foreign, own, circuit_snapshot):
        assert staff_client.get(f"/api/content/{snapshot.cid}").status_code == 200
