"""CPM priced from an authenticated impression source (tracking/impression_reports.py).

The worked example, by hand: pixels counted 500; the advertiser reports 12,345 for the day; the
publisher's daily impression cap is 9,999, so 9,999 are paid:
payout 9,999 x 2.50 / 1000 = 24.9975 -> 25.00 USD; revenue 9,999 x 4.00 / 1000 = 39.996 ->
40.00 USD. A correction after booking to 6,000: paid 6,000, payout 15.00 (change -10.00, a
reversal of its own), revenue 24.00 (change -16.00).
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.network_time import network_today
from offers.creatives import Creative
from offers.models import Cap, Offer, TermsKind
from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tracking.hooks import after_impressions_counted
from tracking.models import Impression, ImpressionReport, TrafficDay
from tracking.traffic_booking import traffic_day_book

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/impression-reports/"
SOURCES = "/api/v1/impression-sources/"


def _day():
    return network_today(now=timezone.now()) - timedelta(days=1)


def _cpm_offer(advertiser=None):
    offer = factories.OfferFactory(**({"advertiser": advertiser} if advertiser else {}))
    goal = factories.GoalFactory(offer=offer, ref="cpm", is_default=True)
    factories.TermsFactory(
        goal=goal,
        revenue_kind=TermsKind.CPM,
        revenue_amount=Decimal("4.00"),
        payout_kind=TermsKind.CPM,
        payout_amount=Decimal("2.50"),
    )
    return offer


@pytest.fixture
def net():
    advertiser = factories.AdvertiserFactory()
    offer = _cpm_offer(advertiser)
    publisher = factories.PublisherFactory()
    manager = factories.ManagerFactory()
    return {
        "offer": offer,
        "publisher": publisher,
        "manager": client_for(manager),
        "advertiser": client_for(factories.AdvertiserUserFactory(advertiser=advertiser)),
        "publisher_user": client_for(factories.PublisherUserFactory(publisher=publisher)),
        "finance": client_for(factories.FinanceUserFactory()),
    }


def _reported(net, **extra):
    response = net["manager"].post(
        SOURCES, {"offer": net["offer"].id, "source": "reported", **extra}, format="json"
    )
    assert response.status_code in (200, 201), response.content
    return response


def _report(client, net, report_id, count, day=None, **extra):
    body = {
        "report_id": report_id,
        "offer": net["offer"].id,
        "publisher": net["publisher"].id,
        "day": (day or _day()).isoformat(),
        "count": count,
        **extra,
    }
    return client.post(REPORTS, body, format="json")


def _pixels(net, count, day=None):
    day = day or _day()
    hour = datetime.combine(day, time(12), tzinfo=UTC)
    Impression.objects.create(
        hour=hour, offer_id=net["offer"].id, publisher_id=net["publisher"].id, count=count
    )
    after_impressions_counted(counts=[(hour, net["offer"].id, net["publisher"].id, count)])


def _cap(net, limit):
    factories.CapFactory(
        offer=net["offer"],
        publisher=net["publisher"],
        counts=Cap.Counts.IMPRESSIONS,
        period=Cap.Period.DAY,
        limit=Decimal(limit),
    )


def _report_row(net, day):
    response = net["manager"].get(
        "/api/v1/reports/",
        {"group_by": "day", "date_from": day.isoformat(), "date_to": day.isoformat()},
    )
    assert response.status_code == 200, response.content
    (row,) = response.json()["rows"]
    return row


def test_a_reported_count_prices_cpm_from_report_to_ledger_to_report(net):
    day = _day()
    _reported(net)
    _cap(net, "9999")
    _pixels(net, 500)
    response = _report(net["advertiser"], net, "adsrv-1", 12_345)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert "payout_change" not in response.json()  # advertisers never read payouts

    assert traffic_day_book(day=day) == 1

    record = TrafficDay.objects.get()
    assert (record.source, record.counted, record.pixel_counted, record.paid, record.capped) == (
        "reported",
        12_345,
        500,
        9_999,
        2_346,
    )
    assert (record.revenue, record.payout) == (Decimal("40.00"), Decimal("25.00"))
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.currency) == ("earning", Decimal("25.00"), "USD")
    assert "reported 12345 (authenticated source; pixels counted 500, not paid)" in entry.reason
    assert "over cap 2346" in entry.reason
    row = _report_row(net, day)
    # The reports still count the pixels; the money is the reported count's.
    assert (row["impressions"], row["revenue"], row["payout"]) == (500, "40.00", "25.00")
    assert ImpressionReport.objects.get().status == "booked"


def test_a_repeat_changes_nothing_and_a_reused_report_id_is_refused(net):
    _reported(net)
    first = _report(net["advertiser"], net, "r-1", 1_000)
    again = _report(net["advertiser"], net, "r-1", 1_000)
    other = _report(net["advertiser"], net, "r-1", 2_000)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["repeat"] is True and again.json()["id"] == first.json()["id"]
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "report_id_reused"
    assert ImpressionReport.objects.count() == 1


def test_a_correction_before_the_booking_replaces_the_count(net):
    day = _day()
    _reported(net)
    _report(net["advertiser"], net, "r-1", 20_000)
    _report(net["manager"], net, "r-2", 8_000)  # a third-party ad server's figure

    traffic_day_book(day=day)

    # 8,000 x 2.50 / 1000 = 20.00
    assert LedgerEntry.objects.get().amount == Decimal("20.00")
    statuses = dict(ImpressionReport.objects.values_list("report_id", "status"))
    assert statuses == {"r-1": "replaced", "r-2": "booked"}


def test_lines_per_creative_add_up_to_the_days_count(net):
    day = _day()
    _reported(net)
    creative = Creative.objects.create(offer=net["offer"], name="t", kind="text", text="Go")
    _report(net["advertiser"], net, "c-1", 3_000, creative=creative.id)
    _report(net["advertiser"], net, "n-1", 1_000)
    _report(net["advertiser"], net, "c-2", 3_200, creative=creative.id)  # replaces c-1

    traffic_day_book(day=day)

    # 3,200 + 1,000 = 4,200 x 2.50 / 1000 = 10.50
    assert TrafficDay.objects.get().counted == 4_200
    assert LedgerEntry.objects.get().amount == Decimal("10.50")


def test_a_correction_after_the_booking_books_the_difference_as_its_own_entry(net):
    day = _day()
    _reported(net)
    _cap(net, "9999")
    _report(net["advertiser"], net, "r-1", 12_345)
    traffic_day_book(day=day)

    response = _report(net["advertiser"], net, "r-2", 6_000)

    assert response.status_code == 201, response.content
    shown = response.json()
    assert (shown["status"], shown["paid_before"], shown["paid_after"]) == (
        "correction",
        9_999,
        6_000,
    )
    assert Decimal(shown["revenue_change"]) == Decimal("-16.00")
    entries = list(LedgerEntry.objects.order_by("id").values_list("kind", "amount", "reason"))
    assert [(kind, amount) for kind, amount, _ in entries] == [
        ("earning", Decimal("25.00")),
        ("reversal", Decimal("-10.00")),
    ]
    assert "corrected by report r-2" in entries[1][2]
    record = TrafficDay.objects.get()
    assert (record.counted, record.paid, record.payout, record.revenue) == (
        6_000,
        6_000,
        Decimal("15.00"),
        Decimal("24.00"),
    )
    row = _report_row(net, day)
    assert (row["revenue"], row["payout"]) == ("24.00", "15.00")
    # A correction upwards is capped the same way: 20,000 -> 9,999 paid, +10.00.
    _report(net["manager"], net, "r-3", 20_000)
    assert LedgerEntry.objects.order_by("-id").values_list("amount", flat=True)[0] == Decimal(
        "10.00"
    )
    # The publisher reads what was reported for it, with its payout but never the revenue.
    mine = net["publisher_user"].get(REPORTS).json()["results"]
    assert {row["report_id"] for row in mine} == {"r-1", "r-2", "r-3"}
    assert all("revenue_change" not in row and "payout_change" in row for row in mine)


def test_who_may_report_and_what_is_refused(net):
    _reported(net)
    other_advertiser = client_for(factories.AdvertiserUserFactory())

    publisher = _report(net["publisher_user"], net, "p-1", 99_999)
    finance = _report(net["finance"], net, "f-1", 1)
    foreign = _report(other_advertiser, net, "o-1", 1)
    future = _report(net["advertiser"], net, "d-1", 1, day=_day() + timedelta(days=2))
    unknown_key = _report(net["advertiser"], net, "k-1", 1, paid=1)

    assert publisher.status_code == 403  # a publisher never reports its own impressions
    assert finance.status_code == 403
    assert foreign.status_code == 400  # another advertiser's offer: as a missing one
    assert foreign.json()["error"]["code"] == "does_not_exist"
    assert future.status_code == 400 and future.json()["error"]["code"] == "day_in_future"
    assert unknown_key.status_code == 400
    assert not ImpressionReport.objects.exists()


def test_a_pixel_priced_offer_refuses_reports_and_only_managers_set_the_source(net):
    pixel = _report(net["advertiser"], net, "r-1", 100)
    by_advertiser = net["advertiser"].post(
        SOURCES, {"offer": net["offer"].id, "source": "reported"}, format="json"
    )
    by_publisher = net["publisher_user"].post(
        SOURCES, {"offer": net["offer"].id, "source": "reported"}, format="json"
    )

    assert pixel.status_code == 409 and pixel.json()["error"]["code"] == "source_is_pixel"
    assert (by_advertiser.status_code, by_publisher.status_code) == (403, 403)


def test_a_publisher_kept_on_pixels_is_paid_from_pixels_and_not_from_reports(net):
    day = _day()
    _reported(net)  # the offer: reported
    _reported(net, publisher=net["publisher"].id, source="pixel")  # this publisher: pixels
    _pixels(net, 2_000)

    refused = _report(net["advertiser"], net, "r-1", 50_000)
    traffic_day_book(day=day)

    assert refused.status_code == 409
    # 2,000 x 2.50 / 1000 = 5.00
    assert LedgerEntry.objects.get().amount == Decimal("5.00")
    assert TrafficDay.objects.get().source == "pixel"


def test_a_private_offer_takes_no_report_for_a_publisher_not_approved(net):
    Offer.objects.filter(pk=net["offer"].pk).update(visibility=Offer.Visibility.PRIVATE)
    _reported(net)

    response = _report(net["advertiser"], net, "r-1", 10)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "publisher_not_on_offer"
