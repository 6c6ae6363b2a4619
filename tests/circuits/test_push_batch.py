"""A batch push gives the outcome of as many single pushes, in one set of writes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CreditBalance, CreditTransaction, Notification
from accounts.tiers import CreditOperation, operation_cost
from circuits import signals
from circuits.models import (
    Activity,
    CircuitItem,
    CircuitOperation,
    CircuitPendingItem,
    CircuitPublishedItem,
)
from circuits.services import circuit_push, circuit_set_public_settings, circuit_update
from items.models import Event, Item, ItemStatus
from tests.accounts.factories import UserFactory
from tests.circuits.factories import (
    CircuitFactory,
    circuit_url,
    item_for,
    local_item_for,
    member_of,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _set_credits(user, credits: int) -> None:
    CreditBalance.objects.filter(user=user).update(credits=credits)


def _world(*, approval: bool, credits_for_pushes: int | None = None, auto_publish=False):
    """A circuit, a member pushing, and DFIDs labelled by what a push of each should meet."""
    owner = UserFactory()
    circuit = CircuitFactory(owner=owner)
    if approval:
        circuit_update(
            circuit=circuit, actor=owner, permissions={"require_approval_for_push": True}
        )
    if auto_publish:
        circuit_set_public_settings(
            circuit=circuit,
            actor=owner,
            public_settings={"access_mode": "public", "auto_publish_pushed_items": True},
        )
    member_of(circuit, "Admin")  # a second manager to notify
    pusher = member_of(circuit, "Member")
    fresh = [item_for(pusher) for _ in range(4)]
    held = item_for(pusher)
    CircuitItem.objects.create(circuit=circuit, item=held, added_by=pusher.pk)
    waiting = item_for(pusher)
    if approval:
        circuit_push(circuit=circuit, user=pusher, dfid=waiting.dfid)
    deprecated = item_for(pusher)
    Item.objects.filter(pk=deprecated.pk).update(status=ItemStatus.DEPRECATED)
    labelled = [
        ("fresh0", fresh[0].dfid),
        ("unseen", item_for(UserFactory()).dfid),
        ("fresh1", fresh[1].dfid),
        ("local", local_item_for(pusher).dfid),
        ("fresh0", fresh[0].dfid),  # sent twice
        ("held", held.dfid),
        ("deprecated", deprecated.dfid),
        ("waiting", waiting.dfid),
        ("missing", "DFID-20000101-000000-0"),
        ("fresh2", fresh[2].dfid),
        ("fresh3", fresh[3].dfid),
    ]
    if credits_for_pushes is not None:
        cost = operation_cost(pusher.tier, CreditOperation.CIRCUIT_OPERATION)
        _set_credits(pusher, cost * credits_for_pushes + 1)
    return circuit, pusher, labelled


def _normalise(text, labelled):
    for label, dfid in labelled:
        text = text.replace(dfid, f"<{label}>")
    return text


def _outcome(circuit, pusher, labelled, answers):
    """Everything a push leaves, with DFIDs replaced by their labels."""
    labels = {dfid: label for label, dfid in labelled}
    return {
        "answers": answers,
        "in_circuit": sorted(
            labels.get(dfid, dfid)
            for dfid in CircuitItem.objects.filter(circuit=circuit).values_list(
                "item_id", flat=True
            )
        ),
        "operations": sorted(
            (labels.get(dfid, dfid), status)
            for dfid, status in CircuitOperation.objects.filter(circuit=circuit).values_list(
                "dfid", "status"
            )
        ),
        "pending": sorted(
            (labels[dfid], status, pushed_by == pusher.pk)
            for dfid, status, pushed_by in CircuitPendingItem.objects.filter(
                circuit=circuit
            ).values_list("item_id", "status", "pushed_by")
        ),
        "activities": Activity.objects.filter(circuit=circuit, performed_by=pusher.pk).count(),
        "push_events": sorted(
            labels[dfid]
            for dfid in Event.objects.filter(
                event_type="PushedToCircuit", metadata__circuit_id=str(circuit.pk)
            ).values_list("item_id", flat=True)
        ),
        "credits": CreditBalance.objects.get(user=pusher).credits,
        "notifications": Notification.objects.filter(
            data__circuit_id=str(circuit.pk), notification_type="item_pending_approval"
        ).count(),
        "published": sorted(
            labels[dfid]
            for dfid in CircuitPublishedItem.objects.filter(circuit=circuit).values_list(
                "item_id", flat=True
            )
        ),
    }


def _singles(circuit, pusher, labelled):
    client = client_for(pusher)
    answers = []
    for _, dfid in labelled:
        response = client.post(circuit_url(circuit, f"/push/{dfid}"))
        body = response.json()
        if response.status_code == 200:
            answers.append((True, None, body["status"]))
        else:
            answers.append((False, _normalise(body["message"], labelled), None))
    return _outcome(circuit, pusher, labelled, answers)


def _batch(circuit, pusher, labelled):
    response = client_for(pusher).post(
        circuit_url(circuit, "/push/batch"),
        {"items": [{"dfid": dfid} for _, dfid in labelled]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    answers = [
        (
            row["success"],
            _normalise(row["error_message"], labelled) if row["error_message"] else None,
            row["status"],
        )
        for row in body["results"]
    ]
    assert [row["dfid"] for row in body["results"]] == [dfid for _, dfid in labelled]
    assert body["success_count"] == sum(1 for row in body["results"] if row["success"])
    assert body["failed_count"] == len(labelled) - body["success_count"]
    return _outcome(circuit, pusher, labelled, answers)


@pytest.mark.parametrize(
    "setting",
    [
        {"approval": False},
        {"approval": False, "auto_publish": True},
        {"approval": True},
        {"approval": False, "credits_for_pushes": 2},
        {"approval": False, "credits_for_pushes": 0},
    ],
    ids=["direct", "auto-publish", "approval", "credits-run-out", "no-credits"],
)
def test_batch_push_equals_single_pushes(setting):
    single = _singles(*_world(**setting))
    batch = _batch(*_world(**setting))
    assert batch == single
    assert any(success for success, _, _ in batch["answers"]) != (
        setting.get("credits_for_pushes") == 0
    )


def test_batch_push_charges_once_for_all_completed_pushes():
    circuit, pusher, labelled = _world(approval=False)
    before = set(CreditTransaction.objects.filter(user=pusher).values_list("pk", flat=True))
    _batch(circuit, pusher, labelled)
    [charge] = CreditTransaction.objects.filter(user=pusher).exclude(pk__in=before)
    cost = operation_cost(pusher.tier, CreditOperation.CIRCUIT_OPERATION)
    assert charge.amount == -5 * cost  # fresh0-3 and "waiting", which waits for nothing here
    assert charge.balance_after == CreditBalance.objects.get(user=pusher).credits


def test_a_member_without_push_cannot_batch_push():
    owner = UserFactory()
    circuit = CircuitFactory(owner=owner)
    viewer = member_of(circuit, "Viewer")
    item = item_for(owner)
    response = client_for(viewer).post(
        circuit_url(circuit, "/push/batch"), {"items": [{"dfid": item.dfid}]}, format="json"
    )
    assert response.status_code == 403
    assert not CircuitOperation.objects.filter(circuit=circuit, dfid=item.dfid).exists()


def test_batch_push_into_an_inactive_circuit_fails_every_row():
    owner = UserFactory()
    circuit = CircuitFactory(owner=owner)
    items = [item_for(owner) for _ in range(2)]
    circuit_update(circuit=circuit, actor=owner, status="Inactive")
    body = (
        client_for(owner)
        .post(
            circuit_url(circuit, "/push/batch"),
            {"items": [{"dfid": item.dfid} for item in items]},
            format="json",
        )
        .json()
    )
    assert body["success_count"] == 0
    assert all("Inactive" in row["error_message"] for row in body["results"])


def test_batch_push_sends_one_signal_for_the_batch(django_capture_on_commit_callbacks):
    owner = UserFactory()
    circuit = CircuitFactory(owner=owner)
    items = [item_for(owner) for _ in range(3)]
    calls = []

    def handler(sender, **kwargs):
        calls.append(kwargs)

    signals.items_pushed.connect(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client_for(owner).post(
                circuit_url(circuit, "/push/batch"),
                {"items": [{"dfid": item.dfid} for item in items]},
                format="json",
            )
    finally:
        signals.items_pushed.disconnect(handler)
    [call] = calls
    assert [item.dfid for item in call["items"]] == [item.dfid for item in items]
    assert [operation.dfid for operation in call["operations"]] == [item.dfid for item in items]


@pytest.mark.parametrize("approval", [False, True], ids=["direct", "approval"])
def test_batch_push_query_count_does_not_grow_with_items(
    approval, django_capture_on_commit_callbacks, monkeypatch
):
    # Snapshots are taken by the worker; the push only queues their task (tests/snapshots).
    monkeypatch.setattr("items.snapshots.services._enqueue", lambda requests: None)

    def queries_for(count):
        owner = UserFactory()
        circuit = CircuitFactory(owner=owner)
        circuit_set_public_settings(
            circuit=circuit,
            actor=owner,
            public_settings={"access_mode": "public", "auto_publish_pushed_items": True},
        )
        if approval:
            circuit_update(
                circuit=circuit, actor=owner, permissions={"require_approval_for_push": True}
            )
        pusher = member_of(circuit, "Member")
        dfids = [item_for(pusher).dfid for _ in range(count)]
        client = client_for(pusher)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(
                circuit_url(circuit, "/push/batch"),
                {"items": [{"dfid": dfid} for dfid in dfids]},
                format="json",
            )
        assert response.json()["success_count"] == count
        return len(queries)

    assert queries_for(2) == queries_for(20)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_into_one_circuit_push_each_item_once():
    from tests.circuits.test_concurrency import in_parallel

    owner = UserFactory()
    circuit = CircuitFactory(owner=owner)
    dfids = [item_for(owner).dfid for _ in range(30)]
    _set_credits(owner, 10_000)
    batches = [dfids[:20], dfids[10:], dfids[5:25], list(reversed(dfids))]
    path = circuit_url(circuit, "/push/batch")

    answers = in_parallel(
        [
            lambda batch=batch: (
                client_for(owner)
                .post(path, {"items": [{"dfid": dfid} for dfid in batch]}, format="json")
                .json()
            )
            for batch in batches
        ]
    )

    assert sum(answer["success_count"] for answer in answers) == len(dfids)
    assert sorted(
        CircuitItem.objects.filter(circuit=circuit).values_list("item_id", flat=True)
    ) == (sorted(dfids))
    assert CircuitOperation.objects.filter(circuit=circuit, status="Completed").count() == len(
        dfids
    )
    cost = operation_cost(owner.tier, CreditOperation.CIRCUIT_OPERATION)
    assert CreditBalance.objects.get(user=owner).credits == 10_000 - cost * len(dfids)
    failures = [row for answer in answers for row in answer["results"] if not row["success"]]
    assert all("already in the circuit" in row["error_message"] for row in failures)


def test_approval_notifications_of_a_batch_go_live_after_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    from accounts.services import notifications as notification_services

    pushed_live = []
    monkeypatch.setattr(
        notification_services, "notifications_push", lambda rows: pushed_live.extend(rows)
    )
    circuit, pusher, labelled = _world(approval=True)
    pushed_live.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _batch(circuit, pusher, labelled)
    waiting = CircuitPendingItem.objects.filter(circuit=circuit, status="Pending").count() - 1
    assert len(pushed_live) == 2 * waiting  # the owner and the Admin, per item now waiting
