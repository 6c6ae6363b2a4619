"""Signals sent once a circuit change has committed. Storage and webhooks listen to them.

Every signal is sent with ``sender=Circuit`` and these keyword arguments:
``circuit`` (Circuit), ``item`` (items.Item), ``user`` (the acting User) and ``operation``
(CircuitOperation or None).
"""

from django.dispatch import Signal

item_pushed = Signal()  # an item entered the circuit (push completed)
item_approved = Signal()  # a pending push was approved by a manager
item_tokenized = Signal()  # a local item was tokenized to a DFID through a push-local
item_published = Signal()  # an item was published in the circuit's public view
