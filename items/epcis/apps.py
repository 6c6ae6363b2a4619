from django.apps import AppConfig


class EpcisConfig(AppConfig):
    name = "items.epcis"
    label = "epcis"
    verbose_name = "EPCIS 2.0 events and capture jobs"
    default_auto_field = "django.db.models.BigAutoField"
