"""Smart links: one publisher URL (/s/<code>) sending each visitor to the best eligible offer of
a set, decided from the cached snapshot; the choice is recorded on the click."""

from collections import Counter
from datetime import UTC, datetime

import pytest

from offers.models import Cap, Offer
from reports.models import OfferDay
from tests import factories
from tests.conftest import client_for
from tests.tracking.clicks.visits import GB_IP, ingest, visit
from tracking.caps import cap_period_start, cap_reached_set
from tracking.clicks import resolve
from tracking.models import Click, SmartLink, SmartLinkOffer

pytestmark = pytest.mark.django_db


def _offer(name: str, **fields) -> Offer:
    return factories.OfferFactory(
        landing_url=f"https://{name}.example/?cid={{click_id}}",
        fallback_url=f"https://{name}-fb.example/",
        **fields,
    )


@pytest.fixture
def pair(publisher):
    a, b = _offer("a"), _offer("b")
    return a, b


def _smart(publisher, offers, *, rule="weighted", weights=None, fallback="https://sl-fb.example/"):
    smart = SmartLink.objects.create(
        code=f"smart{SmartLink.objects.count()}xyz",
        publisher=publisher,
        name=f"s{SmartLink.objects.count()}",
        rule=rule,
        fallback_url=fallback,
    )
    for index, offer in enumerate(offers):
        SmartLinkOffer.objects.create(
            smart_link=smart, offer=offer, weight=(weights or [1] * len(offers))[index]
        )
    return smart


def _hosts(client, smart, visitors: int) -> Counter:
    return Counter(
        visit(client, f"/s/{smart.code}", ip=f"10.20.{n // 250}.{n % 250 + 1}")["Location"].split(
            "/"
        )[2]
        for n in range(visitors)
    )


def test_weighted_visitors_are_split_by_weight_and_each_click_records_its_choice(
    client, publisher, pair
):
    a, b = pair
    smart = _smart(publisher, [a, b], weights=[3, 1])
    hosts = _hosts(client, smart, 400)
    assert set(hosts) == {"a.example", "b.example"}
    assert 0.65 < hosts["a.example"] / 400 < 0.85, hosts
    ingest()
    clicks = Click.objects.all()
    assert {click.smart_link_id for click in clicks} == {smart.id}
    assert Counter(click.offer_id for click in clicks) == {
        a.id: hosts["a.example"],
        b.id: hosts["b.example"],
    }
    assert {click.fallback_reason for click in clicks} == {""}


def test_a_visitor_keeps_the_same_offer(client, publisher, pair):
    smart = _smart(publisher, list(pair))
    first = visit(client, f"/s/{smart.code}", ip="10.1.1.1")["Location"].split("?")[0]
    for _ in range(5):
        assert visit(client, f"/s/{smart.code}", ip="10.1.1.1")["Location"].startswith(first)


def test_an_offer_whose_targeting_excludes_the_visitor_is_skipped(client, publisher, pair):
    a, b = pair
    Offer.objects.filter(id=a.id).update(countries=["FR"])
    smart = _smart(publisher, [a, b], weights=[100, 1])
    assert set(_hosts(client, smart, 30)) == {"b.example"}


def test_an_offer_over_its_cap_is_skipped(client, publisher, pair):
    a, b = pair
    cap = factories.CapFactory(offer=a, action=Cap.Action.FALLBACK, period=Cap.Period.DAY)
    start = cap_period_start(period="day", now=datetime.now(UTC))
    cap_reached_set(cap_id=cap.id, period_start=start, reached=True)
    smart = _smart(publisher, [a, b], weights=[100, 1])
    assert set(_hosts(client, smart, 30)) == {"b.example"}


def test_paused_and_unapproved_offers_are_skipped(client, publisher, pair):
    a, b = pair
    private = _offer("p", visibility=Offer.Visibility.PRIVATE)
    Offer.objects.filter(id=a.id).update(status=Offer.Status.PAUSED)
    smart = _smart(publisher, [a, private, b], weights=[100, 100, 1])
    assert set(_hosts(client, smart, 30)) == {"b.example"}


def test_with_no_eligible_offer_the_visitor_goes_to_the_smart_links_fallback(
    client, publisher, pair
):
    a, b = pair
    Offer.objects.filter(id__in=[a.id, b.id]).update(countries=["FR"])
    smart = _smart(publisher, [a, b])
    response = visit(client, f"/s/{smart.code}", ip=GB_IP)
    assert response["Location"] == "https://sl-fb.example/"
    ingest()
    click = Click.objects.get()
    assert (click.fallback_reason, click.smart_link_id, click.offer_id) == (
        "no_eligible_offer",
        smart.id,
        a.id,
    )


def test_epc_rule_sends_most_visitors_to_the_best_recent_epc_and_explores_the_rest(
    client, publisher, pair
):
    a, b = pair
    today = datetime.now(UTC).date()
    for offer, payout in ((a, 500_000), (b, 2_000_000)):  # 0.05 and 0.20 per click
        OfferDay.objects.create(
            day=today,
            offer_id=offer.id,
            advertiser_id=offer.advertiser_id,
            currency="USD",
            clicks=10,
            ct_payout_micros=payout,
        )
    smart = _smart(publisher, [a, b], rule="epc")
    hosts = _hosts(client, smart, 400)
    assert 0.85 < hosts["b.example"] / 400 < 0.99, hosts
    assert hosts["a.example"] > 0  # exploration


def test_a_click_is_decided_from_the_cached_snapshot_without_touching_the_database(
    client, publisher, pair, django_assert_num_queries
):
    smart = _smart(publisher, list(pair))
    visit(client, f"/s/{smart.code}", ip="10.3.3.3")  # builds the snapshot
    resolve._local.clear()  # the Redis copy serves (embedded mode: rebuilt, so skip there)
    from tracking.clicks import buffer

    if buffer.redis_client() is None:
        pytest.skip("embedded mode has no shared snapshot")
    with django_assert_num_queries(0):
        assert visit(client, f"/s/{smart.code}", ip="10.3.3.4").status_code == 302


def test_an_unknown_smart_link_is_not_found(client):
    assert visit(client, "/s/nosuchcode1").status_code == 404


def test_a_publisher_makes_smart_links_only_for_itself_over_offers_it_may_run(publisher, pair):
    a, b = pair
    user = factories.PublisherUserFactory(publisher=publisher)
    api = client_for(user)
    made = api.post(
        "/api/v1/smart-links/",
        {"name": "mix", "rule": "epc", "offers": [{"offer": a.id, "weight": 2}, {"offer": b.id}]},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["url"].endswith(f"/s/{SmartLink.objects.get().code}")
    assert made.json()["offers"] == [{"offer": a.id, "weight": 2}, {"offer": b.id, "weight": 1}]

    private = _offer("p", visibility=Offer.Visibility.PRIVATE)
    refused = api.post(
        "/api/v1/smart-links/",
        {"name": "sneaky", "offers": [{"offer": private.id}]},
        format="json",
    )
    assert refused.status_code == 400 and "offers" in refused.json()["error"]["fields"]
    other = factories.PublisherFactory()
    assert (
        api.post(
            "/api/v1/smart-links/",
            {"name": "x", "publisher": other.id, "offers": [{"offer": a.id}]},
            format="json",
        ).status_code
        == 400
    )
    euro = _offer("e", currency="EUR")
    mixed = api.post(
        "/api/v1/smart-links/",
        {"name": "mixed", "offers": [{"offer": a.id}, {"offer": euro.id}]},
        format="json",
    )
    assert mixed.status_code == 400

    theirs = _smart(other, [a])
    assert api.get(f"/api/v1/smart-links/{theirs.id}/").status_code == 404
    advertiser = client_for(factories.AdvertiserUserFactory())
    assert (
        advertiser.post(
            "/api/v1/smart-links/", {"name": "a", "offers": [{"offer": a.id}]}, format="json"
        ).status_code
        == 403
    )


def test_a_manager_names_the_publisher_and_its_offers_must_be_runnable_by_it(publisher):
    private = _offer("p", visibility=Offer.Visibility.PRIVATE)
    api = client_for(factories.ManagerFactory())
    body = {"name": "m", "publisher": publisher.id, "offers": [{"offer": private.id}]}
    assert api.post("/api/v1/smart-links/", body, format="json").status_code == 400
    factories.OfferAccessFactory(publisher=publisher, offer=private, status="approved")
    made = api.post("/api/v1/smart-links/", body, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["publisher"] == publisher.id
