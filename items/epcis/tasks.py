"""Background tasks of EPCIS query subscriptions, run by the worker (``manage.py db_worker``)."""

from datetime import datetime

from django.tasks import task


@task
def epcis_stream_deliver(capture_job_id: str) -> int:
    """Deliver a committed capture's new events to the stream subscriptions they match;
    answers how many deliveries were queued."""
    from items.epcis.subscriptions import subscriptions_stream_deliver

    return len(subscriptions_stream_deliver(capture_job_id=capture_job_id))


@task
def epcis_subscription_catch_up(subscription_id: str, until: str) -> int:
    """A new stream subscription's events recorded from its initialRecordTime until it was
    made."""
    from items.epcis.subscriptions import subscription_catch_up

    deliveries = subscription_catch_up(
        subscription_id=subscription_id, until=datetime.fromisoformat(until)
    )
    return len(deliveries)


@task
def epcis_subscription_run(subscription_id: str) -> int | None:
    """One scheduled run of a subscription (it queues the next); ``None`` when not due."""
    from items.epcis.subscriptions import subscription_run_scheduled

    deliveries = subscription_run_scheduled(subscription_id=subscription_id)
    return None if deliveries is None else len(deliveries)
