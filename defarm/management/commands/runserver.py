from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver

from defarm.startup import prepare_database


class Command(StaticRunserver):
    """``runserver`` that prepares the database (migrating the in-memory one) before serving."""

    def inner_run(self, *args, **options):
        prepare_database()
        super().inner_run(*args, **options)
