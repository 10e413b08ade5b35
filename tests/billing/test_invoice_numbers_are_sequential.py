import threading

import pytest
from django.db import connection

from billing.services.invoices import invoice_drafts_build, invoice_issue
from tests import factories
from tests.billing.conftest import JUNE, close_month, conversion, june

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_issues_take_consecutive_numbers_without_a_gap():
    finance = factories.FinanceUserFactory()
    drafts = []
    for name in ("A", "B"):
        goal = factories.GoalFactory(offer__advertiser__name=name)
        conversion(goal=goal, revenue="1.00", at=june(2))
        (draft,) = invoice_drafts_build(
            advertiser_id=goal.offer.advertiser_id, period_start=JUNE, built_by=finance
        )
        drafts.append(draft)

    close_month(JUNE)
    start = threading.Barrier(2)
    numbers, errors = [], []

    def issue(invoice_id):
        try:
            start.wait()
            numbers.append(invoice_issue(invoice_id=invoice_id, issued_by=finance).number)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(d.id,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [1, 2]
