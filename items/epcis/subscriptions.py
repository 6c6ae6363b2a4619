"""EPCIS 2.0 query subscriptions, delivered through DeFarm's webhook deliveries.

A subscription is a party's standing named query with a callback URL (``dest``). The worker
POSTs its results there as ``EPCISQueryDocument``s, each a ``SubscriptionDelivery`` of the
subscription: the same URL checks (public addresses only, checked again at every attempt),
retries with back-off and delivery records as circuit webhooks.

- ``stream``: once a capture commits, every newly stored event that matches the query and
  that the subscriber may see is delivered (``subscriptions_stream_deliver``, run by the
  worker), at most ``DELIVERY_BATCH`` events per document.
- ``schedule``: cron-like fields of the standard (``second``, ``minute``, ``hour``,
  ``dayOfMonth``, ``month``, ``dayOfWeek``; UTC). Each run delivers the matching events
  recorded since the previous run (the first: since ``initialRecordTime``); with
  ``reportIfEmpty`` an empty document is sent when there are none.

With ``signatureToken`` each POST carries ``GS1-Signature: sha256=<hex>``, the HMAC-SHA256 of
the body keyed with the token.
"""

import hashlib
import hmac
import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from croniter import CroniterBadDateError, croniter
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from audit.services import log_write
from circuits.services.webhooks import (
    USER_AGENT,
    DeliveryRequest,
    DeliveryStatus,
    WebhookTargetRefused,
    delivery_body,
    webhook_deliveries_enqueue,
    webhook_target_resolve,
)
from defarm.timeutils import unix_now
from items.epcis import selectors
from items.epcis.models import EpcisEvent, NamedQuery, QuerySubscription, SubscriptionDelivery
from items.epcis.rendering import (
    CBV_VERSION,
    DEFAULT_EPC_FORMAT,
    EPCIS_VERSION,
    event_rendered,
    query_document,
)

logger = logging.getLogger("defarm.epcis.subscriptions")

STREAM_EVENT = "epcis_stream"
SCHEDULE_EVENT = "epcis_schedule"
# Events per EPCISQueryDocument POSTed (the standard: "manageable batches").
DELIVERY_BATCH = 500
# A scheduled run covers events recorded up to this long before it, so that a capture still
# committing when the run starts (its recordTime is its start) is in the next run.
SCHEDULE_SETTLE = timedelta(seconds=30)
MAX_SIGNATURE_TOKEN_LENGTH = 1000

# The standard's schedule fields: their range and their place in a croniter expression
# (minute hour dayOfMonth month dayOfWeek second).
SCHEDULE_FIELDS: dict[str, tuple[int, int]] = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "dayOfMonth": (1, 31),
    "month": (1, 12),
    "dayOfWeek": (1, 7),  # 1 Monday ... 7 Sunday, as cron reads 1-7
}
_CRON_ORDER = ("minute", "hour", "dayOfMonth", "month", "dayOfWeek", "second")
_TIME_FIELDS = ("second", "minute", "hour")  # finest first
_ELEMENT = re.compile(r"^(?:(\d+)|\[(\d+)-(\d+)\]|(\d+)-(\d+)|(\*|\d+)/(\d+))$")


class SubscriptionRefused(Exception):
    """The subscription request cannot be honoured (the message says why)."""


# --- schedule ------------------------------------------------------------------------------


def _cron_field(name: str, value: Any) -> str:
    low, high = SCHEDULE_FIELDS[name]
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise SubscriptionRefused(f"schedule.{name}: a string such as '5', '[1-5]' or '1,15'.")
    parts = []
    for element in value.replace(" ", "").split(","):
        match = _ELEMENT.match(element)
        if match is None:
            raise SubscriptionRefused(
                f"schedule.{name}: {element!r} is not a number, a range [low-high] or a step."
            )
        single, bracket_low, bracket_high, plain_low, plain_high, start, step = match.groups()
        numbers = [
            int(each)
            for each in (single, bracket_low, bracket_high, plain_low, plain_high)
            if each is not None
        ]
        if start is not None and start != "*":
            numbers.append(int(start))
        wrong = [number for number in numbers if not low <= number <= high]
        if wrong:
            raise SubscriptionRefused(f"schedule.{name}: {wrong[0]} is not in {low}-{high}.")
        if single is not None:
            parts.append(single)
        elif bracket_low is not None or plain_low is not None:
            first, last = (bracket_low, bracket_high) if bracket_low else (plain_low, plain_high)
            if int(first) > int(last):
                raise SubscriptionRefused(f"schedule.{name}: the range {element!r} is empty.")
            parts.append(f"{int(first)}-{int(last)}")
        else:
            if int(step) < 1:
                raise SubscriptionRefused(f"schedule.{name}: a step of at least 1.")
            first = low if start == "*" else int(start)
            parts.append(f"{first}-{high}/{int(step)}")
    return ",".join(parts)


def schedule_cron(schedule: Any) -> str:
    """The croniter expression of a schedule of the standard, or ``SubscriptionRefused``.

    Fields given must all match; a day or month field left out matches every value; a time
    field left out matches every value unless a coarser field is given, then it is 0
    (``{"hour": "1", "minute": "5"}`` runs once a day at 01:05:00, ``{"minute": "5"}`` at five
    past every hour, ``{"second": "0/30"}`` every 30 seconds).
    """
    if not isinstance(schedule, dict) or not schedule:
        raise SubscriptionRefused(
            "schedule: an object with one or more of " + ", ".join(SCHEDULE_FIELDS) + "."
        )
    unknown = sorted(set(schedule) - set(SCHEDULE_FIELDS))
    if unknown:
        raise SubscriptionRefused(f"schedule.{unknown[0]}: not a field of a query schedule.")
    fields = {name: _cron_field(name, value) for name, value in schedule.items()}
    given = [name for name in SCHEDULE_FIELDS if name in fields]
    coarsest = max(list(SCHEDULE_FIELDS).index(name) for name in given)
    for position, name in enumerate(_TIME_FIELDS):
        if name not in fields:
            fields[name] = "0" if coarsest > position else "*"
    for name in ("dayOfMonth", "month", "dayOfWeek"):
        fields.setdefault(name, "*")
    expression = " ".join(fields[name] for name in _CRON_ORDER)
    try:
        schedule_next_run(expression, timezone.now())
    except (CroniterBadDateError, ValueError, KeyError) as error:
        raise SubscriptionRefused("schedule: no date matches every field given.") from error
    return expression


def schedule_next_run(expression: str, after: datetime) -> datetime:
    """The first time after ``after`` that the schedule matches (dayOfMonth and dayOfWeek
    both must match when both are given)."""
    return croniter(expression, after, day_or=False, max_years_between_matches=30).get_next(
        datetime
    )


# --- subscriptions -------------------------------------------------------------------------


def subscriptions_of(*, user: User, query: NamedQuery) -> QuerySet[QuerySubscription]:
    return QuerySubscription.objects.filter(owner=user, query=query).select_related("query")


def _dest_validate(dest: Any) -> str:
    if not isinstance(dest, str) or not dest:
        raise SubscriptionRefused("dest: the callback URL (http or https).")
    try:
        webhook_target_resolve(dest)
    except WebhookTargetRefused as refusal:
        raise SubscriptionRefused(f"dest: {refusal}") from refusal
    return dest


def _signature_token_validate(token: Any) -> str:
    if token is None:
        return ""
    if not isinstance(token, str) or not token or len(token) > MAX_SIGNATURE_TOKEN_LENGTH:
        raise SubscriptionRefused(
            f"signatureToken: a string of 1 to {MAX_SIGNATURE_TOKEN_LENGTH} characters."
        )
    return token


@transaction.atomic
def subscription_create(
    *,
    owner: User,
    query: NamedQuery,
    dest: str,
    signature_token: str | None = None,
    stream: bool = False,
    schedule: dict[str, Any] | None = None,
    report_if_empty: bool = False,
    initial_record_time: datetime | None = None,
    epc_format: str = DEFAULT_EPC_FORMAT,
) -> QuerySubscription:
    """Subscribe ``owner`` to their query ``query``: ``stream`` or a ``schedule`` (exactly one);
    ``SubscriptionRefused`` when the request cannot be honoured (``dest`` must be a public
    http(s) URL)."""
    if stream and schedule is not None:
        raise SubscriptionRefused("Give either stream: true or a schedule, not both.")
    if not stream and schedule is None:
        raise SubscriptionRefused(
            "Give stream: true (every new matching event) or a schedule (when to run the query)."
        )
    expression = schedule_cron(schedule) if schedule is not None else None
    dest = _dest_validate(dest)
    token = _signature_token_validate(signature_token)
    now = timezone.now()
    initial = initial_record_time or now
    subscription = QuerySubscription.objects.create(
        owner=owner,
        query=query,
        dest=dest,
        signature_token=token,
        stream=stream,
        schedule=schedule,
        report_if_empty=report_if_empty and not stream,
        epc_format=epc_format,
        initial_record_time=initial,
        min_record_time=initial,
        next_run_at=schedule_next_run(expression, now) if expression else None,
    )
    subscription_id = str(subscription.pk)
    if expression:
        run_at = subscription.next_run_at
        transaction.on_commit(lambda: _enqueue_scheduled_run(subscription_id, run_at))
    elif initial < now:
        # Events recorded from initialRecordTime until now are delivered once, then the stream.
        transaction.on_commit(lambda: _enqueue_catch_up(subscription_id, now))
    log_write(
        level="INFO",
        engine="epcis",
        event_type="epcis_subscription_created",
        message=f"Subscription {subscription.pk} to query {query.name}",
        context={"subscription_id": subscription_id, "user_id": owner.user_id},
    )
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: QuerySubscription) -> None:
    """Unsubscribe; its deliveries go with it (one not sent yet is not sent)."""
    log_write(
        level="INFO",
        engine="epcis",
        event_type="epcis_subscription_deleted",
        message=f"Subscription {subscription.pk} removed",
        context={"subscription_id": str(subscription.pk), "user_id": subscription.owner_id},
    )
    subscription.delete()


def subscription_notified(*, subscription_id: uuid.UUID) -> None:
    """A delivery of the subscription was answered 2xx (``lastNotifiedAt``)."""
    QuerySubscription.objects.filter(pk=subscription_id).update(last_notified_at=timezone.now())


# --- deliveries ----------------------------------------------------------------------------


def _matching_events(subscription: QuerySubscription) -> QuerySet[EpcisEvent]:
    """The events the subscriber may see that match the subscription's query, in its order
    (eventCountLimit, maxEventCount and paging do not apply to a subscription)."""
    parameters = {k: v for k, v in subscription.query.query.items() if k != "@context"}
    for name in ("eventCountLimit", "maxEventCount", "perPage", "nextPageToken"):
        parameters.pop(name, None)
    query = selectors.simple_event_query_parse(parameters)
    return selectors.events_query(user=subscription.owner, query=query)


def _matching_events_or_none(subscription: QuerySubscription) -> QuerySet[EpcisEvent] | None:
    """``_matching_events``, or ``None`` (logged) when the saved query no longer parses: one
    such subscription does not hold up the others."""
    try:
        return _matching_events(subscription)
    except selectors.QueryParameterError as error:
        logger.warning("Subscription %s: its query is not valid: %s", subscription.pk, error)
        return None


def _deliveries_create(
    *,
    subscription: QuerySubscription,
    events: QuerySet[EpcisEvent],
    trigger: str,
    report_if_empty: bool,
) -> list[SubscriptionDelivery]:
    """One delivery per ``DELIVERY_BATCH`` events (one empty document when there are none
    and ``report_if_empty``), sent by the worker once the transaction commits."""
    rendered = [
        event_rendered(event, epc_format=subscription.epc_format)
        for event in events.only("id", "event", "context")
    ]
    batches = [
        rendered[start : start + DELIVERY_BATCH]
        for start in range(0, len(rendered), DELIVERY_BATCH)
    ]
    if not batches and report_if_empty:
        batches = [[]]
    deliveries = [
        SubscriptionDelivery(
            delivery_id=uuid.uuid4(),
            subscription=subscription,
            trigger_event=trigger,
            payload=query_document(
                batch, query_name=subscription.query.name, subscription_id=str(subscription.pk)
            ),
            status=DeliveryStatus.PENDING,
            attempt_count=0,
        )
        for batch in batches
    ]
    if deliveries:
        SubscriptionDelivery.objects.bulk_create(deliveries)
        ids = [str(delivery.delivery_id) for delivery in deliveries]
        transaction.on_commit(lambda: webhook_deliveries_enqueue(ids, model=SubscriptionDelivery))
    return deliveries


def subscriptions_stream_enqueue(*, capture_job_id: uuid.UUID) -> None:
    """Once the capture commits, the worker delivers its new events to stream subscriptions
    (no task at all while there are none)."""
    from items.epcis.tasks import epcis_stream_deliver

    job_id = str(capture_job_id)

    def enqueue() -> None:
        if QuerySubscription.objects.filter(stream=True).exists():
            epcis_stream_deliver.enqueue(job_id)

    transaction.on_commit(enqueue)


@transaction.atomic
def subscriptions_stream_deliver(*, capture_job_id: uuid.UUID) -> list[SubscriptionDelivery]:
    """Deliver the events a capture stored to every stream subscription whose query they
    match and whose subscriber may see them (recorded from its ``initialRecordTime`` on)."""
    deliveries: list[SubscriptionDelivery] = []
    subscriptions = QuerySubscription.objects.filter(stream=True).select_related("owner", "query")
    for subscription in subscriptions.order_by("id"):
        matching = _matching_events_or_none(subscription)
        if matching is None:
            continue
        events = matching.filter(
            capture_job_id=capture_job_id, record_time__gte=subscription.initial_record_time
        )
        deliveries += _deliveries_create(
            subscription=subscription, events=events, trigger=STREAM_EVENT, report_if_empty=False
        )
    return deliveries


@transaction.atomic
def subscription_catch_up(
    *, subscription_id: uuid.UUID, until: datetime
) -> list[SubscriptionDelivery]:
    """A stream subscription's events recorded from ``initialRecordTime`` until it was made."""
    subscription = (
        QuerySubscription.objects.select_related("owner", "query")
        .filter(pk=subscription_id, stream=True)
        .first()
    )
    if subscription is None:
        return []
    matching = _matching_events_or_none(subscription)
    if matching is None:
        return []
    events = matching.filter(
        record_time__gte=subscription.initial_record_time, record_time__lt=until
    )
    return _deliveries_create(
        subscription=subscription, events=events, trigger=STREAM_EVENT, report_if_empty=False
    )


def subscription_run_scheduled(
    *, subscription_id: uuid.UUID, now: datetime | None = None
) -> list[SubscriptionDelivery] | None:
    """Run a scheduled subscription if it is due: deliver the matching events recorded since
    the previous run, move ``minRecordTime`` on and set the next run. ``None`` when it was not
    due (a duplicate or stale task) or is gone."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = (
            QuerySubscription.objects.select_for_update(of=("self",))
            .select_related("owner", "query")
            .filter(pk=subscription_id, stream=False)
            .first()
        )
        if subscription is None or subscription.next_run_at is None:
            return None
        if subscription.next_run_at > now:
            return None
        until = max(now - SCHEDULE_SETTLE, subscription.min_record_time)
        matching = _matching_events_or_none(subscription)
        deliveries = []
        if matching is not None:
            deliveries = _deliveries_create(
                subscription=subscription,
                events=matching.filter(
                    record_time__gte=subscription.min_record_time, record_time__lt=until
                ),
                trigger=SCHEDULE_EVENT,
                report_if_empty=subscription.report_if_empty,
            )
        subscription.min_record_time = until
        subscription.next_run_at = schedule_next_run(schedule_cron(subscription.schedule), now)
        subscription.save(update_fields=["min_record_time", "next_run_at"])
        run_at = subscription.next_run_at
        transaction.on_commit(lambda: _enqueue_scheduled_run(str(subscription_id), run_at))
    return deliveries


def subscriptions_run_due(*, now: datetime | None = None) -> int:
    """Run every scheduled subscription that is due (where deferred tasks are not available,
    or to catch up after the worker was down); answers how many ran."""
    now = now or timezone.now()
    due = QuerySubscription.objects.filter(next_run_at__lte=now).order_by("next_run_at", "id")
    ran = 0
    for subscription_id in due.values_list("id", flat=True):
        if subscription_run_scheduled(subscription_id=subscription_id, now=now) is not None:
            ran += 1
    return ran


def _enqueue_scheduled_run(subscription_id: str, run_at: datetime | None) -> None:
    from items.epcis.tasks import epcis_subscription_run

    if run_at is None:
        return
    task = epcis_subscription_run
    if not task.get_backend().supports_defer:
        return  # no deferred tasks here: ``manage.py epcis_subscriptions_run`` runs them
    task.using(run_after=run_at).enqueue(subscription_id)


def _enqueue_catch_up(subscription_id: str, until: datetime) -> None:
    from items.epcis.tasks import epcis_subscription_catch_up

    epcis_subscription_catch_up.enqueue(subscription_id, until.isoformat())


def subscription_delivery_request(*, delivery: SubscriptionDelivery) -> DeliveryRequest:
    """The POST of a subscription's delivery: the ``EPCISQueryDocument`` with the standard's
    version headers and, with a ``signatureToken``, its ``GS1-Signature``."""
    subscription = delivery.subscription
    body = delivery_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "GS1-EPCIS-Version": EPCIS_VERSION,
        "GS1-CBV-Version": CBV_VERSION,
        "GS1-EPC-Format": subscription.epc_format,
        "X-DeFarm-Event": delivery.trigger_event,
        "X-DeFarm-Delivery": str(delivery.delivery_id),
        "X-DeFarm-Timestamp": str(unix_now()),
    }
    if subscription.signature_token:
        digest = hmac.new(subscription.signature_token.encode(), body, hashlib.sha256)
        headers["GS1-Signature"] = f"sha256={digest.hexdigest()}"
    return DeliveryRequest(subscription.dest, body, headers)
