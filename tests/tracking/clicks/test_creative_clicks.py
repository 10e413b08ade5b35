"""A click names its creative (`creative=<id>` on the link): recorded when it is one of the
offer's live creatives, else dropped and flagged; results split by creative."""

from datetime import UTC, datetime

import pytest

from offers.creatives import Creative
from tests import factories
from tests.conftest import client_for
from tests.tracking.clicks.visits import ingest, only_click, visit
from tracking.models import Click


@pytest.fixture
def banner(link):
    return Creative.objects.create(
        offer=link.offer,
        name="b",
        kind="banner",
        image_url="https://cdn.example/b.png",
        approved=True,
    )


@pytest.mark.django_db
def test_a_click_through_a_creatives_link_records_the_creative(client, link, banner):
    response = visit(client, f"/c/{link.code}?creative={banner.id}&sub1=x")
    assert response.status_code == 302
    assert response["Location"].startswith("https://shop.example/land")
    click = only_click()
    assert (click.creative_id, click.bad_params, click.sub1) == (banner.id, "", "x")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["999999", "abc", "-1", "%FF", "1" * 30, "DRAFT", "OTHER"])
def test_a_creative_that_is_not_the_offers_live_one_is_dropped_and_flagged(
    client, link, banner, value
):
    draft = Creative.objects.create(offer=link.offer, name="d", kind="text", text="D")
    other = Creative.objects.create(
        offer=factories.OfferFactory(), name="o", kind="text", text="O", approved=True
    )
    value = {"DRAFT": str(draft.id), "OTHER": str(other.id)}.get(value, value)
    response = visit(client, f"/c/{link.code}?creative={value}")
    assert response["Location"].startswith("https://shop.example/land")
    click = only_click()
    assert (click.creative_id, click.bad_params) == (None, "creative")


@pytest.mark.django_db
def test_a_visitor_sent_to_the_fallback_still_records_the_creative(client, link, banner):
    link.offer.countries = ["FR"]
    link.offer.save()
    response = visit(client, f"/c/{link.code}?creative={banner.id}")
    assert response["Location"].startswith("https://fallback.example/")
    click = only_click()
    assert (click.fallback_reason, click.creative_id) == ("country", banner.id)


@pytest.mark.django_db
def test_results_split_clicks_and_money_by_creative_and_hide_each_roles_secrets(
    client, link, banner
):
    text = Creative.objects.create(
        offer=link.offer, name="t", kind="text", text="Go", approved=True
    )
    for n in range(3):
        visit(client, f"/c/{link.code}?creative={banner.id}", ip=f"10.7.0.{n + 1}")
    visit(client, f"/c/{link.code}?creative={text.id}", ip="10.7.1.1")
    visit(client, f"/c/{link.code}", ip="10.7.2.1")
    ingest()
    converted = Click.objects.filter(creative_id=banner.id).first()
    goal = factories.GoalFactory(offer=link.offer)
    factories.ConversionFactory(
        goal=goal,
        publisher=link.publisher,
        click_id=converted.click_id,
        click_created_at=converted.created_at,
    )
    today = datetime.now(UTC).date().isoformat()
    path = f"/api/v1/creative-results/?offer={link.offer_id}&date_from={today}"

    rows = {row["name"]: row for row in client_for(factories.ManagerFactory()).get(path).json()}
    assert (rows["b"]["clicks"], rows["b"]["conversions"]) == (3, 1)
    assert (rows["b"]["payout"], rows["b"]["revenue"], rows["b"]["epc"]) == (
        "7.000000",
        "10.000000",
        "2.3333",
    )
    assert (rows["t"]["clicks"], rows["t"]["conversions"]) == (1, 0)

    advertiser = factories.AdvertiserUserFactory(advertiser=link.offer.advertiser)
    seen = client_for(advertiser).get(path).json()[0]
    assert (seen["payout"], seen["epc"], seen["revenue"]) == (None, None, "10.000000")

    publisher = factories.PublisherUserFactory(publisher=link.publisher)
    seen = client_for(publisher).get(path).json()[0]
    assert (seen["clicks"], seen["revenue"], seen["payout"]) == (3, None, "7.000000")
    stranger = factories.PublisherUserFactory()
    assert [row["clicks"] for row in client_for(stranger).get(path).json()] == [0, 0]
    assert client_for(factories.AdvertiserUserFactory()).get(path).status_code == 404
