"""Two concurrent creates of overlapping overrides for one target: exactly one wins."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from core.errors import DomainError
from offers.models import PublisherOverride
from offers.services import override_create
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_overrides_cannot_both_be_created():
    terms = factories.TermsFactory()
    rounds = 4
    publishers = [factories.PublisherFactory() for _ in range(rounds)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(publisher, barrier):
        try:
            barrier.wait()
            override_create(
                fields={
                    "publisher": publisher,
                    "offer": terms.goal.offer,
                    "payout_kind": "cpa_flat",
                    "payout_amount": Decimal("8"),
                }
            )
            outcome = "created"
        except DomainError as error:
            outcome = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    for publisher in publishers:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=create, args=(publisher, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    assert sorted(outcomes) == ["created"] * rounds + ["override_overlap"] * rounds
    for publisher in publishers:
        assert PublisherOverride.objects.filter(publisher=publisher).count() == 1
