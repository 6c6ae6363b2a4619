"""Background tasks of circuits, run by the worker (``python manage.py db_worker``)."""

from django.tasks import task

from circuits.models import WebhookDelivery


@task
def webhook_delivery_send(delivery_id: str) -> str:
    """One attempt at a webhook delivery; returns the delivery's status afterwards."""
    from circuits.services.webhooks import webhook_delivery_attempt

    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "Missing"
    return webhook_delivery_attempt(delivery=delivery).status
