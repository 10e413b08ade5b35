"""Manual actions append ledger entries and history; each role reads only its own conversions;
CPC clicks earn once per publisher, offer and hour of a batch."""

from datetime import UTC, datetime
from decimal import Decimal

from offers.models import TermsKind
from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tracking.attribution.cpc import cpc_clicks_earn
from tracking.models import Click


def _entries(conversion):
    return list(LedgerEntry.objects.filter(conversion=conversion).values_list("kind", "amount"))


def test_a_manager_approves_adjusts_then_reverses_with_matching_ledger_entries(db):
    conversion = factories.ConversionFactory(
        status="pending", reject_reason="advertiser_approval", payout=Decimal("7.00")
    )
    api = client_for(factories.ManagerFactory())
    url = f"/api/v1/conversions/{conversion.id}"

    assert api.post(f"{url}/approve/").json()["status"] == "approved"
    assert api.post(f"{url}/adjust/", {"payout": "9.50"}).json()["payout"] == "9.500000"
    assert api.post(f"{url}/reverse/").status_code == 400  # a reason is required
    assert api.post(f"{url}/reverse/", {"reason": "chargeback"}).json()["status"] == "reversed"
    assert api.post(f"{url}/approve/").status_code == 409  # a reversal is final

    assert _entries(conversion) == [
        ("earning", Decimal("7.00")),
        ("adjustment", Decimal("2.50")),
        ("reversal", Decimal("-9.50")),
    ]
    history = api.get(f"{url}/").json()["history"]
    assert [h["action"] for h in history] == ["approve", "adjust", "reverse"]


def test_a_transition_that_is_not_allowed_is_a_409(db):
    conversion = factories.ConversionFactory(status="approved")
    api = client_for(factories.ManagerFactory())
    response = api.post(f"/api/v1/conversions/{conversion.id}/reject/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_each_role_sees_only_its_own_conversions_and_publishers_never_see_revenue(db):
    mine = factories.ConversionFactory()
    theirs = factories.ConversionFactory()
    publisher_api = client_for(factories.PublisherUserFactory(publisher=mine.publisher))
    rows = publisher_api.get("/api/v1/conversions/").json()["results"]
    assert [row["id"] for row in rows] == [mine.id]
    assert "revenue" not in rows[0] and "advertiser" not in rows[0]
    assert publisher_api.get(f"/api/v1/conversions/{theirs.id}/").status_code == 404
    assert (
        publisher_api.post(f"/api/v1/conversions/{mine.id}/reverse/", {"reason": "x"}).status_code
        == 403
    )

    advertiser_api = client_for(factories.AdvertiserUserFactory(advertiser=theirs.advertiser))
    rows = advertiser_api.get("/api/v1/conversions/").json()["results"]
    assert [row["id"] for row in rows] == [theirs.id]
    assert "payout" not in rows[0]
    assert (
        advertiser_api.post(
            f"/api/v1/conversions/{theirs.id}/reverse/", {"reason": "fraud"}
        ).status_code
        == 200
    )
    assert advertiser_api.post(f"/api/v1/conversions/{mine.id}/approve/").status_code == 404

    manager_rows = (
        client_for(factories.ManagerFactory())
        .get("/api/v1/conversions/", {"status": "approved"})
        .json()["results"]
    )
    assert [row["id"] for row in manager_rows] == [mine.id]


def test_cpc_clicks_earn_once_per_publisher_offer_and_hour_and_a_rerun_books_nothing(db):
    terms = factories.TermsFactory(
        payout_kind=TermsKind.CPC,
        payout_amount=Decimal("0.015"),
        revenue_kind=TermsKind.CPC,
        revenue_amount=Decimal("0.03"),
    )
    publisher = factories.PublisherFactory()
    at = datetime(2026, 1, 5, 10, 20, tzinfo=UTC)
    clicks = [
        Click(
            click_id=f"01J{n:023d}",
            created_at=at,
            offer_id=terms.goal.offer_id,
            publisher_id=publisher.id,
            is_unique=n != 3,
            is_bot=n == 4,
        )
        for n in range(6)
    ]
    assert cpc_clicks_earn(clicks=clicks) == 1
    assert cpc_clicks_earn(clicks=clicks) == 0
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.publisher_id) == (
        "earning",
        Decimal("0.06"),
        publisher.id,
    )
