"""Payouts are the network's: an advertiser (API key) never sets one and never learns one, by
fields, /terms/, overrides, payout caps, ordering or filtering, error messages, conversion
explanations or history. Managers set the payout side; a goal without one is not runnable."""

import json
from decimal import Decimal

import pytest

from offers.models import Cap, Offer, PublisherOverride, Terms
from tests import factories
from tests.api.world import build_world

PAYOUT_KEYS = {"payout", "payout_kind", "payout_amount", "payout_percent", "override_id"}


@pytest.fixture
def world(db):
    return build_world()


def keys_anywhere(payload):
    if isinstance(payload, dict):
        for key, value in payload.items():
            yield key
            yield from keys_anywhere(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from keys_anywhere(item)


def assert_no_payout(payload) -> None:
    assert not set(keys_anywhere(payload)) & PAYOUT_KEYS, payload
    assert "allow_payout_above_revenue" not in set(keys_anywhere(payload))


def test_terms_show_an_advertiser_the_revenue_side_only(world):
    client = world.clients["adv_a"]
    listing = client.get("/api/v1/terms/").json()
    assert listing["count"] == 3
    assert_no_payout(listing)
    detail = client.get(f"/api/v1/terms/{world.rows['terms']['A_pub']}/").json()
    assert detail["revenue_amount"] == "10.000000"
    assert_no_payout(detail)
    manager = world.clients["manager"].get(f"/api/v1/terms/{world.rows['terms']['A_pub']}/")
    assert manager.json()["payout_amount"] == "7.000000"


@pytest.mark.parametrize("method", ["post", "patch"])
def test_payout_fields_sent_by_an_advertiser_are_a_400_naming_them_and_nothing_is_written(
    world, method
):
    client = world.clients["adv_a"]
    terms_id = world.rows["terms"]["A_pub"]
    body = {"revenue_amount": "12", "payout_amount": "11", "payout_kind": "cpa_flat"}
    if method == "post":
        goal = factories.GoalFactory(
            offer_id=world.rows["offers"]["A_pub"], ref="lead", is_default=False
        )
        response = client.post(
            "/api/v1/terms/", {**body, "goal": goal.id, "revenue_kind": "cpa_flat"}
        )
    else:
        response = client.patch(f"/api/v1/terms/{terms_id}/", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "not_writable"
    assert set(error["fields"]) == {"payout_amount", "payout_kind"}
    terms = Terms.objects.get(id=terms_id)
    assert (terms.revenue_amount, terms.payout_amount) == (Decimal("10"), Decimal("7"))
    assert Terms.objects.count() == 5


def test_an_advertiser_sets_revenue_and_the_goal_waits_for_a_manager_to_set_the_payout(world):
    goal = factories.GoalFactory(
        offer_id=world.rows["offers"]["A_pub"], ref="lead", is_default=False
    )
    response = world.clients["adv_a"].post(
        "/api/v1/terms/",
        {"goal": goal.id, "revenue_kind": "cpa_flat", "revenue_amount": "20"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_no_payout(response.json())
    terms = Terms.objects.get(goal=goal)
    assert terms.payout_kind == ""

    manager = world.clients["manager"]
    body = {"payout_kind": "cpa_flat", "payout_amount": "3"}
    response = manager.patch(f"/api/v1/terms/{terms.id}/", body, format="json")
    assert response.status_code == 200, response.content
    terms.refresh_from_db()
    assert (terms.payout_kind, terms.payout_amount) == ("cpa_flat", Decimal("3"))


def test_a_publisher_sees_no_payout_on_a_goal_without_one(world):
    offer_id = world.rows["offers"]["A_pub"]
    goal = factories.GoalFactory(offer_id=offer_id, ref="lead", is_default=False)
    factories.TermsFactory(goal=goal, payout_kind="", payout_amount=0)
    offers = world.clients["pub_q"].get("/api/v1/offers/").json()["results"]
    [offer] = [row for row in offers if row["id"] == offer_id]
    [lead] = [row for row in offer["goals"] if row["ref"] == "lead"]
    assert (lead["payout_kind"], lead["payout_amount"]) == (None, None)


def _paused(terms_id: int) -> None:
    """A cut on a live offer is a manager's (policy terms.revenue_set) and refused before these
    checks: on a paused offer the advertiser may cut, and the payout check is what refuses."""
    Offer.objects.filter(goals__terms__id=terms_id).update(status=Offer.Status.PAUSED)


def test_revenue_below_the_payout_is_refused_without_telling_the_advertiser_the_payout(world):
    _paused(world.rows["terms"]["A_pub"])
    terms = Terms.objects.get(id=world.rows["terms"]["A_pub"])
    terms.payout_amount = Decimal("6.4321")
    terms.save()
    response = world.clients["adv_a"].patch(
        f"/api/v1/terms/{terms.id}/", {"revenue_amount": "5"}, format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "revenue_below_payout"
    assert list(error["fields"]) == ["revenue_amount"]
    assert "6.4321" not in response.content.decode() and "payout_amount" not in error["fields"]
    terms.refresh_from_db()
    assert terms.revenue_amount == Decimal("10")


def test_revenue_below_a_publishers_override_is_refused_without_naming_it(world):
    # P's override on A_pub pays 8 (tests/api/world.py); revenue 7.5 would be below it.
    _paused(world.rows["terms"]["A_pub"])
    response = world.clients["adv_a"].patch(
        f"/api/v1/terms/{world.rows['terms']['A_pub']}/", {"revenue_amount": "7.5"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "revenue_below_payout"
    assert "8" not in response.json()["error"]["message"]


def test_a_manager_is_told_the_payout_it_is_above(world):
    response = world.clients["manager"].patch(
        f"/api/v1/terms/{world.rows['terms']['A_pub']}/", {"payout_amount": "11"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payout_above_revenue"
    assert "11" in response.json()["error"]["message"]


def test_an_advertiser_cannot_filter_or_order_terms_by_payout(world):
    client = world.clients["adv_a"]
    everything = client.get("/api/v1/terms/").json()["results"]
    for query in ({"payout_kind": "revshare"}, {"ordering": "payout_amount"}):
        response = client.get("/api/v1/terms/", query)
        assert response.status_code == 200
        assert response.json()["results"] == everything  # ignored, not applied
    manager = world.clients["manager"].get("/api/v1/terms/", {"payout_kind": "revshare"})
    assert manager.json()["count"] == 0


def test_an_advertiser_cannot_delete_terms_since_that_deletes_the_payout(world):
    terms_id = world.rows["terms"]["A_pub"]
    response = world.clients["adv_a"].delete(f"/api/v1/terms/{terms_id}/")
    assert response.status_code == 403
    assert Terms.objects.filter(id=terms_id).exists()
    assert world.clients["manager"].delete(f"/api/v1/terms/{terms_id}/").status_code == 204


def test_overrides_are_invisible_and_unwritable_for_an_advertiser(world):
    client = world.clients["adv_a"]
    assert client.get("/api/v1/overrides/").json()["count"] == 0
    override_id = world.rows["overrides"]["P_on_A_pub"]
    assert client.get(f"/api/v1/overrides/{override_id}/").status_code == 404
    body = {
        "publisher": world.rows["publishers"]["P"],
        "offer": world.rows["offers"]["A_pub"],
        "payout_kind": "cpa_flat",
        "payout_amount": "9",
    }
    assert client.post("/api/v1/overrides/", body, format="json").status_code in (400, 403)
    assert PublisherOverride.objects.count() == 2


def test_payout_caps_are_invisible_and_unwritable_for_an_advertiser(world):
    offer_id = world.rows["offers"]["A_pub"]
    payout_cap = factories.CapFactory(offer_id=offer_id, metric="payout", limit=Decimal("321"))
    client = world.clients["adv_a"]
    listing = client.get("/api/v1/caps/").json()
    assert payout_cap.id not in [row["id"] for row in listing["results"]]
    assert "321" not in json.dumps(listing)
    assert client.get(f"/api/v1/caps/{payout_cap.id}/").status_code == 404
    assert client.get("/api/v1/caps/", {"metric": "payout"}).json()["count"] == 0

    body = {"offer": offer_id, "metric": "payout", "limit": "100"}
    response = client.post("/api/v1/caps/", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["metric"]
    own_cap = world.rows["caps"]["A_pub"]
    response = client.patch(f"/api/v1/caps/{own_cap}/", {"metric": "payout"}, format="json")
    assert response.status_code == 400
    assert Cap.objects.filter(metric="payout").count() == 1
    body = {"offer": offer_id, "metric": "payout", "limit": "100"}
    assert world.clients["manager"].post("/api/v1/caps/", body, format="json").status_code == 201


def test_offers_and_goals_show_an_advertiser_no_payout_setting(world):
    client = world.clients["adv_a"]
    assert_no_payout(client.get("/api/v1/offers/").json())
    assert_no_payout(client.get("/api/v1/goals/").json())


def test_a_conversion_tells_an_advertiser_nothing_about_the_payout(world):
    goal_id = world.rows["goals"]["A_pub"]
    payout_cap = factories.CapFactory(offer_id=world.rows["offers"]["A_pub"], metric="payout")
    conversion = factories.ConversionFactory(
        goal_id=goal_id,
        offer_id=world.rows["offers"]["A_pub"],
        advertiser_id=world.rows["advertisers"]["A"],
        publisher_id=world.rows["publishers"]["P"],
        status="pending",
        reject_reason="advertiser_approval",
        payout=Decimal("8.00"),
        explanation=[
            {
                "check": "terms",
                "ok": True,
                "source": "offer_override",
                "override_id": world.rows["overrides"]["P_on_A_pub"],
            },
            {"check": "cap", "ok": True, "detail": f"{payout_cap.id}"},
            {
                "check": "cap",
                "ok": False,
                "detail": f"cap {payout_cap.id} (payout 10/day) full, action hold",
            },
            {"check": "bot", "ok": True},
        ],
    )
    manager = world.clients["manager"]
    url = f"/api/v1/conversions/{conversion.id}/"
    manager.post(f"{url}adjust/", {"payout": "9.00", "revenue": "10.00"}, format="json")
    client = world.clients["adv_a"]
    body = client.get(url).json()
    assert_no_payout(body)
    assert [step["check"] for step in body["explanation"]] == ["terms", "cap", "bot"]
    assert all("detail" not in step for step in body["explanation"] if step["check"] == "cap")
    assert body["history"][0]["action"] == "adjust"
    assert not {key for key in keys_anywhere(body["history"]) if "payout" in key}
    listing = client.get("/api/v1/conversions/").json()
    assert_no_payout(listing)
    assert "9.00" not in json.dumps(listing) and "8.00" not in json.dumps(listing)


def test_an_advertiser_cannot_order_conversions_by_payout(world):
    common = {
        "goal_id": world.rows["goals"]["A_pub"],
        "offer_id": world.rows["offers"]["A_pub"],
        "advertiser_id": world.rows["advertisers"]["A"],
        "publisher_id": world.rows["publishers"]["P"],
    }
    cheap = factories.ConversionFactory(**common, payout=Decimal("1"))
    dear = factories.ConversionFactory(**common, payout=Decimal("9"))
    client = world.clients["adv_a"]
    for ordering in ("payout", "-payout"):
        rows = client.get("/api/v1/conversions/", {"ordering": ordering}).json()["results"]
        assert [row["id"] for row in rows] == [dear.id, cheap.id]  # the default order, unchanged
    rows = world.clients["manager"].get("/api/v1/conversions/", {"ordering": "payout"}).json()
    assert [row["id"] for row in rows["results"]] == [cheap.id, dear.id]
