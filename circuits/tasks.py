"""Background tasks of circuits, run by the worker (``python manage.py db_worker``)."""

from django.apps import apps
from django.tasks import task


@task
def webhook_delivery_send(delivery_id: str, model: str = "circuits.webhookdelivery") -> str:
    """One attempt at a delivery (``model``: a circuit webhook's, or
    ``epcis.subscriptiondelivery``); returns the delivery's status afterwards."""
    from circuits.services.webhooks import webhook_delivery_attempt

    delivery = apps.get_model(model).objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "Missing"
    return webhook_delivery_attempt(delivery=delivery).status
