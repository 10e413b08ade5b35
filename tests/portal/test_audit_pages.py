"""The audit log in pages: managers read every entry, an advertiser only its own offers'
entries and never a payout figure; filters and the CSV narrow what the selector allows."""

from decimal import Decimal

from auditlog.context import set_actor

from offers.models import Terms
from tests import factories
from tests.portal.conftest import client_as


def _changes(net):
    with set_actor(net.manager):
        terms = Terms.objects.get(goal=net.goal)
        terms.revenue_amount = Decimal("11.00")
        terms.payout_amount = Decimal("7.70")
        terms.save()
        net.other_offer.name = "Other Deal Renamed"
        net.other_offer.save()


def test_a_manager_reads_every_entry_with_who_and_what_changed(net):
    _changes(net)
    page = client_as(net.manager).get("/audit/").content.decode()
    assert "Other Deal Renamed" in page
    assert "7.70" in page and "11.00" in page
    assert "maria" in page


def test_an_advertiser_reads_its_own_offers_entries_without_payouts(net):
    _changes(net)
    page = client_as(net.advertiser_user).get("/audit/").content.decode()
    assert "11.00" in page
    assert "7.70" not in page
    assert "Other Deal Renamed" not in page


def test_filters_and_csv_narrow_the_log(net):
    _changes(net)
    client = client_as(net.manager)
    page = client.get("/audit/?model=offers.offer").content.decode()
    assert "Other Deal Renamed" in page and "11.00" not in page
    response = client.get("/audit/?model=offers.terms&format=csv")
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("Time (UTC),Action,Model,Object,Who,Changes")
    assert "11.00" in text and "Other Deal Renamed" not in text


def test_a_publisher_never_reads_an_advertisers_offer_entries(net):
    _changes(net)
    factories.ConversionFactory(goal=net.goal, publisher=net.publisher)
    page = client_as(net.publisher_user).get("/audit/").content.decode()
    assert "11.00" not in page and "Other Deal Renamed" not in page
