"""Reopening a month: a validated month goes back to open, with a reason, by a finance user other
than its validator (as a close is), and the audit log names who and why; it is then validated
and closed again as usual. A closed month never reopens, through the service, the API or the
database."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import DatabaseError, transaction
from django.utils import timezone

from core.errors import DomainError, ForbiddenError
from core.network_time import month_of
from payouts.models import AccountingPeriod
from payouts.services.periods import period_close, period_reopen, period_validate
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_month():
    return (month_of(at=timezone.now()) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def finance():
    return factories.FinanceUserFactory()


@pytest.fixture
def finance2():
    return factories.FinanceUserFactory()


def test_a_second_finance_user_reopens_a_validated_month_with_a_reason_and_it_is_audited(
    last_month, finance, finance2
):
    period_validate(month=last_month, validated_by=finance)
    response = client_for(finance2).post(
        f"/api/v1/accounting-periods/{last_month:%Y-%m}/reopen/",
        {"reason": "Shop & Co disputes 3 sales"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["validated_by"], body["reopened_by"], body["reopen_reason"]) == (
        "open",
        None,
        finance2.username,
        "Shop & Co disputes 3 sales",
    )
    entry = LogEntry.objects.get_for_model(AccountingPeriod).latest("timestamp")
    assert entry.actor_id == finance2.id
    assert "Shop & Co disputes 3 sales" in str(entry.changes)

    # Validated again (even by the one who reopened it), then closed by another.
    period_validate(month=last_month, validated_by=finance2)
    closed = period_close(month=last_month, closed_by=finance)
    assert closed.status == "closed" and closed.reopened_by_id == finance2.id


def test_the_validator_cannot_reopen_its_own_validation(last_month, finance):
    period_validate(month=last_month, validated_by=finance)
    with pytest.raises(ForbiddenError):
        period_reopen(month=last_month, reopened_by=finance, reason="changed my mind")
    assert AccountingPeriod.objects.get(month=last_month).status == "validated"


@pytest.mark.parametrize(
    "factory",
    [
        factories.ManagerFactory,
        factories.PublisherUserFactory,
        factories.AdvertiserUserFactory,
    ],
)
def test_only_finance_reopens(last_month, finance, factory):
    period_validate(month=last_month, validated_by=finance)
    response = client_for(factory()).post(
        f"/api/v1/accounting-periods/{last_month:%Y-%m}/reopen/", {"reason": "x"}, format="json"
    )
    assert response.status_code in (403, 404)
    assert AccountingPeriod.objects.get(month=last_month).status == "validated"


def test_a_reopen_says_why(last_month, finance, finance2):
    period_validate(month=last_month, validated_by=finance)
    with pytest.raises(DomainError) as missing:
        period_reopen(month=last_month, reopened_by=finance2, reason="   ")
    assert missing.value.code == "reason_required"
    api = client_for(finance2)
    url = f"/api/v1/accounting-periods/{last_month:%Y-%m}/reopen/"
    assert api.post(url, {}, format="json").status_code == 400
    assert api.post(url, {"reason": "x", "status": "open"}, format="json").status_code == 400
    assert AccountingPeriod.objects.get(month=last_month).status == "validated"


def test_an_open_month_has_nothing_to_reopen(last_month, finance2):
    with pytest.raises(DomainError) as refused:
        period_reopen(month=last_month, reopened_by=finance2, reason="why not")
    assert (refused.value.code, refused.value.status_code) == ("period_open", 409)


def test_a_closed_month_never_reopens(last_month, finance, finance2):
    period_validate(month=last_month, validated_by=finance)
    period_close(month=last_month, closed_by=finance2)
    third = factories.FinanceUserFactory()
    for who in (finance, finance2, third):
        with pytest.raises(DomainError) as refused:
            period_reopen(month=last_month, reopened_by=who, reason="a late dispute")
        assert (refused.value.code, refused.value.status_code) == ("period_closed", 409)
    response = client_for(third).post(
        f"/api/v1/accounting-periods/{last_month:%Y-%m}/reopen/",
        {"reason": "a late dispute"},
        format="json",
    )
    assert response.status_code == 409
    # Nor behind the service's back: the database keeps a closed month closed.
    for attempt in (
        lambda: AccountingPeriod.objects.filter(month=last_month).update(
            status="open", validated_by=None, validated_at=None, closed_by=None, closed_at=None
        ),
        lambda: AccountingPeriod.objects.filter(month=last_month).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert AccountingPeriod.objects.get(month=last_month).status == "closed"


def test_finance_reopens_from_the_periods_page(last_month, finance, finance2):
    from django.test import Client

    from tests.conftest import signed_in

    period_validate(month=last_month, validated_by=finance)
    finance2.save()  # the factories set the password in memory only; sessions check it
    page = signed_in(Client(), finance2)
    listing = page.get("/finance/periods/").content.decode()
    assert f"/finance/periods/{last_month:%Y-%m}/reopen/" in listing
    page.post(f"/finance/periods/{last_month:%Y-%m}/reopen/", {"reason": "recount"})
    period = AccountingPeriod.objects.get(month=last_month)
    assert (period.status, period.reopen_reason) == ("open", "recount")
    assert "recount" in page.get("/finance/periods/").content.decode()
