"""Signals sent once a circuit change has committed. Storage and webhooks listen to them.

Every signal is sent with ``sender=Circuit`` and these keyword arguments:
``circuit`` (Circuit), ``item`` (items.Item), ``user`` (the acting User) and ``operation``
(CircuitOperation or None).

A batch push sends the plural signals once for the whole batch instead, with ``items`` and
``operations`` (lists of the same length, in push order) in place of ``item`` and
``operation``: a receiver of ``item_pushed`` also connects to ``items_pushed``.
"""

from django.dispatch import Signal

item_pushed = Signal()  # an item entered the circuit (push completed)
item_approved = Signal()  # a pending push was approved by a manager
item_tokenized = Signal()  # a local item was tokenized to a DFID through a push-local
item_published = Signal()  # an item was published in the circuit's public view
items_pushed = Signal()  # a batch push completed: items entered the circuit
items_published = Signal()  # a batch push published items in the circuit's public view
