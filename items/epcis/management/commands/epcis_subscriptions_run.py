"""Run the EPCIS query subscriptions whose schedule is due.

The worker runs each scheduled subscription at its time by itself (a deferred task); this
command is for deployments whose task backend cannot defer, and to catch up after the worker
was down. Run it every minute (or as often as the finest schedule needs).
"""

from django.core.management.base import BaseCommand

from items.epcis.subscriptions import subscriptions_run_due


class Command(BaseCommand):
    help = "Run the EPCIS query subscriptions whose schedule is due."

    def handle(self, *args, **options):
        ran = subscriptions_run_due()
        self.stdout.write(f"{ran} scheduled subscription(s) ran.")
