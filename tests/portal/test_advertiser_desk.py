"""The advertiser's own desk: access requests to its offers (decided there, never another
advertiser's), its conversions filtered and as CSV (revenue, never payouts), its refused
callbacks with why, and a chart of conversions and revenue drawn as inline SVG."""

from django.utils import timezone

from affiliates.models import OfferAccess
from tests import factories
from tests.portal.conftest import client_as


def test_an_advertiser_decides_access_requests_to_its_own_offers_only(net):
    mine = OfferAccess.objects.create(publisher=net.publisher, offer=net.approval_offer)
    other_offer = factories.OfferFactory(advertiser=net.other_advertiser, visibility="approval")
    theirs = OfferAccess.objects.create(publisher=net.publisher, offer=other_offer)
    client = client_as(net.advertiser_user)
    page = client.get("/advertiser/access-requests/").content.decode()
    assert "Acme VIP" in page and other_offer.name not in page

    response = client.post(
        f"/advertiser/access-requests/{mine.id}/decide/", {"decision": "approved"}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.decided_by) == ("approved", net.advertiser_user)

    forged = client.post(
        f"/advertiser/access-requests/{theirs.id}/decide/", {"decision": "approved"}
    )
    assert forged.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "requested"


def test_conversions_filter_by_txn_id_and_download_as_csv_without_payouts(net):
    factories.ConversionFactory(goal=net.goal, publisher=net.publisher, advertiser_txn_id="T-1")
    factories.ConversionFactory(goal=net.goal, publisher=net.publisher, advertiser_txn_id="T-2")
    other_goal = factories.GoalFactory(offer=net.other_offer, ref="x")
    factories.ConversionFactory(goal=other_goal, advertiser_txn_id="T-1")
    client = client_as(net.advertiser_user)
    page = client.get("/advertiser/conversions/?q=T-1").content.decode()
    assert "T-1" in page and "T-2" not in page
    today = timezone.now().date().isoformat()
    response = client.get(f"/advertiser/conversions/?since={today}&until={today}&format=csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("Conversion,Time (UTC),Status")
    assert "Payout" not in lines[0]
    assert len(lines) == 3  # its two conversions, not the other advertiser's


def test_the_refused_callbacks_of_its_integration_are_listed_with_why(net):
    refused = factories.CallbackInboxFactory(
        advertiser=net.advertiser,
        click_id="CLICK-MINE",
        result="unknown_goal",
        state="processed",
        params={"goal": "nope"},
    )
    factories.CallbackInboxFactory(
        advertiser=net.other_advertiser,
        click_id="CLICK-THEIRS",
        result="unknown_goal",
        state="processed",
        params={},
    )
    page = client_as(net.advertiser_user).get("/advertiser/callbacks/").content.decode()
    assert f">{refused.id}<" in page and "CLICK-MINE" in page and "CLICK-THEIRS" not in page


def test_the_chart_draws_its_conversions_and_revenue_as_inline_svg(net):
    factories.ConversionFactory(goal=net.goal, publisher=net.publisher)
    page = client_as(net.advertiser_user).get("/advertiser/chart/").content.decode()
    assert '<svg id="chart"' in page
    assert page.count('class="bar-count"') == 30
    assert "1 conversion," in page
    assert '<script src="http' not in page


def test_other_roles_cannot_open_the_advertiser_desk(net):
    for path in ("/advertiser/access-requests/", "/advertiser/callbacks/", "/advertiser/chart/"):
        assert client_as(net.publisher_user).get(path).status_code == 403
