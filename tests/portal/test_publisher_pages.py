"""The publisher portal: link builder, access requests, postback test fire, dashboard figures,
balance and payouts."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from affiliates.models import OfferAccess
from tests import factories
from tests.portal.conftest import client_as
from tests.portal.localhttp import recording_server
from tracking.hooks import after_clicks_ingested, after_conversion_changed
from tracking.models import TrackingLink


def test_the_link_builder_mints_the_pairs_link_and_appends_the_sub_ids(net, settings):
    settings.TRACKING_BASE_URL = "https://trk.example"
    response = client_as(net.publisher_user).post(
        f"/publisher/offers/{net.offer.id}/", {"sub1": "campaign 7", "source": "news&co"}
    )
    link = TrackingLink.objects.get(offer=net.offer, publisher=net.publisher)
    url = response.context["built_url"]
    assert url.startswith(f"https://trk.example/c/{link.code}?")
    assert parse_qs(urlsplit(url).query) == {"sub1": ["campaign 7"], "source": ["news&co"]}
    assert 'data-copy="built-url"' in response.content.decode()


def test_building_twice_reuses_the_same_link(net):
    client = client_as(net.publisher_user)
    client.post(f"/publisher/offers/{net.offer.id}/", {"sub1": "a"})
    client.post(f"/publisher/offers/{net.offer.id}/", {"sub1": "b"})
    assert TrackingLink.objects.filter(offer=net.offer, publisher=net.publisher).count() == 1


def test_requesting_an_approval_offer_records_the_request(net):
    response = client_as(net.publisher_user).post(
        f"/publisher/offers/{net.approval_offer.id}/request/",
        {"message": "Email list"},
        follow=True,
    )
    access = OfferAccess.objects.get(publisher=net.publisher, offer=net.approval_offer)
    assert access.status == "requested"
    assert access.message == "Email list"
    assert "waiting for approval" in response.content.decode()


def test_a_test_fire_calls_the_template_with_sample_values_and_shows_the_answer(net, settings):
    settings.POSTBACK_ALLOW_LOOPBACK = True
    with recording_server(body=b"got it") as server:
        template = factories.PostbackTemplateFactory(
            publisher=net.publisher, url=server["url"] + "/pb?cid={click_id}&p={payout}"
        )
        response = client_as(net.publisher_user).post(
            f"/publisher/postbacks/{template.id}/test/", follow=True
        )
    assert server["paths"] == ["/pb?cid=TEST0000000000000000000000&p=1.00"]
    page = response.content.decode()
    assert "HTTP 200 (ok" in page
    assert "got it" in page


def test_a_test_fire_at_a_loopback_address_is_refused_by_the_ssrf_guard(net, settings):
    settings.POSTBACK_ALLOW_LOOPBACK = False
    with recording_server() as server:
        template = factories.PostbackTemplateFactory(
            publisher=net.publisher, url=server["url"] + "/pb?cid={click_id}"
        )
        response = client_as(net.publisher_user).post(
            f"/publisher/postbacks/{template.id}/test/", follow=True
        )
    assert server["paths"] == []
    assert "refused_" in response.content.decode()


def test_the_attempt_log_lists_each_attempt_of_the_publishers_postbacks(net):
    template = factories.PostbackTemplateFactory(publisher=net.publisher)
    conversion = factories.ConversionFactory(goal=net.goal, publisher=net.publisher)
    delivery = conversion.postback_deliveries.create(
        template=template, publisher=net.publisher, event="approved", url="https://pub.example/x"
    )
    delivery.log.create(
        number=1,
        attempted_at=conversion.created_at,
        outcome="http_error",
        status_code=503,
        duration_ms=12,
    )
    page = client_as(net.publisher_user).get("/publisher/postbacks/").content.decode()
    assert "http_error · HTTP 503 · 12 ms" in page


def test_the_dashboard_shows_todays_clicks_conversions_payout_and_epc(net):
    clicks = [
        factories.ClickFactory(offer_id=net.offer.id, publisher_id=net.publisher.id)
        for _ in range(4)
    ]
    after_clicks_ingested(clicks=clicks)
    conversion = factories.ConversionFactory(
        goal=net.goal, publisher=net.publisher, click_id=clicks[0].click_id, payout=Decimal("7")
    )
    after_conversion_changed(conversion=conversion, previous_status=None)
    # Another publisher's traffic is not this one's.
    other = factories.ClickFactory(offer_id=net.offer.id, publisher_id=net.other_publisher.id)
    after_clicks_ingested(clicks=[other])

    response = client_as(net.publisher_user).get("/publisher/")
    today = next(p for p in response.context["periods"] if p.label == "Today")
    assert (today.clicks, today.conversions, today.payout, today.epc) == (
        4,
        1,
        Decimal("7.00"),
        Decimal("1.75"),
    )
    month = next(p for p in response.context["periods"] if p.label == "This month")
    assert month.clicks == 4
    chart = response.context["chart"]
    clicks_set = next(d for d in chart["datasets"] if d["metric"] == "clicks")
    assert clicks_set["data"][-1] == 4
    assert sum(clicks_set["data"]) == 4
    assert 'id="daily-data"' in response.content.decode()


def test_the_payouts_page_shows_the_balance_from_the_ledger(net):
    factories.LedgerEntryFactory(publisher=net.publisher, amount=Decimal("12.50"))
    factories.LedgerEntryFactory(publisher=net.other_publisher, amount=Decimal("99.00"))
    response = client_as(net.publisher_user).get("/publisher/payouts/")
    [balance] = response.context["balances"]
    assert (balance.currency, balance.total) == ("USD", Decimal("12.50"))
    assert "99.00" not in response.content.decode()
