from decimal import Decimal

import pytest

from billing.models import Invoice, Payment
from billing.services.invoices import invoice_drafts_build, invoice_issue
from tests import factories
from tests.billing.conftest import JUNE, close_month, conversion, june
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(advertiser, finance):
    goal = factories.GoalFactory(offer__advertiser=advertiser)
    conversion(goal=goal, revenue="20.00", at=june(2))
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JUNE, built_by=finance
    )
    close_month(JUNE)
    return invoice_issue(invoice_id=draft.id, issued_by=finance)


def test_finance_drafts_issues_and_records_a_payment_through_the_api(advertiser, finance):
    goal = factories.GoalFactory(offer__advertiser=advertiser)
    conversion(goal=goal, revenue="20.00", at=june(2))
    api = client_for(finance)
    built = api.post(
        "/api/v1/invoices/",
        {"advertiser": advertiser.id, "period_start": "2025-06-01"},
        format="json",
    )
    assert built.status_code == 201, built.content
    invoice_id = built.json()[0]["id"]
    close_month(JUNE)
    issued = api.post(f"/api/v1/invoices/{invoice_id}/issue/")
    assert issued.status_code == 200, issued.content
    assert issued.json()["state"] == "issued" and issued.json()["total"] == "20.00"

    paid = api.post(
        "/api/v1/invoice-payments/",
        {"invoice": invoice_id, "amount": "5.00", "received_on": "2025-07-10"},
        format="json",
    )
    assert paid.status_code == 201, paid.content
    detail = api.get(f"/api/v1/invoices/{invoice_id}/").json()
    assert (detail["state"], detail["paid"], detail["outstanding"]) == (
        "partly_paid",
        "5.00",
        "15.00",
    )
    over = api.post(
        "/api/v1/invoice-payments/",
        {"invoice": invoice_id, "amount": "15.01", "received_on": "2025-07-11"},
        format="json",
    )
    assert over.status_code == 400 and over.json()["error"]["code"] == "overpaid"
    balances = api.get("/api/v1/advertiser-balances/").json()
    assert balances[0]["outstanding"] == "15.00"

    pdf = api.get(f"/api/v1/invoices/{invoice_id}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = api.get(f"/api/v1/invoices/{invoice_id}/csv/").content.decode()
    assert "20.00,USD" in text


def test_an_advertiser_sees_its_own_issued_invoices_but_cannot_issue_or_record(
    advertiser, finance, issued
):
    factories.GoalFactory(offer__advertiser=advertiser)
    own = client_for(factories.AdvertiserUserFactory(advertiser=advertiser))
    assert [row["id"] for row in own.get("/api/v1/invoices/").json()["results"]] == [issued.id]
    other = client_for(factories.AdvertiserUserFactory())
    assert other.get("/api/v1/invoices/").json()["results"] == []
    assert other.get(f"/api/v1/invoices/{issued.id}/pdf/").status_code == 404

    draft_goal = factories.GoalFactory(offer__advertiser=advertiser)
    conversion(goal=draft_goal, revenue="1.00", at=june(3))
    refused = own.post(
        "/api/v1/invoices/",
        {"advertiser": advertiser.id, "period_start": "2025-07-01"},
        format="json",
    )
    assert refused.status_code == 403
    assert own.post(f"/api/v1/invoices/{issued.id}/issue/").status_code in (403, 409)
    paid = own.post(
        "/api/v1/invoice-payments/",
        {"invoice": issued.id, "amount": "20.00", "received_on": "2025-07-10"},
        format="json",
    )
    assert paid.status_code == 403
    assert not Payment.objects.exists()
    assert Invoice.objects.filter(status="draft").count() == 0


def test_a_manager_cannot_issue_an_invoice(advertiser, finance):
    goal = factories.GoalFactory(offer__advertiser=advertiser)
    conversion(goal=goal, revenue="2.00", at=june(2))
    (draft,) = invoice_drafts_build(
        advertiser_id=advertiser.id, period_start=JUNE, built_by=finance
    )
    response = client_for(factories.ManagerFactory()).post(f"/api/v1/invoices/{draft.id}/issue/")
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.total == Decimal("2.00")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/invoices/",
        "/api/v1/invoice-payments/",
        "/api/v1/advertiser-balances/",
        "/api/v1/advertiser-top-ups/",
        "/api/v1/revenue-budgets/",
    ],
)
def test_a_publisher_sees_no_billing_at_all(issued, path):
    publisher = client_for(factories.PublisherUserFactory())
    assert publisher.get(path).status_code == 403
    assert publisher.get(f"/api/v1/invoices/{issued.id}/").status_code == 403
