from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver

from defarm.startup import prepare_serving


class Command(StaticRunserver):
    """``runserver`` that prepares the database (migrating the in-memory one) before serving."""

    def inner_run(self, *args, **options):
        prepare_serving()
        super().inner_run(*args, **options)
