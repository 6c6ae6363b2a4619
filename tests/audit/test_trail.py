"""The hash chain: every row linked to the one before, tampering named, writers serialised."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Tier
from audit.models import AuditChainHead, AuditEvent
from audit.selectors.events import audit_chain_verify
from audit.services.erasure import user_personal_data_erase
from audit.services.trail import (
    audit_content_hash,
    audit_entry_hash,
    audit_retention_apply,
    sequence_ranges,
)
from tests.accounts.factories import StaffFactory, UserFactory
from tests.audit.conftest import record


def test_rows_are_chained_in_order(db):
    first = record("user-a", details={"n": 1.5, "nested": {"b": [1, "x"]}})
    second = record("user-b", metadata={"ip_address": "10.0.0.7"})
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_hash == "0" * 64
    assert second.previous_hash == first.entry_hash
    for row in AuditEvent.objects.all():  # as read back from the database
        assert audit_content_hash(row) == row.content_hash
        assert row.entry_hash == audit_entry_hash(
            sequence=row.sequence, previous_hash=row.previous_hash, content_hash=row.content_hash
        )
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.entry_hash) == (2, second.entry_hash)
    proof = audit_chain_verify()
    assert proof.valid and proof.checked == 2 and proof.first_broken is None


def test_an_altered_row_is_named(db):
    rows = [record("user-a", action=f"step-{n}") for n in range(5)]
    AuditEvent.objects.filter(pk=rows[2].pk).update(action="something else")
    proof = audit_chain_verify()
    assert not proof.valid
    assert proof.first_broken.event_id == str(rows[2].event_id)
    assert proof.first_broken.sequence == 3
    assert "altered" in proof.first_broken.reason


def test_a_rehashed_row_breaks_the_next_link(db):
    rows = [record("user-a", action=f"step-{n}") for n in range(3)]
    forged = AuditEvent.objects.get(pk=rows[1].pk)
    forged.action = "forged"
    forged.content_hash = audit_content_hash(forged)
    forged.entry_hash = audit_entry_hash(
        sequence=2, previous_hash=forged.previous_hash, content_hash=forged.content_hash
    )
    forged.save()
    proof = audit_chain_verify()
    assert proof.first_broken.event_id == str(rows[2].event_id)
    assert "previous hash" in proof.first_broken.reason


def test_a_deleted_row_and_a_cut_tail_are_named(db):
    rows = [record("user-a") for _ in range(4)]
    AuditEvent.objects.filter(pk=rows[1].pk).delete()
    proof = audit_chain_verify()
    assert proof.first_broken.event_id == str(rows[2].event_id)
    assert "missing" in proof.first_broken.reason

    AuditEvent.objects.filter(pk__in=[rows[2].pk, rows[3].pk]).delete()
    AuditEvent.objects.create(
        **{f.attname: getattr(rows[1], f.attname) for f in AuditEvent._meta.concrete_fields}
    )
    proof = audit_chain_verify()
    assert proof.first_broken.event_id is None
    assert "ends at 2" in proof.first_broken.reason


def test_erasure_anonymises_and_the_chain_still_verifies(db):
    staff, person, other = StaffFactory(), UserFactory(), UserFactory()
    mine = record(person.pk, metadata={"ip_address": "10.1.1.1"}, details={"phone": "555"})
    about = record(staff.pk, subject_user_id=person.pk, details={"email": person.email})
    theirs = record(other.pk, details={"note": "kept"})
    result = user_personal_data_erase(user=person, actor=staff)

    assert result.audit_rows == 2
    mine.refresh_from_db()
    about.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.user_id.startswith("erased-") and mine.details == {} and mine.metadata == {}
    assert about.subject_user_id == mine.user_id and about.details == {}
    assert theirs.details == {"note": "kept"}
    person.refresh_from_db()
    assert person.username.startswith("erased-") and person.email.endswith("@erased.invalid")
    assert not person.has_usable_password() and not person.is_active
    assert not AuditEvent.objects.filter(details__email=person.email).exists()
    assert audit_chain_verify().valid

    # A redaction without an erasure row vouching for it is named.
    AuditEvent.objects.filter(pk=theirs.pk).update(details={}, redacted_by=mine.redacted_by)
    assert audit_chain_verify().first_broken.event_id == str(theirs.event_id)


def test_retention_by_tier_prunes_the_chain_start_and_keeps_it_verifiable(db):
    basic = UserFactory(tier=Tier.BASIC)
    enterprise = UserFactory(tier=Tier.ENTERPRISE)
    now = timezone.now()
    old_basic = [record(basic.pk, timestamp=now - timedelta(days=40)) for _ in range(3)]
    old_enterprise = record(enterprise.pk, timestamp=now - timedelta(days=40))
    basic_after = record(basic.pk, timestamp=now - timedelta(days=35))
    fresh = record(basic.pk, timestamp=now - timedelta(days=2))

    result = audit_retention_apply(now=now)

    assert result.expired == 4  # three old Basic rows and the 35-day-old one
    assert result.deleted == 3  # the run of expired rows at the chain's start
    assert result.checkpoint_sequence == 3
    assert not AuditEvent.objects.filter(pk__in=[row.pk for row in old_basic]).exists()
    kept = AuditEvent.objects.get(pk=old_enterprise.pk)
    assert kept.user_id == enterprise.pk  # Enterprise keeps a year
    stub = AuditEvent.objects.get(pk=basic_after.pk)
    assert stub.user_id == "expired" and stub.redacted_by == result.event.event_id
    assert AuditEvent.objects.get(pk=fresh.pk).user_id == basic.pk
    proof = audit_chain_verify()
    assert proof.valid, proof.first_broken
    assert proof.checkpoint_sequence == 3

    again = audit_retention_apply(now=now)
    assert (again.expired, again.deleted) == (0, 0)
    assert audit_chain_verify().valid


def test_sequence_ranges():
    assert sequence_ranges([7, 1, 2, 3, 9, 8]) == [[1, 3], [7, 9]]
    assert sequence_ranges([]) == []


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    writers, rows_each = 8, 15
    barrier = threading.Barrier(writers)
    errors = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(rows_each):
                record(f"writer-{n}", action=f"write-{i}")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert connection.vendor == "postgresql"
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, writers * rows_each + 1))
    previous = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(set(previous)) == len(previous)  # no two rows hang on the same parent
    assert audit_chain_verify().valid


def test_prune_command_reports_and_verifies(db):
    from io import StringIO

    from django.core.management import call_command

    user = UserFactory(tier=Tier.BASIC)
    record(user.pk, timestamp=timezone.now() - timedelta(days=31))
    record(user.pk)
    out = StringIO()
    call_command("prune_audit_trail", stdout=out)
    text = out.getvalue()
    assert "Expired 1 audit rows, deleted 1" in text
    assert "Audit chain verified: 2 rows." in text  # the kept row and the retention row
