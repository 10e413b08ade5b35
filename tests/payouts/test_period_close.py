"""Closing a month: validated by one finance user, closed by another, in order; a closed month's
books never change (a later change of one of its conversions is an adjustment in the open
month), and its earnings become payable PAYABLE_AFTER_CLOSE_DAYS after the close."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from core.errors import DomainError, ForbiddenError
from core.network_time import month_bounds, month_of
from payouts.models import AccountingPeriod, LedgerEntry
from payouts.services import payout_batch_build
from payouts.services.periods import period_close, period_validate
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import entry_write
from tracking.attribution.actions import conversion_act

pytestmark = pytest.mark.django_db


def this_month() -> date:
    return month_of(at=timezone.now())


def months_ago(n: int) -> date:
    month = this_month()
    for _ in range(n):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def middle_of(month: date):
    start, end = month_bounds(month)
    return start + (end - start) / 2


def closed(month: date, finance, finance2) -> AccountingPeriod:
    period_validate(month=month, validated_by=finance)
    return period_close(month=month, closed_by=finance2)


def conversion_booked_in(month: date, publisher, **kwargs):
    """An approved conversion made in `month`, with its earning booked then."""
    with time_machine.travel(middle_of(month), tick=False):
        conversion = factories.ConversionFactory(publisher=publisher, **kwargs)
    if conversion.status == "approved":
        entry_write(
            publisher=publisher,
            amount=conversion.payout,
            conversion_id=conversion.id,
            offer_id=conversion.offer_id,
            at=middle_of(month),
        )
    return conversion


def test_a_closed_period_refuses_an_entry_dated_inside_it(publisher, finance, finance2):
    last = months_ago(1)
    entry_write(publisher=publisher, amount="10.00", at=middle_of(last))
    closed(last, finance, finance2)
    with pytest.raises(IntegrityError, match="closed period"):
        entry_write(publisher=publisher, amount="5.00", at=middle_of(last))
    assert LedgerEntry.objects.filter(publisher=publisher).count() == 1


def test_reversing_a_conversion_of_a_closed_period_books_an_adjustment_in_the_open_one(
    publisher, finance, finance2
):
    last = months_ago(1)
    conversion = conversion_booked_in(last, publisher)
    closed(last, finance, finance2)

    conversion_act(
        conversion_id=conversion.id,
        action="reverse",
        actor=factories.ManagerFactory(),
        reason="advertiser chargeback",
    )

    earning, change = LedgerEntry.objects.filter(conversion=conversion).order_by("id")
    assert (earning.kind, earning.amount) == ("earning", Decimal("7.00"))
    assert (change.kind, change.amount) == ("adjustment", Decimal("-7.00"))
    assert change.created_at >= month_bounds(this_month())[0]
    assert f"conversion of closed period {last:%Y-%m}: reversal" in change.reason


def test_approving_a_held_conversion_of_a_closed_period_books_its_earning_as_an_adjustment_now(
    publisher, finance, finance2
):
    last = months_ago(1)
    entry_write(publisher=publisher, amount="1.00", at=middle_of(last))
    conversion = conversion_booked_in(
        last, publisher, status="pending", reject_reason="fraud_review"
    )
    closed(last, finance, finance2)

    conversion_act(
        conversion_id=conversion.id,
        action="approve",
        actor=factories.ManagerFactory(),
        reason="checked by hand",
    )

    (change,) = LedgerEntry.objects.filter(conversion=conversion)
    assert (change.kind, change.amount) == ("adjustment", Decimal("7.00"))
    assert change.created_at >= month_bounds(this_month())[0]


def test_a_changed_conversion_of_an_open_period_is_booked_as_before(publisher):
    conversion = conversion_booked_in(months_ago(1), publisher)
    conversion_act(
        conversion_id=conversion.id,
        action="reverse",
        actor=factories.ManagerFactory(),
        reason="chargeback",
    )
    assert LedgerEntry.objects.filter(conversion=conversion).last().kind == "reversal"


def test_one_finance_user_cannot_validate_and_close_a_month_alone(finance):
    last = months_ago(1)
    period_validate(month=last, validated_by=finance)
    with pytest.raises(ForbiddenError, match="did not validate"):
        period_close(month=last, closed_by=finance)
    assert AccountingPeriod.objects.get(month=last).status == "validated"


def test_a_month_is_validated_before_it_is_closed_and_closed_once(finance, finance2):
    last = months_ago(1)
    with pytest.raises(DomainError) as refused:
        period_close(month=last, closed_by=finance2)
    assert refused.value.code == "period_not_validated"
    closed(last, finance, finance2)
    with pytest.raises(DomainError) as again:
        period_validate(month=last, validated_by=finance)
    assert again.value.code == "period_closed"


def test_a_month_that_has_not_ended_cannot_be_validated(finance):
    with pytest.raises(DomainError) as refused:
        period_validate(month=this_month(), validated_by=finance)
    assert refused.value.code == "period_not_ended"
    assert not AccountingPeriod.objects.filter(status="validated").exists()


def test_months_close_in_order(publisher, finance, finance2):
    entry_write(publisher=publisher, amount="10.00", at=middle_of(months_ago(2)))
    period_validate(month=months_ago(1), validated_by=finance)
    with pytest.raises(DomainError) as refused:
        period_close(month=months_ago(1), closed_by=finance2)
    assert refused.value.code == "earlier_period_open"
    assert f"{months_ago(2):%Y-%m}" in refused.value.message
    closed(months_ago(2), finance, finance2)
    assert period_close(month=months_ago(1), closed_by=finance2).status == "closed"


def test_earnings_are_payable_only_once_their_month_is_closed_plus_the_configured_days(
    settings, publisher, finance, finance2
):
    settings.PAYABLE_AFTER_CLOSE_DAYS = 5
    settings.PAYOUT_HOLD_DAYS = 0
    last = months_ago(1)
    entry_write(publisher=publisher, amount="80.00", at=middle_of(last))

    with pytest.raises(DomainError, match="No publisher is due"):
        payout_batch_build(currency="USD", built_by=finance)  # the month is open
    period = closed(last, finance, finance2)
    with pytest.raises(DomainError, match="No publisher is due"):
        payout_batch_build(currency="USD", built_by=finance)  # closed, not 5 days ago

    with time_machine.travel(period.closed_at + timedelta(days=5, minutes=1)):
        batch = payout_batch_build(currency="USD", built_by=finance)
    assert [(line.publisher_id, line.amount) for line in batch.lines.all()] == [
        (publisher.id, Decimal("80.00"))
    ]


def test_with_payable_after_close_off_the_hold_alone_decides(settings, publisher, finance):
    settings.PAYABLE_AFTER_CLOSE_DAYS = None
    settings.PAYOUT_HOLD_DAYS = 0
    entry_write(publisher=publisher, amount="80.00", at=middle_of(months_ago(1)))
    assert payout_batch_build(currency="USD", built_by=finance).line_count == 1


def test_periods_through_the_api_two_finance_users_and_nobody_else(publisher):
    last = months_ago(1)
    finance, finance2 = factories.FinanceUserFactory(), factories.FinanceUserFactory()
    publisher_user = factories.PublisherUserFactory(publisher=publisher)
    url = f"/api/v1/accounting-periods/{last:%Y-%m}"

    assert client_for(publisher_user).post(f"{url}/validate/").status_code == 403
    assert client_for(factories.ManagerFactory()).post(f"{url}/validate/").status_code == 403
    response = client_for(finance).post(f"{url}/validate/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "validated"

    assert client_for(publisher_user).post(f"{url}/close/").status_code == 403
    refused = client_for(finance).post(f"{url}/close/")
    assert refused.status_code == 403
    assert "did not validate" in refused.json()["error"]["message"]
    response = client_for(finance2).post(f"{url}/close/")
    assert response.status_code == 200, response.content
    assert (response.json()["month"], response.json()["status"]) == (f"{last:%Y-%m}", "closed")

    listed = client_for(finance).get("/api/v1/accounting-periods/").json()
    assert [row["month"] for row in listed["results"]] == [f"{last:%Y-%m}"]
    assert client_for(publisher_user).get("/api/v1/accounting-periods/").status_code == 403
    bad = client_for(finance).post("/api/v1/accounting-periods/2025-13/validate/")
    assert bad.status_code == 400
