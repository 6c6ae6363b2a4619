"""EPCIS query subscriptions: the standard's webhook subscriptions, delivered as webhook
deliveries (stream after each capture commits, schedules by the worker)."""

import hashlib
import hmac
import json
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from django.core.management import call_command
from django.utils import timezone

from circuits.services.webhooks import DeliveryStatus
from items.epcis.models import QuerySubscription, SubscriptionDelivery
from items.epcis.subscriptions import (
    SubscriptionRefused,
    schedule_cron,
    schedule_next_run,
    subscription_run_scheduled,
    subscriptions_run_due,
)
from items.epcis.vocabulary import CONTEXT_URL, RESOURCES
from tests.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
SHIPPING = {"EQ_bizStep": ["shipping"]}


def object_event(biz_step: str, serial: int, **extra) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-07-22T06:45:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "epcList": [f"https://id.gs1.org/01/09521141012345/21/{serial}"],
        "bizStep": biz_step,
        **extra,
    }


def document(*events: dict) -> dict:
    return {
        "@context": [CONTEXT_URL],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-07-22T10:30:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def capture(client, *events: dict):
    response = client.post("/epcis/capture", data=document(*events), format="json")
    assert response.status_code == 202, response.content
    return response


def save_query(client, name: str = "Shipped", query: dict | None = None):
    response = client.post(
        "/epcis/queries", data={"name": name, "query": query or SHIPPING}, format="json"
    )
    assert response.status_code == 201, response.content


def subscribe(client, body: dict, name: str = "Shipped", **headers):
    return client.post(f"/epcis/queries/{name}/subscriptions", data=body, format="json", **headers)


def events_sent(request) -> list[dict]:
    body = json.loads(request.body)
    assert body["type"] == "EPCISQueryDocument"
    return body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def shipped(auth_client):
    save_query(auth_client)


# --- create, list, get, delete -------------------------------------------------------------


def test_subscribe_list_get_and_unsubscribe(auth_client, shipped, receiver):
    response = subscribe(
        auth_client,
        {"dest": receiver.url, "signatureToken": "s3cret", "stream": True},
        HTTP_GS1_EPC_FORMAT="Always_EPC_URN",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    subscription_id = created["subscriptionID"]
    assert response["Location"] == f"/epcis/queries/Shipped/subscriptions/{subscription_id}"
    assert response["GS1-EPCIS-Version"] == "2.0.0"
    assert created["stream"] is True
    assert created["dest"] == receiver.url
    assert created["queryName"] == "Shipped"
    assert created["epcFormat"] == "Always_EPC_URN"
    assert created["lastNotifiedAt"] is None
    assert "schedule" not in created and "reportIfEmpty" not in created
    assert "s3cret" not in response.content.decode()

    listed = auth_client.get("/epcis/queries/Shipped/subscriptions")
    assert listed.status_code == 200
    assert [each["subscriptionID"] for each in listed.json()] == [subscription_id]
    detail = auth_client.get(f"/epcis/queries/Shipped/subscriptions/{subscription_id}")
    assert detail.status_code == 200
    assert detail.json() == listed.json()[0]
    assert "signatureToken" not in detail.json()

    assert auth_client.delete(f"/epcis/queries/Shipped/subscriptions/{subscription_id}").status_code
    assert not QuerySubscription.objects.exists()
    gone = auth_client.get(f"/epcis/queries/Shipped/subscriptions/{subscription_id}")
    assert gone.status_code == 404
    assert gone["Content-Type"] == PROBLEM
    assert gone.json()["type"] == "epcisException:NoSuchResourceException"
    assert auth_client.get("/epcis/queries/Shipped/subscriptions").json() == []


def test_scheduled_subscription_shape(auth_client, shipped, receiver):
    response = subscribe(
        auth_client,
        {
            "dest": receiver.url,
            "reportIfEmpty": True,
            "schedule": {"hour": "1", "minute": "5"},
            "initialRecordTime": "2026-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["schedule"] == {"hour": "1", "minute": "5"}
    assert created["reportIfEmpty"] is True
    assert "stream" not in created
    assert created["initialRecordTime"].startswith("2026-01-01T00:00:00")
    assert created["minRecordTime"] == created["initialRecordTime"]
    next_run = datetime.fromisoformat(created["nextRunAt"])
    assert (next_run.hour, next_run.minute, next_run.second) == (1, 5, 0)
    assert next_run > timezone.now()


def test_list_pages(auth_client, shipped, receiver):
    for _ in range(3):
        assert subscribe(auth_client, {"dest": receiver.url, "stream": True}).status_code == 201
    first = auth_client.get("/epcis/queries/Shipped/subscriptions", {"perPage": 2})
    assert len(first.json()) == 2
    link = first["Link"].split(">")[0].lstrip("<")
    token = parse_qs(urlsplit(link).query)["nextPageToken"][0]
    second = auth_client.get(
        "/epcis/queries/Shipped/subscriptions", {"perPage": 2, "nextPageToken": token}
    )
    assert len(second.json()) == 1
    assert "Link" not in second
    assert auth_client.get("/epcis/queries/Shipped/subscriptions", {"x": 1}).status_code == 400


def test_listing_runs_as_many_queries_for_2_or_12_subscriptions(auth_client, shipped, receiver):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def listing_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert auth_client.get("/epcis/queries/Shipped/subscriptions").status_code == 200
        return len(captured)

    for _ in range(2):
        subscribe(auth_client, {"dest": receiver.url, "stream": True})
    few = listing_queries()
    for _ in range(10):
        subscribe(auth_client, {"dest": receiver.url, "schedule": {"minute": "1"}})
    assert listing_queries() == few


def test_deleting_the_query_ends_its_subscriptions(auth_client, shipped, receiver):
    assert subscribe(auth_client, {"dest": receiver.url, "stream": True}).status_code == 201
    assert auth_client.delete("/epcis/queries/Shipped").status_code == 204
    assert not QuerySubscription.objects.exists()


# --- scoping -------------------------------------------------------------------------------


def test_only_the_owner_sees_and_deletes_a_subscription(
    auth_client, other_client, shipped, receiver
):
    subscription_id = subscribe(auth_client, {"dest": receiver.url, "stream": True}).json()[
        "subscriptionID"
    ]
    path = f"/epcis/queries/Shipped/subscriptions/{subscription_id}"
    # The other party has no query of that name ...
    refused = other_client.get("/epcis/queries/Shipped/subscriptions")
    assert refused.status_code == 404
    assert refused.json()["type"] == "epcisException:NoSuchNameException"
    assert other_client.get(path).status_code == 404
    assert other_client.delete(path).status_code == 404
    # ... nor with one of the same name of their own.
    save_query(other_client)
    assert other_client.get("/epcis/queries/Shipped/subscriptions").json() == []
    assert other_client.get(path).status_code == 404
    assert other_client.delete(path).status_code == 404
    assert QuerySubscription.objects.filter(pk=subscription_id).exists()
    assert auth_client.get(path).status_code == 200


def test_subscriptions_need_authentication(api_client, shipped):
    response = api_client.get("/epcis/queries/Shipped/subscriptions")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


# --- refused requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"dest": "https://example.com/hook"}, "stream: true"),
        ({"dest": "https://example.com/hook", "stream": False}, "stream: true"),
        (
            {"dest": "https://example.com/hook", "stream": True, "schedule": {"minute": "5"}},
            "not both",
        ),
        ({"dest": "https://example.com/hook", "stream": "yes"}, "stream: true or false"),
        ({"dest": "https://example.com/hook", "schedule": {}}, "schedule"),
        ({"dest": "https://example.com/hook", "schedule": {"minute": "61"}}, "0-59"),
        ({"dest": "https://example.com/hook", "schedule": {"hour": "[5-1]"}}, "empty"),
        ({"dest": "https://example.com/hook", "schedule": {"dayOfWeek": "0"}}, "1-7"),
        ({"dest": "https://example.com/hook", "schedule": {"weekday": "1"}}, "weekday"),
        ({"dest": "https://example.com/hook", "schedule": {"minute": "five"}}, "minute"),
        (
            {"dest": "https://example.com/hook", "schedule": {"dayOfMonth": "31", "month": "2"}},
            "no date",
        ),
        ({"dest": "https://example.com/hook", "stream": True, "secret": "x"}, "secret"),
        (
            {"dest": "https://example.com/hook", "stream": True, "initialRecordTime": "today"},
            "initialRecordTime",
        ),
        ({"stream": True}, "dest"),
        ({"dest": "ftp://example.com/hook", "stream": True}, "http"),
        ({"dest": "http://10.0.0.7/hook", "stream": True}, "private"),
        ({"dest": "http://169.254.169.254/latest", "stream": True}, "link-local"),
        ({"dest": "http://127.0.0.1:8000/hook", "stream": True}, "loopback"),
        ({"dest": "https://user:pw@example.com/hook", "stream": True}, "credentials"),
    ],
)
def test_refused_subscriptions(auth_client, shipped, body, reason):
    response = subscribe(auth_client, body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "epcisException:SubscriptionControlsException"
    assert reason in problem["detail"]
    assert not QuerySubscription.objects.exists()


def test_unknown_query_and_simple_event_query(auth_client, receiver):
    missing = subscribe(auth_client, {"dest": receiver.url, "stream": True}, name="Nope")
    assert missing.status_code == 404
    assert missing.json()["type"] == "epcisException:NoSuchNameException"
    simple = subscribe(auth_client, {"dest": receiver.url, "stream": True}, name="SimpleEventQuery")
    assert simple.status_code == 400
    assert simple.json()["type"] == "epcisException:SubscriptionControlsException"


# --- stream deliveries ---------------------------------------------------------------------


def test_stream_delivers_new_matching_events_after_the_capture_commits(
    auth_client, other_client, shipped, receiver, django_capture_on_commit_callbacks
):
    subscription_id = subscribe(
        auth_client, {"dest": receiver.url, "signatureToken": "s3cret", "stream": True}
    ).json()["subscriptionID"]

    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 1), object_event("receiving", 2))
        # Nothing is delivered, nor even queued, before the capture has committed.
        assert not SubscriptionDelivery.objects.exists()
        assert receiver.requests == []

    delivery = SubscriptionDelivery.objects.get()
    assert str(delivery.subscription_id) == subscription_id
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.trigger_event == "epcis_stream"
    [request] = receiver.requests
    assert request.path == "/hooks/defarm?source=test"
    sent = json.loads(request.body)
    schema = json.loads((RESOURCES / "EPCIS-JSON-Schema.json").read_text())
    jsonschema.validate(sent, schema)
    results = sent["epcisBody"]["queryResults"]
    assert results["queryName"] == "Shipped"
    assert results["subscriptionID"] == subscription_id
    assert [event["bizStep"] for event in events_sent(request)] == ["shipping"]
    assert request.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert request.headers["GS1-CBV-Version"] == "2.0.0"
    assert request.headers["Content-Type"] == "application/json"
    expected = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["GS1-Signature"] == f"sha256={expected}"
    assert QuerySubscription.objects.get().last_notified_at is not None

    # Another party's matching event is not the subscriber's to see: nothing is sent.
    with django_capture_on_commit_callbacks(execute=True):
        capture(other_client, object_event("shipping", 3))
    assert len(receiver.requests) == 1
    # A re-captured event is not new: nothing is sent.
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 1))
    assert len(receiver.requests) == 1
    # A new one is.
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 4))
    assert len(receiver.requests) == 2
    assert events_sent(receiver.requests[1])[0]["epcList"] == [
        "https://id.gs1.org/01/09521141012345/21/4"
    ]


def test_stream_without_token_is_not_signed_and_uses_the_epc_format(
    auth_client, shipped, receiver, django_capture_on_commit_callbacks
):
    response = subscribe(
        auth_client, {"dest": receiver.url, "stream": True}, HTTP_GS1_EPC_FORMAT="Always_EPC_URN"
    )
    assert response.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 7))
    [request] = receiver.requests
    assert "GS1-Signature" not in request.headers
    assert request.headers["GS1-EPC-Format"] == "Always_EPC_URN"
    assert events_sent(request)[0]["epcList"] == ["urn:epc:id:sgtin:9521141.001234.7"]


def test_stream_failure_is_retried_as_a_webhook_delivery(
    auth_client, shipped, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with WebhookReceiver(statuses=[503]) as receiver:
        subscribe(auth_client, {"dest": receiver.url, "stream": True})
        with django_capture_on_commit_callbacks(execute=True):
            capture(auth_client, object_event("shipping", 1))
        delivery = SubscriptionDelivery.objects.get()
        assert delivery.status == DeliveryStatus.RETRYING
        assert delivery.attempt_count == 1
        assert delivery.http_status_code == 503
        assert delivery.next_retry_at_ts is not None
        assert QuerySubscription.objects.get().last_notified_at is None

        from circuits.tasks import webhook_delivery_send

        sent = webhook_delivery_send.call(str(delivery.pk), "epcis.subscriptiondelivery")
        assert sent == DeliveryStatus.DELIVERED
        assert len(receiver.requests) == 2
        assert receiver.requests[0].body == receiver.requests[1].body
        assert QuerySubscription.objects.get().last_notified_at is not None


def test_stream_initial_record_time_in_the_past_sends_what_was_recorded_since(
    auth_client, shipped, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 1), object_event("receiving", 2))
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(
            auth_client,
            {"dest": receiver.url, "stream": True, "initialRecordTime": "2020-01-01T00:00:00Z"},
        )
    assert response.status_code == 201
    [request] = receiver.requests
    assert [event["bizStep"] for event in events_sent(request)] == ["shipping"]


def test_a_stream_subscription_made_later_does_not_get_earlier_events(
    auth_client, shipped, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 1))
        subscribe(auth_client, {"dest": receiver.url, "stream": True})
    assert receiver.requests == []


def test_a_subscription_whose_saved_query_no_longer_parses_does_not_hold_up_the_others(
    auth_client, shipped, receiver, django_capture_on_commit_callbacks
):
    from items.epcis.models import NamedQuery

    save_query(auth_client, "Broken", {"EQ_bizStep": ["shipping"]})
    subscribe(auth_client, {"dest": receiver.url, "stream": True}, name="Broken")
    subscribe(auth_client, {"dest": receiver.url, "stream": True})
    NamedQuery.objects.filter(name="Broken").update(query={"EQ_action": ["WRONG"]})
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 1))
    [request] = receiver.requests
    assert json.loads(request.body)["epcisBody"]["queryResults"]["queryName"] == "Shipped"


def test_large_captures_are_sent_in_batches(
    auth_client, shipped, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    from items.epcis import subscriptions

    monkeypatch.setattr(subscriptions, "DELIVERY_BATCH", 2)
    subscribe(auth_client, {"dest": receiver.url, "stream": True})
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, *[object_event("shipping", serial) for serial in range(5)])
    assert sorted(len(events_sent(request)) for request in receiver.requests) == [1, 2, 2]


# --- scheduled runs ------------------------------------------------------------------------


def test_schedule_fields_as_cron():
    assert schedule_cron({"hour": "1", "minute": "5"}) == "5 1 * * * 0"
    assert schedule_cron({"minute": "5"}) == "5 * * * * 0"
    assert schedule_cron({"second": "0/30"}) == "* * * * * 0-59/30"
    assert schedule_cron({"dayOfWeek": "1,[6-7]"}) == "0 0 * * 1,6-7 0"
    assert schedule_cron({"hour": 7}) == "0 7 * * * 0"
    after = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)  # a Monday
    assert schedule_next_run("5 1 * * * 0", after) == datetime(2026, 12, 1, 1, 5, tzinfo=UTC)
    # dayOfMonth and dayOfWeek both given: both must match (the 1st that is a Monday).
    both = schedule_cron({"dayOfMonth": "1", "dayOfWeek": "1"})
    assert schedule_next_run(both, after) == datetime(2027, 2, 1, tzinfo=UTC)
    with pytest.raises(SubscriptionRefused):
        schedule_cron({"second": "0/0"})


def make_due(subscription: QuerySubscription) -> None:
    QuerySubscription.objects.filter(pk=subscription.pk).update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture
def settled(monkeypatch):
    """Scheduled runs cover events recorded up to the run itself."""
    from items.epcis import subscriptions

    monkeypatch.setattr(subscriptions, "SCHEDULE_SETTLE", timedelta(0))


def test_scheduled_run_sends_events_recorded_since_the_last_run(
    auth_client, shipped, receiver, settled, django_capture_on_commit_callbacks
):
    response = subscribe(
        auth_client,
        {"dest": receiver.url, "signatureToken": "tok", "schedule": {"minute": "5"}},
    )
    subscription = QuerySubscription.objects.get(pk=response.json()["subscriptionID"])
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 1), object_event("receiving", 2))
    # Not due yet: nothing runs.
    assert subscriptions_run_due() == 0
    assert receiver.requests == []

    make_due(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_run_due() == 1
    [request] = receiver.requests
    assert [event["bizStep"] for event in events_sent(request)] == ["shipping"]
    expected = hmac.new(b"tok", request.body, hashlib.sha256).hexdigest()
    assert request.headers["GS1-Signature"] == f"sha256={expected}"
    assert SubscriptionDelivery.objects.get().trigger_event == "epcis_schedule"
    subscription.refresh_from_db()
    assert subscription.next_run_at > timezone.now()
    assert (subscription.next_run_at.minute, subscription.next_run_at.second) == (5, 0)
    assert subscription.min_record_time > subscription.initial_record_time
    assert subscription.last_notified_at is not None

    # The same run again (a duplicate task) does nothing.
    assert subscription_run_scheduled(subscription_id=subscription.pk) is None
    # The next run: nothing new, reportIfEmpty is false: nothing is sent.
    make_due(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("epcis_subscriptions_run", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert len(receiver.requests) == 1
    subscription.refresh_from_db()
    assert subscription.next_run_at > timezone.now()
    # A new event: the run after sends it alone.
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 3))
    make_due(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_run_due() == 1
    assert len(receiver.requests) == 2
    assert [event["epcList"][0][-1] for event in events_sent(receiver.requests[1])] == ["3"]


def test_a_scheduled_run_leaves_the_last_moments_events_to_the_next(
    auth_client, shipped, receiver, django_capture_on_commit_callbacks
):
    """A capture still committing when a run starts is in the next run (its recordTime is
    when it started)."""
    subscribe(auth_client, {"dest": receiver.url, "schedule": {"minute": "5"}})
    subscription = QuerySubscription.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 1))
    make_due(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_run_due() == 1
    assert receiver.requests == []
    make_due(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_run_due(now=timezone.now() + timedelta(seconds=31)) == 1
    [request] = receiver.requests
    assert len(events_sent(request)) == 1


def test_report_if_empty_sends_an_empty_document(
    auth_client, shipped, receiver, settled, django_capture_on_commit_callbacks
):
    subscribe(
        auth_client,
        {"dest": receiver.url, "reportIfEmpty": True, "schedule": {"second": "0/30"}},
    )
    subscription = QuerySubscription.objects.get()
    make_due(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_run_due() == 1
    [request] = receiver.requests
    assert events_sent(request) == []
    subscription.refresh_from_db()
    assert subscription.next_run_at.second in (0, 30)


def test_scheduled_window_starts_at_initial_record_time(
    auth_client, shipped, receiver, settled, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        capture(auth_client, object_event("shipping", 1))
    subscribe(
        auth_client,
        {
            "dest": receiver.url,
            "schedule": {"minute": "0"},
            "initialRecordTime": "2020-01-01T00:00:00Z",
        },
    )
    make_due(QuerySubscription.objects.get())
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_run_due() == 1
    [request] = receiver.requests
    assert len(events_sent(request)) == 1


def test_scheduled_run_to_another_partys_events(
    auth_client, other_client, shipped, receiver, settled, django_capture_on_commit_callbacks
):
    subscribe(auth_client, {"dest": receiver.url, "schedule": {"minute": "0"}})
    with django_capture_on_commit_callbacks(execute=True):
        capture(other_client, object_event("shipping", 1))
    make_due(QuerySubscription.objects.get())
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_run_due() == 1
    assert receiver.requests == []


# --- engine webhooks are not affected ------------------------------------------------------


def test_subscription_deliveries_are_not_a_circuits(auth_client, shipped, receiver, user):
    from tests.adapters.factories import CircuitFactory

    circuit = CircuitFactory(owner=user)
    response = auth_client.get(f"/api/circuits/{circuit.circuit_id}/post-actions/deliveries")
    before = response.json()
    subscribe(auth_client, {"dest": receiver.url, "stream": True})
    SubscriptionDelivery.objects.create(
        subscription=QuerySubscription.objects.get(),
        trigger_event="epcis_stream",
        payload={},
        status=DeliveryStatus.PENDING,
    )
    after = auth_client.get(f"/api/circuits/{circuit.circuit_id}/post-actions/deliveries")
    assert after.status_code == 200
    assert after.json() == before


# --- concurrency (PostgreSQL: real row locks) ----------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_due_run_taken_by_two_workers_at_once_is_sent_once(settings, settled):
    from tests.accounts.factories import UserFactory
    from tests.circuits.test_concurrency import in_parallel
    from tests.conftest import client_for

    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    client = client_for(UserFactory())
    save_query(client)
    with WebhookReceiver() as receiver:
        subscribe(client, {"dest": receiver.url, "schedule": {"minute": "5"}})
        capture(client, object_event("shipping", 1))
        subscription = QuerySubscription.objects.get()
        make_due(subscription)

        results = in_parallel(
            [lambda: subscription_run_scheduled(subscription_id=subscription.pk)] * 4
        )

        assert sorted(result is None for result in results) == [False, True, True, True]
        assert SubscriptionDelivery.objects.count() == 1
        assert len(receiver.requests) == 1
        assert len(events_sent(receiver.requests[0])) == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_captures_each_reach_a_stream_subscription_once(settings):
    from tests.accounts.factories import UserFactory
    from tests.circuits.test_concurrency import in_parallel
    from tests.conftest import client_for

    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    user = UserFactory()
    save_query(client_for(user))
    with WebhookReceiver() as receiver:
        subscribe(client_for(user), {"dest": receiver.url, "stream": True})
        results = in_parallel(
            [
                lambda serial=serial: (
                    client_for(user)
                    .post(
                        "/epcis/capture",
                        data=document(object_event("shipping", serial)),
                        format="json",
                    )
                    .status_code
                )
                for serial in range(4)
            ]
        )
        assert results == [202] * 4
        serials = sorted(
            event["epcList"][0].rsplit("/", 1)[1]
            for request in receiver.requests
            for event in events_sent(request)
        )
        assert serials == ["0", "1", "2", "3"]
        assert SubscriptionDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 4


# --- with the worker's queue (django_tasks_db) -----------------------------------------------


@pytest.fixture
def queued_tasks(settings):
    """Tasks are queued in the database for the worker, as in production."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects


def test_the_request_only_queues_work_for_the_worker(
    auth_client, shipped, receiver, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(auth_client, {"dest": receiver.url, "stream": True})
        capture(auth_client, object_event("shipping", 1))
    # Beside the snapshots of the items the event names, one stream delivery task.
    [queued] = queued_tasks.exclude(task_path="items.snapshots.tasks.snapshots_take_captured")
    assert queued.task_path == "items.epcis.tasks.epcis_stream_deliver"
    assert not SubscriptionDelivery.objects.exists()
    assert receiver.requests == []

    # The worker's run of that task writes the delivery and queues its sending.
    from items.epcis.tasks import epcis_stream_deliver

    with django_capture_on_commit_callbacks(execute=True):
        assert epcis_stream_deliver.call(*queued.args_kwargs["args"]) == 1
    assert SubscriptionDelivery.objects.get().status == DeliveryStatus.PENDING
    assert queued_tasks.filter(task_path="circuits.tasks.webhook_delivery_send").count() == 1
    assert receiver.requests == []


def test_a_scheduled_subscription_queues_its_next_run_at_its_time(
    auth_client, shipped, receiver, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(auth_client, {"dest": receiver.url, "schedule": {"minute": "5"}})
    subscription = QuerySubscription.objects.get()
    [queued] = queued_tasks.all()
    assert queued.task_path == "items.epcis.tasks.epcis_subscription_run"
    assert queued.run_after == subscription.next_run_at
    assert queued.args_kwargs["args"] == [str(subscription.pk)]

    make_due(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_run_scheduled(subscription_id=subscription.pk) == []
    subscription.refresh_from_db()
    following = queued_tasks.exclude(pk=queued.pk).get()
    assert following.run_after == subscription.next_run_at
    assert following.run_after > timezone.now()
