from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from defarm.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = (
        "Create the demo accounts (hen, pullet, cock, basic_farmer, pro_farmer, "
        "enterprise_farmer; password demo123) and a small cattle supply chain to explore. "
        "Running it again changes nothing. Refused under production settings unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (the accounts' password is public: demo only).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not settings.TESTING and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts whose password (demo123) is published: it runs "
                "with DEBUG=true only. Use --force to seed a production database anyway."
            )
        summary = demo_seed()
        if summary.created:
            for line in summary.created:
                self.stdout.write(f"  + {line}")
        else:
            self.stdout.write("Demo data already present; nothing to create.")
        self.stdout.write("\nDemo accounts (password demo123, demo only):")
        for account in DEMO_ACCOUNTS:
            role = "staff" if account.is_admin else account.tier
            self.stdout.write(f"  {account.username:<18} {role}")
        if summary.api_key:
            self.stdout.write(
                f"\nAPI key of pullet (read, write; shown once): {summary.api_key}\n"
                f"  curl -H 'X-API-Key: {summary.api_key}' http://127.0.0.1:8000/api/items"
            )
        self.stdout.write(
            self.style.SUCCESS(
                "\nLog in as any of them: POST /api/auth/login "
                f'{{"username": "pullet", "password": "{DEMO_PASSWORD}"}}'
            )
        )
