"""Finance: build a batch, review its lines, approve it (never one's own; on the digest shown),
export, mark paid, fail a line with a second finance user; balances by publisher."""

from decimal import Decimal

from payouts.models import LedgerEntry, PayoutBatch
from tests import factories
from tests.portal.conftest import client_as


def test_building_approving_exporting_and_paying_a_batch_through_the_pages(net, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    factories.LedgerEntryFactory(publisher=net.publisher, amount=Decimal("60.00"))
    factories.LedgerEntryFactory(publisher=net.other_publisher, amount=Decimal("75.50"))
    builder, approver = client_as(net.finance), client_as(net.other_finance)

    built = builder.post("/finance/batches/build/", {"currency": "usd"}, follow=True)
    batch = PayoutBatch.objects.get()
    assert built.redirect_chain[-1][0] == f"/finance/batches/{batch.id}/"
    assert batch.total == Decimal("135.50")
    assert sorted(line.amount for line in built.context["lines"]) == [
        Decimal("60.00"),
        Decimal("75.50"),
    ]
    assert '<dd id="batch-total">135.50</dd>' in built.content.decode()

    digest = built.context["digest"]
    assert 'id="approve"' not in built.content.decode()
    assert 'id="approve-refused"' in built.content.decode()
    refused = builder.post(
        f"/finance/batches/{batch.id}/approve/",
        {"digest": digest, "expected_total": "135.50"},
        follow=True,
    )
    assert "Not allowed: the user authored none of it" in refused.content.decode()
    batch.refresh_from_db()
    assert batch.status == "draft"

    page = approver.get(f"/finance/batches/{batch.id}/").content.decode()
    assert f'name="digest" value="{digest}"' in page
    approver.post(
        f"/finance/batches/{batch.id}/approve/", {"digest": digest, "expected_total": "135.50"}
    )
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by) == ("approved", net.other_finance)

    export = approver.post(f"/finance/batches/{batch.id}/export/", {"export_format": "standard"})
    assert export["Content-Type"].startswith("text/csv")
    assert "attachment;" in export["Content-Disposition"]
    assert "75.50" in export.content.decode()

    approver.post(f"/finance/batches/{batch.id}/mark-paid/")
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert LedgerEntry.objects.filter(kind="payment").count() == 2

    line = batch.lines.order_by("id").first()
    fail = f"/finance/batches/{batch.id}/lines/{line.id}/fail"
    builder.post(f"{fail}/request/", {"reason": "bounced"})
    builder.post(f"{fail}/confirm/")
    assert not LedgerEntry.objects.filter(kind="payment_failure").exists()
    approver.post(f"{fail}/confirm/")
    line.refresh_from_db()
    assert (line.status, line.failure_reason) == ("failed", "bounced")


def test_approving_a_draft_rebuilt_since_it_was_reviewed_is_refused(net, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    factories.LedgerEntryFactory(publisher=net.publisher, amount=Decimal("60.00"))
    client_as(net.finance).post("/finance/batches/build/", {"currency": "USD"})
    batch = PayoutBatch.objects.get()
    response = client_as(net.other_finance).post(
        f"/finance/batches/{batch.id}/approve/",
        {"digest": "0" * 64, "expected_total": "60.00"},
        follow=True,
    )
    assert "review it again" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "draft"


def test_exporting_a_draft_is_refused_with_a_message(net, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    factories.LedgerEntryFactory(publisher=net.publisher, amount=Decimal("60.00"))
    client_as(net.finance).post("/finance/batches/build/", {"currency": "USD"})
    batch = PayoutBatch.objects.get()
    response = client_as(net.finance).post(
        f"/finance/batches/{batch.id}/export/", {"export_format": "standard"}, follow=True
    )
    assert "it can be exported only when it is approved" in response.content.decode()


def test_earnings_in_their_hold_period_stay_out_of_a_batch(net, settings):
    settings.PAYOUT_HOLD_DAYS = 30
    factories.LedgerEntryFactory(publisher=net.publisher, amount=Decimal("60.00"))
    response = client_as(net.finance).post("/finance/batches/build/", {"currency": "USD"})
    assert "No publisher is due a payout" in response.content.decode()


def test_balances_by_publisher_are_summed_from_the_ledger(net):
    factories.LedgerEntryFactory(publisher=net.publisher, amount=Decimal("12.50"))
    factories.LedgerEntryFactory(publisher=net.publisher, amount=Decimal("2.50"))
    response = client_as(net.finance).get("/finance/balances/")
    rows = {row.name: row.balances for row in response.context["rows"]}
    assert rows["Blue Media"][0].total == Decimal("15.00")
    assert rows["Red Media"] == []


def test_a_publishers_payout_details_change_is_confirmed_on_the_confirmations_page(net):
    asked = client_as(net.publisher_user).post(
        "/publisher/payouts/details/",
        {"payout_method": "paypal", "email": "new@blue.example"},
        follow=True,
    )
    assert "takes effect once finance confirms" in asked.content.decode()
    net.publisher.refresh_from_db()
    assert net.publisher.payout_details != {"email": "new@blue.example"}
    page = client_as(net.finance).get("/finance/confirmations/")
    change = page.context["changes"].get()
    assert "new@blue.example" in page.content.decode()

    client_as(net.finance).post(f"/finance/payout-details-changes/{change.id}/confirm/")

    net.publisher.refresh_from_db()
    assert net.publisher.payout_details == {"email": "new@blue.example"}


def test_a_large_adjustment_is_confirmed_by_another_finance_user_on_the_page(net, settings):
    from payouts.services import ledger_adjustment_create

    settings.PAYOUT_ADJUSTMENT_CONFIRM_ABOVE = 100
    waiting = ledger_adjustment_create(
        publisher_id=net.publisher.id,
        currency="USD",
        amount=Decimal("500.00"),
        reason="bonus",
        created_by=net.finance,
    )
    own = client_as(net.finance).post(
        f"/finance/adjustment-requests/{waiting.id}/confirm/", follow=True
    )
    assert "not the one who asked" in own.content.decode()
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()

    client_as(net.other_finance).post(f"/finance/adjustment-requests/{waiting.id}/confirm/")

    assert LedgerEntry.objects.get(kind="adjustment").amount == Decimal("500.00")
