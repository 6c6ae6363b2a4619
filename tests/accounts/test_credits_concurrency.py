import threading

import pytest
from django.db import connection
from django.db.models import Sum

from accounts.models import CreditBalance, CreditTransaction
from accounts.services.credits import credits_charge
from accounts.tiers import CreditOperation
from defarm.api.exceptions import InsufficientCredits
from tests.accounts.factories import UserFactory


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_debits_never_overdraw_and_match_the_ledger():
    user = UserFactory()  # 100 welcome credits; Basic circuit operations cost 3
    outcomes = []
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def spend():
        try:
            barrier.wait()
            for _ in range(5):
                try:
                    credits_charge(
                        user=user, operation=CreditOperation.CIRCUIT_OPERATION, description="push"
                    )
                    result = "charged"
                except InsufficientCredits:
                    result = "refused"
                with lock:
                    outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 50
    assert outcomes.count("charged") == 33  # 33 * 3 = 99 of the 100 credits
    balance = CreditBalance.objects.get(user=user).credits
    assert balance == 1
    ledger = CreditTransaction.objects.filter(user=user)
    assert ledger.aggregate(total=Sum("amount"))["total"] == balance
    assert ledger.count() == 1 + 33
    assert min(ledger.values_list("balance_after", flat=True)) >= 0
