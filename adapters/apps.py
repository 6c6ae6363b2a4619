from django.apps import AppConfig


class AdaptersConfig(AppConfig):
    name = "adapters"
    verbose_name = "Storage adapters"

    def ready(self) -> None:
        # Connect the receivers of the circuit signals: webhook deliveries first, so a failing
        # storage backend does not hold them back, then storage through the circuit's adapter.
        from circuits.services import webhooks  # noqa: F401, I001

        from adapters import receivers  # noqa: F401
