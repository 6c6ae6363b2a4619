import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from rest_framework import exceptions

from accounts.models import User
from items.services.imports import MAX_BATCH, items_import_csv


class Command(BaseCommand):
    help = (
        "Import items from a CSV file as the given user (the same service as POST "
        "/api/items/import). The header row names the columns: canonical:<key>, id:<key>, "
        "namespace, data:<name>, json:<name>, source_entry (see items/services/imports.py). "
        "Prints the counts and every failed row with its line number."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file ('-' reads standard input).")
        parser.add_argument(
            "--user", required=True, help="Username, e-mail or user id of the items' creator."
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=MAX_BATCH,
            help=f"Rows per transaction (1 to {MAX_BATCH}, default {MAX_BATCH}).",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, path, user, chunk_size, **options):
        owner = User.objects.filter(Q(username=user) | Q(email=user) | Q(pk=user)).first()
        if owner is None:
            raise CommandError(f"No user {user!r}.")
        try:
            if path == "-":
                report = items_import_csv(
                    user=owner, stream=sys.stdin.buffer, chunk_size=chunk_size
                )
            else:
                source = Path(path)
                if not source.is_file():
                    raise CommandError(f"No file {path}.")
                with source.open("rb") as stream:
                    report = items_import_csv(user=owner, stream=stream, chunk_size=chunk_size)
        except exceptions.APIException as error:
            details = getattr(error, "details", None) or error.get_full_details()
            raise CommandError(f"{_text(error.detail)} {_dumps(details)}") from error
        if options.get("json"):
            self.stdout.write(_dumps(report.as_dict()))
            return
        self.stdout.write(
            f"rows={report.rows} created={report.created} enriched={report.enriched} "
            f"conflicts={report.conflicts} invalid={report.invalid}"
        )
        for error in report.errors:
            extra = f" (conflict {error.conflict_id})" if error.conflict_id else ""
            self.stdout.write(f"line {error.line}: {error.status}: {error.error}{extra}")
        if report.errors_truncated:
            self.stdout.write(f"(only the first {len(report.errors)} failed rows are listed)")


def _text(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_text(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_text(value) for value in detail)
    return str(detail)


def _dumps(value) -> str:
    return json.dumps(value, default=str)
