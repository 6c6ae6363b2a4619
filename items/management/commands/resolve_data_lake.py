from django.core.management.base import BaseCommand

from items.services import data_lake_resolve_pending


class Command(BaseCommand):
    help = "Resolve Pending data-lake entries into items (new DFID, enrichment or Conflicted)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Stop after this many.")

    def handle(self, *args, limit=None, **options):
        summary = data_lake_resolve_pending(limit=limit)
        self.stdout.write(
            f"completed={summary.completed} conflicted={summary.conflicted} failed={summary.failed}"
        )
