import pytest

from accounts.models import CreditBalance, CreditTransaction, Notification
from circuits import signals
from circuits.models import (
    Activity,
    CircuitItem,
    CircuitOperation,
    CircuitPendingItem,
    CircuitPublishedItem,
    CircuitStatus,
    OperationStatus,
)
from circuits.services import circuit_set_public_settings, circuit_update
from items.models import ConflictResolution, Event, Item, LidDfidMapping
from tests.circuits.factories import (
    CircuitFactory,
    canonical,
    circuit_url,
    contextual,
    item_for,
    local_item_for,
    member_of,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def credits(user) -> int:
    return CreditBalance.objects.get(user=user).credits


@pytest.fixture
def received():
    """Signals sent by the circuits services: a list of (signal name, kwargs)."""
    calls = []
    handlers = {}
    for name in ("item_pushed", "item_approved", "item_tokenized", "item_published"):

        def handler(sender, _name=name, **kwargs):
            calls.append((_name, kwargs))

        handlers[name] = handler
        getattr(signals, name).connect(handler)
    yield calls
    for name, handler in handlers.items():
        getattr(signals, name).disconnect(handler)


def require_approval(circuit, *, push=False, pull=False):
    circuit_update(
        circuit=circuit,
        actor=circuit.owner,
        permissions={"require_approval_for_push": push, "require_approval_for_pull": pull},
    )


# --- push of an existing DFID -------------------------------------------------------------------


def test_push_completes_at_once(
    auth_client, user, circuit, received, django_capture_on_commit_callbacks
):
    item = item_for(user)
    before = credits(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "Completed"
    assert body["operation_type"] == "Push"
    assert body["dfid"] == item.dfid
    assert body["completed_at_ts"] is not None
    assert CircuitItem.objects.filter(circuit=circuit, item=item, added_by=user.pk).exists()
    [activity] = Activity.objects.filter(circuit=circuit)
    assert activity.activity_type == "Push"
    assert activity.dfids == [item.dfid]
    event = Event.objects.get(item=item, event_type="PushedToCircuit")
    assert event.visibility == "CircuitOnly"
    assert event.metadata["circuit_id"] == str(circuit.pk)
    assert credits(user) == before - 3  # Basic tier circuit operation
    assert [name for name, _ in received] == ["item_pushed"]
    assert received[0][1]["item"] == item
    assert received[0][1]["circuit"].pk == circuit.pk
    assert received[0][1]["operation"].pk == CircuitOperation.objects.get().pk

    again = auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert again.status_code == 409
    assert again.json()["error"] == "item_already_in_circuit"


def test_push_needs_an_item_the_caller_sees(circuit, other_user):
    member = member_of(circuit, "Member")
    foreign = item_for(other_user)
    response = client_for(member).post(circuit_url(circuit, f"/push/{foreign.dfid}"))
    assert response.status_code == 404
    assert not CircuitOperation.objects.exists()


def test_local_items_are_pushed_with_push_local(auth_client, user, circuit):
    local = local_item_for(user, canonical())
    response = auth_client.post(circuit_url(circuit, f"/push/{local.dfid}"))
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("status", "code"),
    [(CircuitStatus.INACTIVE, "circuit_inactive"), (CircuitStatus.ARCHIVED, "circuit_archived")],
)
def test_no_push_or_pull_on_inactive_circuits(auth_client, user, circuit, status, code):
    item = item_for(user)
    auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    circuit.status = status
    circuit.save()
    other = item_for(user)
    for path in (f"/push/{other.dfid}", f"/pull/{item.dfid}"):
        response = auth_client.post(circuit_url(circuit, path))
        assert response.status_code == 409
        assert response.json()["error"] == code
    local = local_item_for(user, canonical())
    response = auth_client.post(
        circuit_url(circuit, "/push-local"), {"local_id": local.local_id}, format="json"
    )
    assert response.status_code == 409


def test_push_without_credits_changes_nothing(auth_client, user, circuit):
    item = item_for(user)
    CreditBalance.objects.filter(user=user).update(credits=2)
    ledger = CreditTransaction.objects.filter(user=user).count()
    response = auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert response.status_code == 402
    assert response.json()["error"] == "insufficient_credits"
    assert not CircuitOperation.objects.exists()
    assert not CircuitItem.objects.exists()
    assert not Activity.objects.exists()
    assert not Event.objects.filter(event_type="PushedToCircuit").exists()
    assert credits(user) == 2
    assert CreditTransaction.objects.filter(user=user).count() == ledger


def test_viewer_cannot_push(circuit):
    viewer = member_of(circuit, "Viewer")
    item = item_for(viewer)
    response = client_for(viewer).post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert response.status_code == 403
    assert "Push" in response.json()["message"]


# --- approval of pushes -------------------------------------------------------------------------


def test_push_with_approval_waits_then_is_approved(
    user, circuit, received, django_capture_on_commit_callbacks
):
    require_approval(circuit, push=True)
    member = member_of(circuit, "Member")
    item = item_for(member, enriched_data={"breed": "Nelore"})
    member_credits = credits(member)
    response = client_for(member).post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert response.status_code == 200
    operation_id = response.json()["operation_id"]
    assert response.json()["status"] == "Pending"
    assert not CircuitItem.objects.exists()
    assert credits(member) == member_credits
    assert Notification.objects.filter(
        user=user, notification_type="item_pending_approval"
    ).exists()

    owner = client_for(user)
    pending = owner.get(circuit_url(circuit, "/pending-items")).json()["data"]
    assert len(pending) == 1
    assert pending[0]["dfid"] == item.dfid
    assert pending[0]["item_preview"]["enriched_data"] == {"breed": "Nelore"}
    assert pending[0]["item_preview"]["identifiers"][0]["key"] == "sisbov"
    assert pending[0]["pending_id"] == pending[0]["operation_id"] == operation_id
    assert client_for(member).get(circuit_url(circuit, "/pending-items")).status_code == 403

    owner_credits = credits(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(circuit_url(circuit, f"/pending-items/{pending[0]['id']}/approve"))
    assert response.status_code == 200, response.content
    body = response.json()["data"]
    assert body["status"] == "active"
    assert body["approved_by"] == user.pk
    assert body["approved_at"] is not None
    operation = CircuitOperation.objects.get(pk=operation_id)
    assert (operation.status, operation.approver_id) == ("Completed", user.pk)
    assert CircuitItem.objects.filter(circuit=circuit, item=item).exists()
    assert credits(member) == member_credits - 3  # the requester pays
    assert credits(user) == owner_credits
    assert [name for name, _ in received] == ["item_approved", "item_pushed"]
    assert Notification.objects.filter(user=member, notification_type="item_approved").exists()
    again = owner.post(circuit_url(circuit, f"/pending-items/{pending[0]['id']}/approve"))
    assert again.status_code == 409
    assert owner.get(circuit_url(circuit, "/pending-items"))["X-Total-Count"] == "0"


def test_rejected_push_changes_nothing(user, circuit):
    require_approval(circuit, push=True)
    member = member_of(circuit, "Member")
    item = item_for(member)
    member_credits = credits(member)
    client_for(member).post(circuit_url(circuit, f"/push/{item.dfid}"))
    pending = CircuitPendingItem.objects.get()
    response = client_for(user).post(
        circuit_url(circuit, f"/pending-items/{pending.pk}/reject"),
        {"reason": "missing vaccination"},
    )
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Item rejected"}
    operation = CircuitOperation.objects.get()
    assert (operation.status, operation.rejection_reason) == ("Rejected", "missing vaccination")
    assert not CircuitItem.objects.exists()
    assert not Activity.objects.exists()
    assert credits(member) == member_credits
    note = Notification.objects.get(user=member, notification_type="item_rejected")
    assert "missing vaccination" in note.message
    # It can be pushed again after the decision.
    again = client_for(member).post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert again.status_code == 200
    assert CircuitPendingItem.objects.get().status == "Pending"


def test_a_pending_push_is_not_duplicated(circuit):
    require_approval(circuit, push=True)
    member = member_of(circuit, "Member")
    item = item_for(member)
    client_for(member).post(circuit_url(circuit, f"/push/{item.dfid}"))
    response = client_for(member).post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert response.status_code == 409
    assert response.json()["error"] == "push_pending"


def test_members_without_manage_members_cannot_approve(circuit):
    require_approval(circuit, push=True)
    member = member_of(circuit, "Member")
    item = item_for(member)
    client_for(member).post(circuit_url(circuit, f"/push/{item.dfid}"))
    pending = CircuitPendingItem.objects.get()
    response = client_for(member).post(circuit_url(circuit, f"/pending-items/{pending.pk}/approve"))
    assert response.status_code == 403
    admin = member_of(circuit, "Admin")
    response = client_for(admin).post(circuit_url(circuit, f"/pending-items/{pending.pk}/approve"))
    assert response.status_code == 200


def test_approval_through_the_operation(user, circuit):
    require_approval(circuit, push=True)
    member = member_of(circuit, "Member")
    item = item_for(member)
    operation_id = (
        client_for(member).post(circuit_url(circuit, f"/push/{item.dfid}")).json()["operation_id"]
    )
    response = client_for(user).post(f"/api/circuits/operations/{operation_id}/approve")
    assert response.status_code == 200
    assert response.json()["status"] == "Completed"
    assert CircuitPendingItem.objects.get().status == "Approved"


# --- push-local ---------------------------------------------------------------------------------


def push_local(client, circuit, local, **body):
    return client.post(
        circuit_url(circuit, "/push-local"), {"local_id": local.local_id, **body}, format="json"
    )


def test_push_local_creates_then_enriches(
    user, circuit, received, django_capture_on_commit_callbacks
):
    second = member_of(circuit, "Member")
    tag = canonical()
    local = local_item_for(user, tag, enriched_data={"weight": 400})
    before = credits(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = push_local(client_for(user), circuit, local, enriched_data={"breed": "Angus"})
    assert response.status_code == 200, response.content
    assert response.json()["success"] is True
    body = response.json()["data"]
    assert body["status"] == "NewItemCreated"
    assert body["local_id"] == local.local_id
    assert body["dfid"].startswith("DFID-")
    assert credits(user) == before - 2 - 3  # new DFID + circuit operation
    item = Item.objects.get(pk=body["dfid"])
    assert item.enriched_data == {"weight": 400, "breed": "Angus"}
    assert LidDfidMapping.objects.get(local_id=local.local_id).item_id == item.dfid
    assert CircuitItem.objects.filter(circuit=circuit, item=item).exists()
    operation = CircuitOperation.objects.get(pk=body["operation_id"])
    assert operation.dfid == item.dfid
    assert operation.status == OperationStatus.COMPLETED
    assert [name for name, _ in received] == ["item_tokenized", "item_pushed"]

    other_local = local_item_for(second, tag, contextual("lot", "L9"))
    response = push_local(client_for(second), circuit, other_local)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "ExistingItemEnriched"
    assert response.json()["data"]["dfid"] == item.dfid
    assert CircuitItem.objects.filter(circuit=circuit).count() == 1
    assert Activity.objects.filter(circuit=circuit).count() == 2

    tokenized_again = push_local(client_for(user), circuit, local)
    assert tokenized_again.status_code == 409
    assert tokenized_again.json()["error"] == "already_tokenized"


def test_push_local_of_someone_elses_local_item_is_404(circuit, user):
    member = member_of(circuit, "Member")
    local = local_item_for(user, canonical())
    assert push_local(client_for(member), circuit, local).status_code == 404


@pytest.mark.parametrize(
    ("alias_config", "identifiers", "rule"),
    [
        ({"required_canonical": ["sisbov"]}, [contextual()], "required_canonical"),
        ({"required_contextual": ["farm"]}, [canonical()], "required_contextual"),
        ({"allowed_namespaces": ["aves"]}, [canonical()], "allowed_namespaces"),
        ({"use_fingerprint": True}, [canonical()], "use_fingerprint"),
    ],
)
def test_push_local_alias_rules(user, alias_config, identifiers, rule):
    circuit = CircuitFactory(owner=user, alias_config=alias_config)
    local = local_item_for(user, *identifiers)
    response = push_local(client_for(user), circuit, local)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "alias_rule_failed"
    assert body["details"]["rule"] == rule
    assert rule in body["message"]
    assert not CircuitOperation.objects.exists()


def test_push_local_identifiers_sent_with_the_push_count(user):
    circuit = CircuitFactory(owner=user, alias_config={"required_canonical": ["sisbov"]})
    local = local_item_for(user, contextual())
    response = push_local(client_for(user), circuit, local, identifiers=[canonical()])
    assert response.status_code == 200, response.content


def test_auto_apply_namespace_fills_the_circuit_namespace(user):
    circuit = CircuitFactory(
        owner=user,
        alias_config={
            "allowed_namespaces": ["cafe"],
            "auto_apply_namespace": True,
            "default_namespace": "cafe",
        },
    )
    local = local_item_for(user)
    response = push_local(
        client_for(user),
        circuit,
        local,
        identifiers=[{"key": "lot", "value": "C-1"}],
    )
    assert response.status_code == 200, response.content
    item = Item.objects.get(pk=response.json()["data"]["dfid"])
    assert [(i.namespace, i.key) for i in item.identifiers.all()] == [("cafe", "lot")]


def test_fingerprint_lands_equal_contextual_items_on_one_dfid(user):
    circuit = CircuitFactory(owner=user, alias_config={"use_fingerprint": True})
    first = push_local(client_for(user), circuit, local_item_for(user, contextual("lot", "A1")))
    second = push_local(client_for(user), circuit, local_item_for(user, contextual("lot", "A1")))
    assert first.json()["data"]["status"] == "NewItemCreated"
    assert second.json()["data"]["status"] == "ExistingItemEnriched"
    assert second.json()["data"]["dfid"] == first.json()["data"]["dfid"]


def test_push_local_conflict_keeps_the_conflict_and_fails_the_operation(user, circuit):
    first, second = canonical(), canonical(key="rfid", value="RFID0000001")
    item_for(user, first)
    item_for(user, second)
    local = local_item_for(user, first, second)
    before = credits(user)
    response = push_local(client_for(user), circuit, local)
    assert response.status_code == 409
    conflict_id = response.json()["details"]["conflict_id"]
    assert ConflictResolution.objects.filter(pk=conflict_id, status="Pending").exists()
    assert CircuitOperation.objects.get().status == OperationStatus.FAILED
    assert not CircuitItem.objects.exists()
    assert credits(user) == before
    assert LidDfidMapping.objects.get(local_id=local.local_id).item_id == local.dfid


def test_push_local_with_approval_tokenizes_on_approval(user, circuit):
    require_approval(circuit, push=True)
    member = member_of(circuit, "Member")
    local = local_item_for(member, canonical(), enriched_data={"a": 1})
    response = push_local(client_for(member), circuit, local, enriched_data={"b": 2})
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "PendingApproval"
    assert response.json()["data"]["dfid"] is None
    assert LidDfidMapping.objects.get(local_id=local.local_id).item_id == local.dfid
    pending = CircuitPendingItem.objects.get()
    assert pending.enriched_data == {"a": 1, "b": 2}
    response = client_for(user).post(circuit_url(circuit, f"/pending-items/{pending.pk}/approve"))
    assert response.status_code == 200, response.content
    dfid = response.json()["data"]["dfid"]
    assert dfid.startswith("DFID-")
    assert Item.objects.get(pk=dfid).enriched_data == {"a": 1, "b": 2}
    assert LidDfidMapping.objects.get(local_id=local.local_id).item_id == dfid


# --- pull ---------------------------------------------------------------------------------------


def test_pull_takes_the_item_out(auth_client, user, circuit):
    item = item_for(user)
    auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    before = credits(user)
    response = auth_client.post(circuit_url(circuit, f"/pull/{item.dfid}"))
    assert response.status_code == 200
    assert response.json()["item"]["dfid"] == item.dfid
    assert response.json()["operation"]["status"] == "Completed"
    assert response.json()["operation"]["operation_type"] == "Pull"
    assert not CircuitItem.objects.exists()
    assert credits(user) == before - 3
    assert Event.objects.filter(item=item, event_type="PulledFromCircuit").exists()
    assert Activity.objects.filter(activity_type="Pull").count() == 1
    response = auth_client.post(circuit_url(circuit, f"/pull/{item.dfid}"))
    assert response.status_code == 404
    assert response.json()["error"] == "item_not_in_circuit"


def test_pull_with_approval(user, circuit):
    item = item_for(user)
    client_for(user).post(circuit_url(circuit, f"/push/{item.dfid}"))
    require_approval(circuit, pull=True)
    viewer = member_of(circuit, "Viewer")
    response = client_for(viewer).post(circuit_url(circuit, f"/pull/{item.dfid}"))
    assert response.status_code == 200
    assert response.json()["operation"]["status"] == "Pending"
    assert (response.json()["item"], response.json()["events"]) == (None, [])
    operation_id = response.json()["operation"]["operation_id"]
    assert CircuitItem.objects.exists()
    duplicate = client_for(viewer).post(circuit_url(circuit, f"/pull/{item.dfid}"))
    assert duplicate.status_code == 409
    pending_ops = client_for(viewer).get(circuit_url(circuit, "/operations?status=Pending"))
    assert [o["operation_id"] for o in pending_ops.json()] == [operation_id]

    viewer_credits = credits(viewer)
    denied = client_for(viewer).post(f"/api/circuits/operations/{operation_id}/approve")
    assert denied.status_code == 403
    response = client_for(user).post(f"/api/circuits/operations/{operation_id}/approve")
    assert response.status_code == 200
    assert response.json()["status"] == "Completed"
    assert response.json()["approver_id"] == user.pk
    assert not CircuitItem.objects.exists()
    assert credits(viewer) == viewer_credits - 3


def test_pull_rejected(user, circuit):
    item = item_for(user)
    client_for(user).post(circuit_url(circuit, f"/push/{item.dfid}"))
    require_approval(circuit, pull=True)
    pulled = client_for(user).post(circuit_url(circuit, f"/pull/{item.dfid}"))
    operation_id = pulled.json()["operation"]["operation_id"]
    response = client_for(user).post(
        f"/api/circuits/operations/{operation_id}/reject", {"reason": "keep it"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "Rejected"
    assert CircuitItem.objects.exists()


def test_auto_publish_pushed_items(
    auth_client, user, circuit, received, django_capture_on_commit_callbacks
):
    circuit_set_public_settings(
        circuit=circuit,
        actor=user,
        public_settings={"access_mode": "public", "auto_publish_pushed_items": True},
    )
    item = item_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    assert auth_client.get(circuit_url(circuit)).json()["public_settings"]["published_items"] == [
        item.dfid
    ]
    assert [name for name, _ in received] == ["item_pushed", "item_published"]
    auth_client.post(circuit_url(circuit, f"/pull/{item.dfid}"))
    assert auth_client.get(circuit_url(circuit)).json()["public_settings"]["published_items"] == []
    assert not CircuitPublishedItem.objects.filter(circuit=circuit).exists()


def test_items_operations_and_activities_lists(auth_client, user, circuit):
    item = item_for(user, enriched_data={"breed": "Gir"})
    auth_client.post(circuit_url(circuit, f"/push/{item.dfid}"))
    items = auth_client.get(circuit_url(circuit, "/items")).json()
    assert len(items) == 1
    assert items[0]["dfid"] == item.dfid
    assert items[0]["pushed_by"] == user.pk
    operations = auth_client.get(circuit_url(circuit, "/operations")).json()
    assert operations[0]["status"] == "Completed"
    assert auth_client.get(circuit_url(circuit, "/operations?status=Pending")).json() == []
    activities = auth_client.get(circuit_url(circuit, "/activities")).json()
    assert activities[0]["item_dfids"] == [item.dfid]
    operation_id = operations[0]["operation_id"]
    detail = auth_client.get(circuit_url(circuit, f"/operations/{operation_id}"))
    assert detail.json()["dfid"] == item.dfid


def test_no_approval_in_an_inactive_circuit(user, circuit):
    require_approval(circuit, push=True)
    member = member_of(circuit, "Member")
    item = item_for(member)
    client_for(member).post(circuit_url(circuit, f"/push/{item.dfid}"))
    pending = CircuitPendingItem.objects.get()
    client_for(user).put(circuit_url(circuit, "/deactivate"))
    response = client_for(user).post(circuit_url(circuit, f"/pending-items/{pending.pk}/approve"))
    assert response.status_code == 409
    assert response.json()["error"] == "circuit_inactive"
    assert not CircuitItem.objects.exists()
    # Refusing stays possible.
    response = client_for(user).post(circuit_url(circuit, f"/pending-items/{pending.pk}/reject"))
    assert response.status_code == 200
