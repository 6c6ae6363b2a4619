from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class DefarmConfig(AppConfig):
    name = "defarm"
    verbose_name = "DeFarm"

    def ready(self) -> None:
        # The SQLite file (no DATABASE_URL) lives in the data directory; every command that
        # opens it (migrate, createsuperuser, seed_demo, runserver) needs the directory.
        if settings.DATABASE_KIND == "sqlite" and not settings.TESTING:
            name = settings.DATABASES["default"]["NAME"]
            if str(name) != ":memory:" and not str(name).startswith("file:"):
                Path(name).parent.mkdir(parents=True, exist_ok=True)
