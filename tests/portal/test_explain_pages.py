"""Explain this payout, as pages: each role reads its side of a conversion; finance goes from a
batch line to its entries to the click behind each cent."""

from datetime import timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from payouts.ledger import ledger_book_conversion_earnings
from payouts.services import payout_batch_build
from tests import factories
from tests.portal.conftest import client_as


def _converted(net):
    conversion = factories.ConversionFactory(
        goal=net.goal,
        publisher=net.publisher,
        sale_amount=Decimal("50.00"),
        revenue=Decimal("10.00"),
        payout=Decimal("7.00"),
        sub1="spring",
        terms={
            "currency": "USD",
            "revenue_kind": "cpa_flat",
            "revenue_amount": "10.00",
            "revenue_percent": "0",
            "payout_kind": "cpa_flat",
            "payout_amount": "7.00",
            "payout_percent": "0",
            "source": "goal",
            "override_id": None,
        },
        explanation=[{"check": "cap", "ok": True, "detail": "caps 4 (revenue 99/100)"}],
        fraud={"signals": {"ip_shared": 9}, "action": "flag", "fired": []},
    )
    ledger_book_conversion_earnings(conversions=[conversion])
    return conversion


def test_the_publisher_reads_its_payout_side_and_nothing_of_the_revenue(net):
    conversion = _converted(net)
    page = client_as(net.publisher_user).get(f"/conversions/{conversion.id}/explain/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "7.00 USD" in text and "flat 7 USD" in text and "spring" in text
    assert "10.00" not in text and "revenue 99" not in text and "ip_shared" not in text
    earnings = client_as(net.publisher_user).get("/publisher/earnings/").content.decode()
    assert f"/conversions/{conversion.id}/explain/" in earnings
    stranger = client_as(net.other_publisher_user)
    assert stranger.get(f"/conversions/{conversion.id}/explain/").status_code == 404


def test_the_advertiser_reads_its_revenue_side_and_nothing_of_the_payout(net):
    conversion = _converted(net)
    detail = client_as(net.advertiser_user).get(f"/advertiser/conversions/{conversion.id}/")
    assert f"/conversions/{conversion.id}/explain/" in detail.content.decode()

    page = client_as(net.advertiser_user).get(f"/conversions/{conversion.id}/explain/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "10.00 USD" in text and "7.00" not in text and 'id="ledger"' not in text
    other = client_as(net.other_advertiser_user)
    assert other.get(f"/conversions/{conversion.id}/explain/").status_code == 404


def test_finance_goes_from_a_batch_line_to_the_click_behind_each_cent(net, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYABLE_AFTER_CLOSE_DAYS = None
    net.publisher.minimum_payout = Decimal("1")
    net.publisher.save()
    conversion = _converted(net)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        batch = payout_batch_build(currency="USD", built_by=net.other_finance)
    line = batch.lines.get()
    finance = client_as(net.finance)

    batch_page = finance.get(f"/finance/batches/{batch.id}/").content.decode()
    assert f"/finance/batches/{batch.id}/lines/{line.id}/" in batch_page
    line_page = finance.get(f"/finance/batches/{batch.id}/lines/{line.id}/").content.decode()
    assert f"/conversions/{conversion.id}/explain/" in line_page and "it adds up" in line_page
    page = finance.get(f"/conversions/{conversion.id}/explain/").content.decode()
    assert conversion.click_id in page and "ip_shared" in page
    assert f"In payout batch {batch.id} (draft)" in page
    publisher_page = client_as(net.publisher_user)
    assert publisher_page.get(f"/finance/batches/{batch.id}/lines/{line.id}/").status_code == 403
