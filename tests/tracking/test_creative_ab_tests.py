"""A/B tests of creatives through the API: who starts them on what, the publisher's rotating
code, results per creative with CR, EPC and the chi-square test, and ending with a winner."""

import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from ulid import ULID

from offers.creative_test_services import ArmAsked, creative_test_start
from offers.creative_tests import CreativeTest, CreativeTestArm
from offers.creatives import Creative
from tests import factories
from tests.conftest import client_for
from tracking.models import Click

pytestmark = pytest.mark.django_db


def _banner(offer, name: str, **fields) -> Creative:
    return Creative.objects.create(
        offer=offer,
        name=name,
        kind=Creative.Kind.BANNER,
        image_url=f"https://cdn.example/{name}.png",
        width=300,
        height=250,
        **{"approved": True, **fields},
    )


@pytest.fixture
def goal(db):
    return factories.GoalFactory(is_default=True)


@pytest.fixture
def banners(goal):
    return _banner(goal.offer, "a"), _banner(goal.offer, "b")


@pytest.fixture
def running(goal, banners):
    a, b = banners
    return creative_test_start(
        offer=goal.offer,
        name="spring",
        goal=goal,
        arms=[ArmAsked(a, 1), ArmAsked(b, 1)],
        actor=factories.ManagerFactory(),
    )


def _audited(model: str, pk) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type__app_label="offers", content_type__model=model, object_pk=str(pk)
        ).order_by("id")
    )


def _start(user, offer, creatives, **extra):
    body = {
        "offer": offer.id,
        "name": "t1",
        "arms": [{"creative": creative.id, "weight": 2} for creative in creatives],
        **extra,
    }
    return client_for(user).post("/api/v1/creative-tests/", body, format="json")


def test_a_manager_starts_a_test_of_two_approved_creatives(goal, banners):
    response = _start(factories.ManagerFactory(), goal.offer, banners, goal=goal.id)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["goal"], body["winner"]) == ("running", goal.id, None)
    assert body["arms"] == [
        {"creative": banners[0].id, "weight": 2, "is_active": True},
        {"creative": banners[1].id, "weight": 2, "is_active": True},
    ]
    assert _audited("creativetest", body["id"])[0].action == LogEntry.Action.CREATE


def test_the_offers_advertiser_starts_a_test_of_its_own_creatives(goal, banners):
    advertiser = factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser)
    assert _start(advertiser, goal.offer, banners).status_code == 201


def test_a_publisher_may_not_start_a_test(goal, banners):
    publisher = factories.PublisherUserFactory()
    response = _start(publisher, goal.offer, banners)
    assert response.status_code == 403
    assert not CreativeTest.objects.exists()


def test_another_advertisers_offer_is_refused(goal, banners):
    stranger = factories.AdvertiserUserFactory()
    response = _start(stranger, goal.offer, banners)
    assert response.status_code == 400  # the offer (and its creatives) do not exist for it
    assert set(response.json()["error"]["fields"]) >= {"offer"}
    assert not CreativeTest.objects.exists()


def test_a_creative_of_another_offer_is_refused(goal, banners):
    foreign = _banner(factories.OfferFactory(advertiser=goal.offer.advertiser), "f")
    response = _start(factories.ManagerFactory(), goal.offer, [banners[0], foreign])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_offer"
    assert not CreativeTest.objects.exists()


def test_an_unapproved_or_imageless_creative_is_refused(goal, banners):
    draft = _banner(goal.offer, "draft", approved=False)
    blank = Creative.objects.create(offer=goal.offer, name="blank", kind="banner", approved=True)
    for creative in (draft, blank):
        response = _start(factories.ManagerFactory(), goal.offer, [banners[0], creative])
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "not_approved"
    assert not CreativeTest.objects.exists()


def test_one_creative_and_unknown_keys_are_refused(goal, banners):
    manager = factories.ManagerFactory()
    assert _start(manager, goal.offer, banners[:1]).json()["error"]["code"] == "too_few_arms"
    assert _start(manager, goal.offer, banners, status="ended").status_code == 400
    nested = client_for(manager).post(
        "/api/v1/creative-tests/",
        {
            "offer": goal.offer.id,
            "name": "x",
            "arms": [{"creative": c.id, "approved": True} for c in banners],
        },
        format="json",
    )
    assert nested.status_code == 400
    assert not CreativeTest.objects.exists()


def test_a_publisher_gets_its_own_rotating_code(goal, running):
    user = factories.PublisherUserFactory()
    body = client_for(user).get(f"/api/v1/creative-tests/{running.id}/code/").json()
    assert body["form"] == "image"
    assert body["click_url"].endswith(f"?ct={running.id}")
    assert "/ct/" in body["serve_url"] and body["serve_url"].endswith(f"/{running.id}/image")
    assert body["code"].startswith(f'<a href="{body["click_url"]}"')
    assert f'<img src="{body["serve_url"]}" width="300" height="250"' in body["code"]
    manager = client_for(factories.ManagerFactory())
    assert manager.get(f"/api/v1/creative-tests/{running.id}/code/").status_code == 403


def _clicks(test, creative, *, publisher, clicks: int, converted: int, goal) -> None:
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
                creative_id=creative.id,
                creative_test_id=test.id,
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


def test_results_give_cr_epc_and_the_chi_square_of_the_creatives(goal, banners, running):
    a, b = banners
    publisher = factories.PublisherFactory()
    _clicks(running, a, publisher=publisher, clicks=200, converted=20, goal=goal)
    _clicks(running, b, publisher=publisher, clicks=200, converted=40, goal=goal)
    # A click of the same creative through its own code is not the test's.
    Click.objects.create(
        click_id=str(ULID()),
        created_at=datetime.now(UTC),
        offer_id=goal.offer_id,
        publisher_id=publisher.id,
        creative_id=a.id,
    )

    body = (
        client_for(factories.ManagerFactory())
        .get(f"/api/v1/creative-tests/{running.id}/results/")
        .json()
    )

    rows = {row["name"]: row for row in body["arms"]}
    assert (rows["a"]["clicks"], rows["a"]["conversions"], rows["a"]["cr"]) == (200, 20, "10.00")
    assert (rows["b"]["clicks"], rows["b"]["conversions"], rows["b"]["cr"]) == (200, 40, "20.00")
    assert Decimal(rows["a"]["epc"]) == Decimal("0.70")  # 20 x 7.00 / 200
    assert Decimal(rows["b"]["epc"]) == Decimal("1.40")  # 40 x 7.00 / 200
    assert Decimal(rows["b"]["revenue_per_click"]) == Decimal("2.00")  # 40 x 10.00 / 200
    # By hand, Yates-corrected: expected 30 and 170 converted/not per row, |O - E| = 10.
    chi2 = 9.5**2 * (2 / 30 + 2 / 170)
    assert body["chi2"] == pytest.approx(chi2, rel=1e-9)
    assert body["chi2"] == pytest.approx(7.07843, abs=1e-5)
    # One degree of freedom: p = erfc(sqrt(chi2 / 2)) = 0.0078 (tables: 7.08 -> 0.0078).
    assert body["p_value"] == pytest.approx(math.erfc(math.sqrt(chi2 / 2)), rel=1e-9)
    assert body["p_value"] == pytest.approx(0.007803, abs=1e-5)
    assert body["significant"] and body["reliable"]
    assert (body["leader_id"], body["winner_id"]) == (b.id, None)
    assert "chi-square" in body["test"]


def test_a_publisher_reads_its_own_clicks_and_an_advertiser_no_payout(goal, banners, running):
    a, _b = banners
    mine, theirs = factories.PublisherFactory(), factories.PublisherFactory()
    _clicks(running, a, publisher=mine, clicks=10, converted=2, goal=goal)
    _clicks(running, a, publisher=theirs, clicks=30, converted=9, goal=goal)
    url = f"/api/v1/creative-tests/{running.id}/results/"

    publisher = client_for(factories.PublisherUserFactory(publisher=mine)).get(url).json()
    row = publisher["arms"][0]
    assert (row["clicks"], row["conversions"], row["revenue"]) == (10, 2, None)
    assert Decimal(row["epc"]) == Decimal("1.40")  # 2 x 7.00 / 10

    advertiser = factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser)
    row = client_for(advertiser).get(url).json()["arms"][0]
    assert (row["clicks"], row["payout"], row["epc"]) == (40, None, None)
    assert Decimal(row["revenue"]) == Decimal("110.00")

    stranger = client_for(factories.AdvertiserUserFactory())
    assert stranger.get(url).status_code == 404


def test_ending_promotes_the_winner_and_is_audited(goal, banners, running):
    a, b = banners
    manager = factories.ManagerFactory()
    response = client_for(manager).post(
        f"/api/v1/creative-tests/{running.id}/end/", {"winner": b.id}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["winner"], body["ended_by"]) == ("ended", b.id, manager.id)
    assert {arm["creative"]: arm["is_active"] for arm in body["arms"]} == {a.id: False, b.id: True}
    # The creatives themselves are untouched: only the test stops showing the loser.
    assert Creative.objects.get(id=a.id).is_active
    ended = _audited("creativetest", running.id)[-1]
    assert (ended.action, ended.actor_id) == (LogEntry.Action.UPDATE, manager.id)
    assert ended.changes["winner"][1] == str(b.id)
    arm = CreativeTestArm.objects.get(test=running, creative=a)
    assert _audited("creativetestarm", arm.id)[-1].changes["is_active"] == ["True", "False"]


def test_an_ended_test_cannot_be_ended_again_and_the_winner_must_be_in_it(goal, banners, running):
    a, b = banners
    manager = client_for(factories.ManagerFactory())
    outsider = _banner(goal.offer, "c")
    refused = manager.post(
        f"/api/v1/creative-tests/{running.id}/end/", {"winner": outsider.id}, format="json"
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "not_in_test")
    manager.post(f"/api/v1/creative-tests/{running.id}/end/", {"winner": b.id}, format="json")
    again = manager.post(
        f"/api/v1/creative-tests/{running.id}/end/", {"winner": a.id}, format="json"
    )
    assert again.status_code == 409
    assert CreativeTest.objects.get(id=running.id).winner_id == b.id


def test_the_advertiser_and_publishers_may_not_end_a_test(goal, banners, running):
    _a, b = banners
    for user in (
        factories.AdvertiserUserFactory(advertiser=goal.offer.advertiser),
        factories.PublisherUserFactory(),
    ):
        response = client_for(user).post(
            f"/api/v1/creative-tests/{running.id}/end/", {"winner": b.id}, format="json"
        )
        assert response.status_code == 403
    assert CreativeTest.objects.get(id=running.id).status == "running"
    assert CreativeTestArm.objects.filter(test=running, is_active=True).count() == 2
