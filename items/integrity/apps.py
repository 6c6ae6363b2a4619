from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    """Merkle trees and signed attestations over DeFarm's items (``items.integrity``)."""

    name = "items.integrity"
    label = "integrity"
    verbose_name = "Integrity"
    default_auto_field = "django.db.models.BigAutoField"
