"""The publisher quality report (/api/v1/reports/quality/) and the automatic pause."""

import pytest

from affiliates.models import Publisher
from reports.quality import quality_auto_pause
from tests import factories
from tests.conftest import client_for
from tracking.models import Conversion

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/quality/"


def _fired(*signals, action="hold"):
    return {
        "action": action,
        "fired": [{"signal": s, "value": True, "action": action} for s in signals],
    }


@pytest.fixture
def traffic():
    """A bad publisher (hosting clicks, fast conversions the advertiser rejects) on sub id
    `farm`, and a clean one, on one offer."""
    goal = factories.GoalFactory()
    offer = goal.offer
    bad, clean = factories.PublisherFactory(), factories.PublisherFactory()
    for n in range(4):
        factories.ClickFactory(
            offer_id=offer.id,
            publisher_id=bad.id,
            sub1="farm",
            signals={"hosting_network": "hosting" if n < 3 else "not_hosting", "ip_velocity": 40},
        )
        factories.ClickFactory(
            offer_id=offer.id,
            publisher_id=clean.id,
            signals={"hosting_network": "not_hosting", "ip_velocity": 1},
        )
    for n in range(4):
        factories.ConversionFactory(
            goal=goal,
            publisher=bad,
            sub1="farm",
            fraud=_fired("hosting_network", "fast_conversion_share") if n < 2 else {},
            status=Conversion.Status.REJECTED if n < 3 else Conversion.Status.APPROVED,
            reject_reason="advertiser_rejected" if n < 3 else "",
        )
        factories.ConversionFactory(goal=goal, publisher=clean, fraud={"action": None, "fired": []})
    return offer, bad, clean


def test_a_manager_sees_flagged_shares_and_rejection_rate_per_publisher_and_sub_id(traffic):
    offer, bad, clean = traffic
    rows = client_for(factories.ManagerFactory()).get(URL).json()["rows"]

    by_publisher = {row["publisher"]: row for row in rows}
    farm = by_publisher[bad.id]
    assert (farm["sub1"], farm["offer"], farm["clicks"], farm["conversions"]) == (
        "farm",
        offer.id,
        4,
        4,
    )
    assert farm["flagged_clicks"]["hosting_network"] == 3
    assert farm["flagged_click_share"]["hosting_network"] == 0.75
    assert farm["flagged_clicks"]["ip_velocity"] == 4
    assert farm["flagged_conversions"] == {"fast_conversion_share": 2, "hosting_network": 2}
    assert farm["flagged_conversion_share"]["hosting_network"] == 0.5
    assert farm["advertiser_rejection_rate"] == 0.75
    tidy = by_publisher[clean.id]
    assert tidy["flagged_clicks"] == {} and tidy["flagged_conversions"] == {}
    assert tidy["advertiser_rejection_rate"] == 0.0


def test_a_publisher_sees_only_its_own_rows(traffic):
    _offer, bad, clean = traffic
    client = client_for(factories.PublisherUserFactory(publisher=clean))

    rows = client.get(URL).json()["rows"]
    assert {row["publisher"] for row in rows} == {clean.id}
    assert client.get(URL, {"publisher": bad.id}).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-01-10", "date_to": "2026-01-01"}, "date_from"),
        ({"date_from": "2025-01-01", "date_to": "2026-01-01"}, "date_from"),
        ({"publisher": "abc"}, "publisher"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(manager_client, params, field):
    response = manager_client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_advertisers_and_visitors_are_refused(api_client):
    advertiser = client_for(factories.AdvertiserUserFactory())
    assert advertiser.get(URL).status_code == 403
    assert api_client.get(URL).status_code in (401, 403)


def test_auto_pause_is_off_by_default_and_pauses_only_publishers_over_the_threshold(
    traffic, settings
):
    _offer, bad, clean = traffic
    settings.FRAUD_AUTO_PAUSE_MIN_CONVERSIONS = 4
    settings.FRAUD_AUTO_PAUSE_FLAGGED_PERCENT = 50
    assert quality_auto_pause() == []
    assert Publisher.objects.get(id=bad.id).status == "active"

    settings.FRAUD_AUTO_PAUSE = True
    assert quality_auto_pause() == [bad.id]
    assert Publisher.objects.get(id=bad.id).status == "suspended"
    assert Publisher.objects.get(id=clean.id).status == "active"
    assert quality_auto_pause() == []  # idempotent


def test_auto_pause_waits_for_the_minimum_volume(traffic, settings):
    settings.FRAUD_AUTO_PAUSE = True
    settings.FRAUD_AUTO_PAUSE_MIN_CONVERSIONS = 5
    assert quality_auto_pause() == []


def test_the_beat_schedule_runs_the_pause_task(settings):
    from reports.tasks import quality_auto_pause_task

    entry = settings.CELERY_BEAT_SCHEDULE["fraud-quality-auto-pause"]
    assert entry["task"] == quality_auto_pause_task.name
