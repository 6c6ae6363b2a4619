from django.core.management.base import BaseCommand

from audit.selectors.events import audit_chain_verify
from audit.services.trail import AUDIT_RETENTION_DAYS, UNOWNED_RETENTION_DAYS, audit_retention_apply


class Command(BaseCommand):
    help = (
        "Apply each tier's audit retention ("
        + ", ".join(f"{tier} {days} days" for tier, days in AUDIT_RETENTION_DAYS.items())
        + f"; rows about no user {UNOWNED_RETENTION_DAYS} days): expired rows are emptied, "
        "the run of them at the chain's start is deleted behind a checkpoint, and the chain "
        "is verified afterwards."
    )

    def handle(self, *args, **options):
        result = audit_retention_apply()
        self.stdout.write(
            f"Expired {result.expired} audit rows, deleted {result.deleted}; the chain now "
            f"starts after #{result.checkpoint_sequence}."
        )
        proof = audit_chain_verify()
        if proof.valid:
            self.stdout.write(f"Audit chain verified: {proof.checked} rows.")
        else:
            broken = proof.first_broken
            self.stderr.write(
                f"Audit chain broken at #{broken.sequence} ({broken.event_id}): {broken.reason}"
            )
            raise SystemExit(1)
