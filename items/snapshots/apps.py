from django.apps import AppConfig


class SnapshotsConfig(AppConfig):
    name = "items.snapshots"
    label = "snapshots"
    verbose_name = "Snapshots and timeline"

    def ready(self) -> None:
        # Items entering a circuit get a snapshot once the push has committed.
        from items.snapshots import receivers  # noqa: F401
