"""Views of ``/api/circuits``, one viewset per resource; ``circuits.api.urls`` maps the
earlier engine's route table onto them."""
