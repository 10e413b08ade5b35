"""Landing page variants: a weighted, sticky pick per visitor, recorded on the click."""

from collections import Counter

import pytest

from offers.models import LandingVariant, Offer
from tests.tracking.clicks.visits import BROWSER_UA, IPHONE_UA, ingest, only_click, visit
from tracking.clicks.variants import variant_pick, visitor_key
from tracking.models import Click

VARIANTS = [[11, 70, "https://a.example/"], [12, 20, "https://b.example/"], [13, 10, "c"]]


def _visitors(count: int) -> list[str]:
    return [
        visitor_key(
            ip=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", user_agent=BROWSER_UA, offer_id=7
        )
        for n in range(count)
    ]


def test_ten_thousand_visitors_are_split_by_the_weights_within_two_points():
    picks = Counter(variant_pick(variants=VARIANTS, key=key)[0] for key in _visitors(10_000))
    assert sum(picks.values()) == 10_000
    for variant_id, weight, _ in VARIANTS:
        assert abs(picks[variant_id] / 10_000 - weight / 100) < 0.02, picks


def test_a_visitor_gets_the_same_variant_every_time():
    keys = _visitors(10_000)
    first = [variant_pick(variants=VARIANTS, key=key)[0] for key in keys]
    again = [variant_pick(variants=VARIANTS, key=key)[0] for key in keys]
    assert first == again


def test_the_same_address_with_another_browser_or_offer_is_another_visitor():
    keys = {
        visitor_key(ip="10.0.0.1", user_agent=BROWSER_UA, offer_id=7),
        visitor_key(ip="10.0.0.1", user_agent=IPHONE_UA, offer_id=7),
        visitor_key(ip="10.0.0.1", user_agent=BROWSER_UA, offer_id=8),
    }
    assert len(keys) == 3


def test_raising_one_weight_only_moves_visitors_to_that_variant():
    keys = _visitors(10_000)
    before = [variant_pick(variants=VARIANTS, key=key)[0] for key in keys]
    heavier = [[11, 70, "a"], [12, 20, "b"], [13, 40, "c"]]
    after = [variant_pick(variants=heavier, key=key)[0] for key in keys]
    moved = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert moved and all(new == 13 for _, new in moved)


def test_no_variants_or_no_weight_picks_nothing():
    assert variant_pick(variants=[], key="x") is None
    assert variant_pick(variants=[[1, 0, "a"]], key="x") is None


@pytest.mark.django_db
def test_a_visitor_through_the_click_url_lands_on_a_variant_which_the_click_records(client, link):
    a = LandingVariant.objects.create(
        offer=link.offer, name="a", url="https://a.example/lp?cid={click_id}", weight=1
    )
    b = LandingVariant.objects.create(
        offer=link.offer, name="b", url="https://b.example/lp?cid={click_id}", weight=1
    )
    response = visit(client, f"/c/{link.code}", ip="10.1.2.3")
    click = only_click()
    chosen = {a.id: "https://a.example/", b.id: "https://b.example/"}[click.landing_variant_id]
    assert response["Location"] == f"{chosen}lp?cid={click.click_id}"

    for _ in range(3):
        again = visit(client, f"/c/{link.code}", ip="10.1.2.3")
        assert again["Location"].startswith(chosen)
    ingest()
    assert set(Click.objects.values_list("landing_variant_id", flat=True)) == {
        click.landing_variant_id
    }


@pytest.mark.django_db
def test_many_visitors_through_the_click_url_reach_both_variants(client, link):
    LandingVariant.objects.create(offer=link.offer, name="a", url="https://a.example/", weight=1)
    LandingVariant.objects.create(offer=link.offer, name="b", url="https://b.example/", weight=1)
    hosts = Counter(
        visit(client, f"/c/{link.code}", ip=f"10.9.0.{n}")["Location"].split("/")[2]
        for n in range(1, 41)
    )
    assert set(hosts) == {"a.example", "b.example"}


@pytest.mark.django_db
def test_an_inactive_or_weightless_variant_is_never_picked(client, link):
    LandingVariant.objects.create(
        offer=link.offer, name="off", url="https://off.example/", is_active=False
    )
    LandingVariant.objects.create(offer=link.offer, name="zero", url="https://z.example/", weight=0)
    response = visit(client, f"/c/{link.code}")
    assert response["Location"].startswith("https://shop.example/land")
    assert only_click().landing_variant_id is None


@pytest.mark.django_db
def test_a_visitor_sent_to_the_fallback_records_no_variant(client, link):
    LandingVariant.objects.create(offer=link.offer, name="a", url="https://a.example/")
    Offer.objects.filter(id=link.offer_id).update(status=Offer.Status.PAUSED)
    response = visit(client, f"/c/{link.code}")
    assert response["Location"].startswith("https://fallback.example/")
    click = only_click()
    assert (click.fallback_reason, click.landing_variant_id) == ("offer_inactive", None)
