"""Per-day traffic earnings (CPC and CPM) as the ledger books them: units x price / per,
rounded once in the offer's currency, converted once for a publisher that converts, one entry
per publisher, offer and day (a re-run books nothing)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone
from ulid import ULID

from fraud.models import FraudAction, FraudRule
from offers.models import Cap, Goal, TermsKind
from offers.terms import pricing_model
from payouts.fx import RateRow, fx_rates_store
from payouts.ledger import ledger_book_cpc_hour, ledger_book_traffic_day
from payouts.models import LedgerEntry
from payouts.services import payout_batch_build
from tests import factories
from tests.conftest import client_for
from tests.portal.conftest import client_as, saved
from tests.tracking.clicks.visits import GB_IP, US_IP, ingest, visit
from tracking.attribution.context import caps_lock_and_count
from tracking.caps import cap_is_reached, cap_period_start, cap_reached_set, cap_usage
from tracking.hooks import after_conversions_changed, after_impressions_counted
from tracking.models import Conversion, Impression, TrafficDay
from tracking.tasks.traffic import traffic_days_book
from tracking.traffic_booking import traffic_day_book

DAY = date(2026, 3, 2)


def test_a_cpm_day_books_impressions_over_a_thousand_rounded_once(db):
    publisher = factories.PublisherFactory()
    # 12,345 impressions at 2.50 EUR per thousand: 30.8625 -> 30.86 EUR.
    entry, created = ledger_book_traffic_day(
        model="cpm",
        publisher_id=publisher.id,
        offer_id=7,
        day=DAY,
        units=12_345,
        unit_price=Decimal("2.50"),
        per=1000,
        currency="EUR",
    )
    assert created and (entry.amount, entry.currency) == (Decimal("30.86"), "EUR")
    assert entry.idempotency_key == f"cpm_day:{publisher.id}:7:20260302"
    again = ledger_book_traffic_day(
        model="cpm",
        publisher_id=publisher.id,
        offer_id=7,
        day=DAY,
        units=12_345,
        unit_price=Decimal("2.50"),
        per=1000,
        currency="EUR",
    )
    assert again is not None and again[1] is False


def test_a_cpc_day_for_a_converting_publisher_is_converted_once_at_the_days_rate(db):
    publisher = factories.PublisherFactory(payout_currency="USD", convert_earnings=True)
    fx_rates_store(rows=[RateRow(date=DAY, base="EUR", quote="USD", rate=Decimal("1.085"))])
    # 431 clicks at 0.07 EUR: 30.17 EUR; x 1.085 = 32.73445 -> 32.73 USD.
    entry, _ = ledger_book_traffic_day(
        model="cpc",
        publisher_id=publisher.id,
        offer_id=7,
        day=DAY,
        units=431,
        unit_price=Decimal("0.07"),
        per=1,
        currency="EUR",
    )
    assert (entry.amount, entry.currency) == (Decimal("32.73"), "USD")
    assert (entry.source_amount, entry.source_currency, entry.fx_rate) == (
        Decimal("30.17"),
        "EUR",
        Decimal("1.085"),
    )


# --- The daily traffic booking (tracking/traffic_booking.py), end to end -------------------


def _yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _click(*, offer, publisher, when: datetime, **fields):
    click_id = str(ULID.from_datetime(when))
    return factories.ClickFactory(
        click_id=click_id, offer_id=offer.id, publisher_id=publisher.id, **fields
    )


def _traffic_offer(*, kind: str, revenue: str, payout: str, currency: str = "USD"):
    offer = factories.OfferFactory(currency=currency)
    goal = factories.GoalFactory(offer=offer, ref=kind, is_default=True)
    factories.TermsFactory(
        goal=goal,
        revenue_kind=kind,
        revenue_amount=Decimal(revenue),
        payout_kind=kind,
        payout_amount=Decimal(payout),
    )
    return offer


def _report_row(*, day: date, offer) -> dict:
    client = client_for(factories.ManagerFactory())
    response = client.get(
        "/api/v1/reports/",
        {"group_by": "day", "date_from": day.isoformat(), "date_to": day.isoformat()},
    )
    assert response.status_code == 200, response.content
    (row,) = response.json()["rows"]
    return row


def test_cpm_money_goes_from_counted_impressions_to_the_ledger_the_report_and_a_batch(db, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    day = _yesterday()
    offer = _traffic_offer(kind=TermsKind.CPM, revenue="4.00", payout="2.50")
    publisher = factories.PublisherFactory(minimum_payout=Decimal("1"), hold_days=0)
    # 5,000 + 7,345 = 12,345 impressions counted; a daily impression cap of 9,999 for this
    # publisher pays 9,999: payout 9,999 x 2.50 / 1000 = 24.9975 -> 25.00 USD,
    # revenue 9,999 x 4.00 / 1000 = 39.996 -> 40.00 USD; 2,346 over the cap.
    factories.CapFactory(
        offer=offer,
        publisher=publisher,
        counts=Cap.Counts.IMPRESSIONS,
        period=Cap.Period.DAY,
        limit=Decimal("9999"),
    )
    counts = [
        (_at(day, 10), offer.id, publisher.id, 5_000),
        (_at(day, 11), offer.id, publisher.id, 7_345),
    ]
    for hour, offer_id, publisher_id, count in counts:
        Impression.objects.create(
            hour=hour, offer_id=offer_id, publisher_id=publisher_id, count=count
        )
    after_impressions_counted(counts=counts)

    assert traffic_day_book(day=day) == 1

    record = TrafficDay.objects.get()
    assert (record.model, record.counted, record.paid, record.capped) == (
        "cpm",
        12_345,
        9_999,
        2_346,
    )
    assert (record.revenue, record.payout) == (Decimal("40.00"), Decimal("25.00"))
    entry = LedgerEntry.objects.get(publisher=publisher)
    assert (entry.amount, entry.currency) == (Decimal("25.00"), "USD")
    assert entry.idempotency_key == f"cpm_day:{publisher.id}:{offer.id}:{day:%Y%m%d}"
    row = _report_row(day=day, offer=offer)
    assert (row["impressions"], row["revenue"], row["payout"], row["profit"]) == (
        12_345,
        "40.00",
        "25.00",
        "15.00",
    )
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        batch = payout_batch_build(currency="USD", built_by=factories.FinanceUserFactory())
    line = batch.lines.get()
    assert (line.publisher_id, line.amount) == (publisher.id, Decimal("25.00"))


def test_cpc_is_paid_per_day_for_unique_clean_clicks_up_to_the_daily_click_cap(db):
    day = _yesterday()
    offer = _traffic_offer(kind=TermsKind.CPC, revenue="0.10", payout="0.07")
    publisher = factories.PublisherFactory()
    FraudRule.objects.create(signal="ip_velocity", threshold=20, action=FraudAction.HOLD)
    factories.CapFactory(
        offer=offer,
        publisher=publisher,
        counts=Cap.Counts.CLICKS,
        period=Cap.Period.DAY,
        limit=Decimal("4"),
        action=Cap.Action.FALLBACK,
    )
    for minute in range(5):  # five clean unique clicks: four fit under the cap
        _click(offer=offer, publisher=publisher, when=_at(day, 9, minute))
    _click(offer=offer, publisher=publisher, when=_at(day, 9, 10), is_unique=False)
    _click(offer=offer, publisher=publisher, when=_at(day, 9, 11), is_bot=True)
    # Flagged at ingest with a signal a hold rule catches: held, so never paid.
    _click(offer=offer, publisher=publisher, when=_at(day, 8, 0), signals={"ip_velocity": 31})
    _click(offer=offer, publisher=publisher, when=_at(day, 8, 1), fallback_reason="country")
    # Today's clicks wait for today to close.
    _click(offer=offer, publisher=publisher, when=datetime.now(UTC))

    assert traffic_day_book(day=day) == 1

    record = TrafficDay.objects.get()
    assert (
        record.counted,
        record.paid,
        record.fraud_excluded,
        record.repeats_excluded,
        record.capped,
    ) == (8, 4, 2, 1, 1)
    # 4 x 0.07 = 0.28 payout; 4 x 0.10 = 0.40 revenue.
    assert (record.payout, record.revenue) == (Decimal("0.28"), Decimal("0.40"))
    entry = LedgerEntry.objects.get()
    assert (entry.amount, entry.idempotency_key) == (
        Decimal("0.28"),
        f"cpc_day:{publisher.id}:{offer.id}:{day:%Y%m%d}",
    )
    assert "fraud 2, repeats 1, over cap 1" in entry.reason
    row = _report_row(day=day, offer=offer)
    assert (row["revenue"], row["payout"]) == ("0.40", "0.28")


def test_the_daily_booking_run_twice_books_one_entry_and_counts_the_money_once(db):
    day = _yesterday()
    offer = _traffic_offer(kind=TermsKind.CPC, revenue="0.10", payout="0.07")
    publisher = factories.PublisherFactory()
    for minute in range(3):
        _click(offer=offer, publisher=publisher, when=_at(day, 12, minute))

    assert traffic_day_book(day=day) == 1
    assert traffic_day_book(day=day) == 0

    assert LedgerEntry.objects.get().amount == Decimal("0.21")
    assert TrafficDay.objects.count() == 1
    assert _report_row(day=day, offer=offer)["payout"] == "0.21"


def test_a_day_already_paid_per_hour_at_ingest_is_not_paid_again(db):
    day = _yesterday()
    offer = _traffic_offer(kind=TermsKind.CPC, revenue="0.10", payout="0.07")
    publisher = factories.PublisherFactory()
    first = _click(offer=offer, publisher=publisher, when=_at(day, 12))
    ledger_book_cpc_hour(
        publisher_id=publisher.id,
        offer_id=offer.id,
        hour=_at(day, 12),
        first_click_id=first.click_id,
        clicks=1,
        per_click=Decimal("0.07"),
        currency="USD",
    )
    traffic_day_book(day=day)
    assert TrafficDay.objects.get().paid_hourly
    assert LedgerEntry.objects.count() == 1


def test_the_beat_task_books_closed_days_only_in_daily_mode(db, settings):
    offer = _traffic_offer(kind=TermsKind.CPC, revenue="0.10", payout="0.07")
    publisher = factories.PublisherFactory()
    _click(offer=offer, publisher=publisher, when=_at(_yesterday(), 12))
    settings.TRAFFIC_BOOKING = "hourly"
    assert traffic_days_book() == 0
    settings.TRAFFIC_BOOKING = "daily"
    assert traffic_days_book() == 1
    assert traffic_days_book() == 0
    assert "traffic-days-book" in settings.CELERY_BEAT_SCHEDULE


def test_a_goal_cap_counts_and_limits_only_its_own_goals_conversions(db):
    offer = factories.OfferFactory()
    lead = factories.GoalFactory(offer=offer, ref="lead", kind=Goal.Kind.LEAD)
    sale = factories.GoalFactory(offer=offer, ref="sale", kind=Goal.Kind.SALE, is_default=False)
    publisher = factories.PublisherFactory()
    cap = factories.CapFactory(offer=offer, goal=lead, limit=Decimal("1"))
    for goal in (lead, sale, sale):
        factories.ConversionFactory(
            offer=offer, goal=goal, publisher=publisher, status=Conversion.Status.APPROVED
        )
    now = timezone.now()
    assert cap_usage(cap=cap, period_start=cap_period_start(period="day", now=now))[0] == 1
    (state,) = caps_lock_and_count(offer_ids={offer.id}, now=now)[offer.id]
    assert state.applies_to(publisher.id, lead.id) and state.would_exceed(Decimal(0))
    assert not state.applies_to(publisher.id, sale.id)
    # A goal cap never turns visitors away: its flag is never raised.
    cap_reached_set(cap_id=cap.id, period_start=None, reached=True, limit=cap.limit)
    assert not cap_is_reached(offer_id=offer.id, publisher_id=publisher.id, now=now)


def test_a_click_cap_sends_visitors_to_the_fallback_once_its_clicks_are_ingested(
    client, db, django_capture_on_commit_callbacks
):
    offer = factories.OfferFactory(fallback_url="https://fallback.example/")
    publisher = factories.PublisherFactory()
    link = factories.TrackingLinkFactory(offer=offer, publisher=publisher)
    factories.CapFactory(
        offer=offer,
        counts=Cap.Counts.CLICKS,
        period=Cap.Period.DAY,
        limit=Decimal("2"),
        action=Cap.Action.FALLBACK,
    )
    for ip in (US_IP, GB_IP):
        assert visit(client, f"/c/{link.code}", ip=ip)["Location"].startswith(
            offer.landing_url[:20]
        )
    with django_capture_on_commit_callbacks(execute=True):
        ingest()
    assert cap_is_reached(offer_id=offer.id, publisher_id=publisher.id, now=timezone.now())
    response = visit(client, f"/c/{link.code}", ip="9.9.9.9")
    assert response["Location"].startswith("https://fallback.example/")


def test_cpl_and_cps_are_named_for_what_the_goal_measures():
    assert pricing_model(terms_kind=TermsKind.CPA_FLAT, goal_kind=Goal.Kind.LEAD) == "CPL"
    assert pricing_model(terms_kind=TermsKind.REVSHARE, goal_kind=Goal.Kind.SALE) == "CPS"
    assert pricing_model(terms_kind=TermsKind.CPA_FLAT, goal_kind=Goal.Kind.INSTALL) == "CPA"
    assert pricing_model(terms_kind=TermsKind.CPM, goal_kind=Goal.Kind.OTHER) == "CPM"


def test_the_publishers_offer_page_and_the_goal_report_say_cpl_and_cps(db):
    offer = factories.OfferFactory()
    lead = factories.GoalFactory(offer=offer, ref="lead", kind=Goal.Kind.LEAD)
    factories.TermsFactory(goal=lead)
    user = saved(factories.PublisherUserFactory())
    response = client_as(user).get(f"/publisher/offers/{offer.id}/")
    assert response.status_code == 200, response
    page = response.content.decode()
    assert "Lead (CPL)" in page
    conversion = factories.ConversionFactory(goal=lead, publisher=user.publisher)
    after_conversions_changed(conversions=[conversion])
    manager = client_for(factories.ManagerFactory())
    today = timezone.now().date().isoformat()
    rows = manager.get(
        "/api/v1/reports/", {"group_by": "goal", "date_from": today, "date_to": today}
    ).json()["rows"]
    assert [(row["goal"], row["goal_kind"]) for row in rows] == [(lead.id, "lead")]
