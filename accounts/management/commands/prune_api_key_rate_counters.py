from django.core.management.base import BaseCommand

from accounts.services.rate_limits import api_key_rate_counters_prune


class Command(BaseCommand):
    help = "Delete API key rate-limit counters whose window has ended."

    def handle(self, *args, **options):
        deleted = api_key_rate_counters_prune()
        self.stdout.write(f"Deleted {deleted} expired rate-limit counters.")
