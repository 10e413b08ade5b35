"""CPC money: unique, non-bot clicks on CPC terms book the publisher's payout in the ledger and
both revenue and payout in the reports, through the real redirect, ingester and report API."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from offers.models import Offer, TermsKind
from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tests.tracking.clicks.visits import GB_IP, US_IP, ingest, visit

BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hourly(settings):
    """These tests pin the former booking at ingest (TRAFFIC_BOOKING=hourly); the daily one is
    tests/payouts/test_pricing_models.py's."""
    settings.TRAFFIC_BOOKING = "hourly"


@pytest.fixture
def cpc_link(offer, publisher):
    goal = factories.GoalFactory(offer=offer, ref="click", is_default=True)
    factories.TermsFactory(
        goal=goal,
        revenue_kind=TermsKind.CPC,
        revenue_amount=Decimal("0.05"),
        payout_kind=TermsKind.CPC,
        payout_amount=Decimal("0.03"),
    )
    return factories.TrackingLinkFactory(offer=offer, publisher=publisher)


def _day_report(client) -> dict:
    today = datetime.now(UTC).date().isoformat()
    response = client.get(
        "/api/v1/reports/", {"group_by": "day", "date_from": today, "date_to": today}
    )
    assert response.status_code == 200, response.content
    (row,) = response.json()["rows"]
    return row


def test_cpc_clicks_bring_revenue_payout_and_profit_to_the_reports(client, cpc_link, publisher):
    visit(client, f"/c/{cpc_link.code}", ip=US_IP)
    visit(client, f"/c/{cpc_link.code}", ip=US_IP)  # the same visitor again: not unique
    visit(client, f"/c/{cpc_link.code}", ip=GB_IP)
    visit(client, f"/c/{cpc_link.code}", ip="9.9.9.9", ua=BOT_UA)  # a bot earns nothing
    ingest()

    row = _day_report(client_for(factories.ManagerFactory()))
    assert (row["clicks"], row["unique_clicks"]) == (4, 3)
    assert (row["revenue"], row["payout"], row["profit"]) == ("0.10", "0.06", "0.04")
    assert row["conversions"] == 0
    entry = LedgerEntry.objects.get(publisher=publisher)
    assert (entry.kind, entry.amount) == ("earning", Decimal("0.06"))

    # Each side sees its own money: the advertiser what it pays, the publisher what it earns.
    advertiser = factories.AdvertiserUserFactory(advertiser=cpc_link.offer.advertiser)
    assert _day_report(client_for(advertiser))["revenue"] == "0.10"
    publisher_user = factories.PublisherUserFactory(publisher=publisher)
    assert _day_report(client_for(publisher_user))["payout"] == "0.06"


def test_a_click_sent_to_the_fallback_earns_no_cpc_money(client, cpc_link):
    Offer.objects.filter(id=cpc_link.offer_id).update(countries=["DE"])
    visit(client, f"/c/{cpc_link.code}", ip=US_IP)  # outside the targeting: fallback
    ingest()
    row = _day_report(client_for(factories.ManagerFactory()))
    assert (row["clicks"], row["revenue"], row["payout"]) == (1, "0.00", "0.00")
    assert not LedgerEntry.objects.exists()
