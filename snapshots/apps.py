from django.apps import AppConfig


class SnapshotsConfig(AppConfig):
    name = "snapshots"
    verbose_name = "Snapshots and timeline"

    def ready(self) -> None:
        # Items entering a circuit get a snapshot once the push has committed.
        from snapshots import receivers  # noqa: F401
