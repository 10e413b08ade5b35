"""A/B tests of landing variants: results per variant with a chi-square test, and ending one."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ulid import ULID

from offers.landing import LandingTest, LandingVariant
from offers.landing_services import landing_test_start
from offers.models import Offer
from tests import factories
from tests.conftest import client_for
from tracking.models import Click, Conversion

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(db):
    goal = factories.GoalFactory(is_default=True)
    offer = goal.offer
    a = LandingVariant.objects.create(offer=offer, name="a", url="https://a.example/")
    b = LandingVariant.objects.create(offer=offer, name="b", url="https://b.example/")
    test = landing_test_start(offer=offer, goal=goal)
    return test, a, b, goal


def _traffic(*, variant, goal, clicks: int, converted: int) -> None:
    publisher = factories.PublisherFactory()
    now = datetime.now(UTC)
    rows = []
    for n in range(clicks):
        click_id = str(ULID.from_datetime(now))
        rows.append(
            Click(
                click_id=click_id,
                created_at=ULID.from_str(click_id).datetime,
                offer_id=goal.offer_id,
                publisher_id=publisher.id,
                landing_variant_id=variant.id,
                ip=f"10.3.{n // 250}.{n % 250 + 1}",
            )
        )
    Click.objects.bulk_create(rows)
    for click in rows[:converted]:
        factories.ConversionFactory(
            goal=goal,
            publisher=publisher,
            click_id=click.click_id,
            click_created_at=click.created_at,
        )


def test_results_give_cr_and_epc_per_variant_and_a_significant_chi_square(running):
    test, a, b, goal = running
    _traffic(variant=a, goal=goal, clicks=200, converted=20)
    _traffic(variant=b, goal=goal, clicks=200, converted=40)
    manager = factories.ManagerFactory()

    body = client_for(manager).get(f"/api/v1/landing-tests/{test.id}/results/").json()

    rows = {row["name"]: row for row in body["variants"]}
    assert (rows["a"]["clicks"], rows["a"]["conversions"], rows["a"]["cr"]) == (200, 20, "10.00")
    assert (rows["b"]["clicks"], rows["b"]["conversions"], rows["b"]["cr"]) == (200, 40, "20.00")
    assert Decimal(rows["a"]["epc"]) == Decimal("0.70")  # 20 x 7.00 / 200
    assert Decimal(rows["b"]["epc"]) == Decimal("1.40")
    # By hand, with Yates' correction: expected 30 and 170 a row, (|10| - 0.5)^2 over each.
    assert body["chi2"] == pytest.approx(9.5**2 * (2 / 30 + 2 / 170), rel=1e-6)
    assert body["p_value"] < 0.05 and body["significant"] and body["reliable"]
    assert body["leader_id"] == b.id
    assert "chi-square" in body["test"]


def test_equal_rates_are_not_significant(running):
    test, a, b, goal = running
    _traffic(variant=a, goal=goal, clicks=100, converted=10)
    _traffic(variant=b, goal=goal, clicks=100, converted=11)
    body = (
        client_for(factories.ManagerFactory())
        .get(f"/api/v1/landing-tests/{test.id}/results/")
        .json()
    )
    assert body["significant"] is False and body["p_value"] > 0.5


def test_a_test_without_conversions_has_no_p_value(running):
    test, a, b, goal = running
    _traffic(variant=a, goal=goal, clicks=10, converted=0)
    _traffic(variant=b, goal=goal, clicks=10, converted=0)
    body = (
        client_for(factories.ManagerFactory())
        .get(f"/api/v1/landing-tests/{test.id}/results/")
        .json()
    )
    assert (body["p_value"], body["significant"]) == (None, False)


def test_a_manager_ends_a_test_and_the_winner_becomes_the_landing_url(running):
    test, _a, b, goal = running
    response = client_for(factories.ManagerFactory()).post(
        f"/api/v1/landing-tests/{test.id}/end/", {"winner": b.id}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Offer.objects.get(id=goal.offer_id).landing_url == "https://b.example/"
    assert not LandingVariant.objects.filter(offer_id=goal.offer_id, is_active=True).exists()
    test.refresh_from_db()
    assert (test.status, test.winner_id) == (LandingTest.Status.ENDED, b.id)


def test_an_ended_test_cannot_be_ended_again(running):
    test, a, b, goal = running
    manager = client_for(factories.ManagerFactory())
    manager.post(f"/api/v1/landing-tests/{test.id}/end/", {"winner": b.id}, format="json")
    again = manager.post(f"/api/v1/landing-tests/{test.id}/end/", {"winner": a.id}, format="json")
    assert again.status_code == 409
    assert Offer.objects.get(id=goal.offer_id).landing_url == "https://b.example/"


def test_a_winner_from_another_offer_is_refused(running):
    test, _a, _b, _goal = running
    other = LandingVariant.objects.create(
        offer=factories.OfferFactory(), name="x", url="https://x.example/"
    )
    response = client_for(factories.ManagerFactory()).post(
        f"/api/v1/landing-tests/{test.id}/end/", {"winner": other.id}, format="json"
    )
    assert response.status_code == 400
    assert LandingTest.objects.get(id=test.id).status == LandingTest.Status.RUNNING


def test_the_advertiser_starts_a_test_but_may_not_end_it(running):
    test, _a, b, goal = running
    advertiser = client_for(factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser))
    response = advertiser.post(
        f"/api/v1/landing-tests/{test.id}/end/", {"winner": b.id}, format="json"
    )
    assert response.status_code == 403
    assert advertiser.get(f"/api/v1/landing-tests/{test.id}/results/").status_code == 200


def test_a_second_running_test_or_a_single_variant_is_refused(running):
    _test, _a, _b, goal = running
    manager = client_for(factories.ManagerFactory())
    second = manager.post("/api/v1/landing-tests/", {"offer": goal.offer_id}, format="json")
    assert second.status_code == 400 and second.json()["error"]["code"] == "test_running"
    lonely = factories.OfferFactory()
    LandingVariant.objects.create(offer=lonely, name="only", url="https://o.example/")
    refused = manager.post("/api/v1/landing-tests/", {"offer": lonely.id}, format="json")
    assert refused.json()["error"]["code"] == "too_few_variants"


def test_conversions_count_only_for_the_test_goal(running):
    test, a, _b, goal = running
    _traffic(variant=a, goal=goal, clicks=10, converted=2)
    other_goal = factories.GoalFactory(offer=goal.offer, ref="upsell", is_default=False)
    Conversion.objects.filter(goal=goal).update(goal=other_goal)
    body = (
        client_for(factories.ManagerFactory())
        .get(f"/api/v1/landing-tests/{test.id}/results/")
        .json()
    )
    assert {row["name"]: row["conversions"] for row in body["variants"]} == {"a": 0, "b": 0}
