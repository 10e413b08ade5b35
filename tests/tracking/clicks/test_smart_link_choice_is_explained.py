"""A smart-link click explains itself: the chosen offer, the rule and how it chose, and why each
other candidate was not eligible, as the redirect saw it; publishers and staff read it on the
click, advertisers never (it names other advertisers' offers)."""

from datetime import UTC, datetime

import pytest

from offers.models import Cap, Offer
from tests import factories
from tests.conftest import client_for
from tests.tracking.clicks.test_smart_links import _offer, _smart
from tests.tracking.clicks.visits import GB_IP, ingest, visit
from tracking.caps import cap_period_start, cap_reached_set
from tracking.models import Click

pytestmark = pytest.mark.django_db


def _candidates(explained):
    return {row["offer_id"]: (row["eligible"], row["chosen"], row["reason"]) for row in explained}


def test_the_click_names_the_chosen_offer_and_why_each_other_was_not_eligible(client, publisher):
    targeted, capped, open_ = _offer("t"), _offer("k"), _offer("o")
    Offer.objects.filter(id=targeted.id).update(countries=["FR"])
    cap = factories.CapFactory(offer=capped, action=Cap.Action.FALLBACK, period=Cap.Period.DAY)
    cap_reached_set(
        cap_id=cap.id,
        period_start=cap_period_start(period="day", now=datetime.now(UTC)),
        reached=True,
    )
    smart = _smart(publisher, [targeted, capped, open_], rule="weighted")
    assert visit(client, f"/s/{smart.code}", ip=GB_IP)["Location"].startswith("https://o.example")
    ingest()
    click = Click.objects.get()
    assert click.offer_id == open_.id

    user = factories.PublisherUserFactory(publisher=publisher)
    answer = client_for(user).get(f"/api/v1/clicks/{click.click_id}/")
    assert answer.status_code == 200, answer.json()
    explained = answer.json()["smart_link"]
    assert answer.json()["smart_link_id"] == smart.id
    assert (explained["rule"], explained["how"], explained["chosen_offer_id"]) == (
        "weighted",
        "weighted",
        open_.id,
    )
    assert _candidates(explained["candidates"]) == {
        targeted.id: (False, False, "country"),
        capped.id: (False, False, "capped"),
        open_.id: (True, True, ""),
    }
    words = {row["offer_id"]: row["reason_in_words"] for row in explained["candidates"]}
    assert words[targeted.id] == "The visitor's country is not targeted"
    assert words[capped.id] == "A cap of the offer was reached"

    assert {row["epc"] for row in explained["candidates"]} == {None}, "network-wide: staff's"
    staff = client_for(factories.ManagerFactory()).get(f"/api/v1/clicks/{click.click_id}/")
    staff_view = staff.json()["smart_link"]
    assert {row["epc"] for row in staff_view["candidates"]} == {"0"}
    assert _candidates(staff_view["candidates"]) == _candidates(explained["candidates"])

    advertiser = factories.AdvertiserUserFactory(advertiser=open_.advertiser)
    seen = client_for(advertiser).get(f"/api/v1/clicks/{click.click_id}/")
    assert seen.status_code == 200
    assert "smart_link" not in seen.json() and "smart_link_id" not in seen.json()


def test_with_no_eligible_offer_the_click_says_none_was_and_why(client, publisher):
    a, b = _offer("a"), _offer("b")
    Offer.objects.filter(id=a.id).update(countries=["FR"])
    Offer.objects.filter(id=b.id).update(status=Offer.Status.PAUSED)
    smart = _smart(publisher, [a, b], rule="epc")
    assert visit(client, f"/s/{smart.code}", ip=GB_IP)["Location"] == "https://sl-fb.example/"
    ingest()
    click = Click.objects.get()
    answer = client_for(factories.PublisherUserFactory(publisher=publisher)).get(
        f"/api/v1/clicks/{click.click_id}/"
    )
    explained = answer.json()["smart_link"]
    assert (explained["rule"], explained["how"], explained["chosen_offer_id"]) == (
        "epc",
        "none",
        None,
    )
    assert _candidates(explained["candidates"]) == {
        a.id: (False, False, "country"),
        b.id: (False, False, "offer_inactive"),
    }


def test_an_epc_choice_says_whether_the_visitor_explored(client, publisher):
    a, b = _offer("a"), _offer("b")
    smart = _smart(publisher, [a, b], rule="epc")
    for n in range(40):
        visit(client, f"/s/{smart.code}", ip=f"10.9.0.{n + 1}")
    ingest()
    hows = {click.smart_choice.split("|")[0] for click in Click.objects.all()}
    assert hows == {"epc:best_epc", "epc:explore"}


def test_a_plain_link_click_has_no_smart_link_explanation(client, publisher, link):
    visit(client, f"/c/{link.code}", ip=GB_IP)
    ingest()
    click = Click.objects.get()
    answer = client_for(factories.ManagerFactory()).get(f"/api/v1/clicks/{click.click_id}/")
    assert answer.json()["smart_link"] is None and answer.json()["smart_link_id"] is None
