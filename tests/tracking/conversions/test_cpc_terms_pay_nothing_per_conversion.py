"""CPC terms are paid per unique click (tracking/attribution/cpc.py): a conversion on them
earns the publisher nothing more and books no earning, whatever the callback says."""

from decimal import Decimal

from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import SECRET, drain, world_build
from tracking.models import Conversion


def test_a_conversion_on_cpc_payout_terms_pays_nothing_and_books_no_earning(db, client):
    world = world_build(payout_kind="cpc", payout_amount="0.03")
    response = client.get(
        "/postback", {"click_id": world.click.click_id, "amount": "50", "token": SECRET}
    )
    assert response.status_code == 200, response.content

    drain()

    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.revenue, conversion.payout) == (
        "approved",
        Decimal("10.00"),
        Decimal("0.00"),
    )
    assert not LedgerEntry.objects.filter(conversion=conversion).exists()


def test_a_conversion_on_cpc_revenue_terms_brings_no_revenue(db, client):
    world = world_build(revenue_kind="cpc", revenue_amount="0.05")
    client.get("/postback", {"click_id": world.click.click_id, "token": SECRET})

    drain()

    conversion = Conversion.objects.get()
    assert (conversion.revenue, conversion.payout) == (Decimal("0.00"), Decimal("7.00"))
