from django.apps import AppConfig


class DefarmConfig(AppConfig):
    name = "defarm"
    verbose_name = "DeFarm"
