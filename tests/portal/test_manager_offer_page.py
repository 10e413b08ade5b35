"""The manager's offer page: offer, goals with both sides of their terms, caps and publisher
overrides on one page, with human inputs, written by the offers services (so the money policy
and every rule of the API apply), bad input beside its field, and other roles refused."""

from decimal import Decimal

import pytest

from offers.models import Cap, Goal, Offer, PublisherOverride, Terms
from portal.manager_forms import duration_split, figure_plain
from tests import factories
from tests.portal.conftest import client_as

NEW_OFFER = {
    "advertiser": None,
    "name": "Winter Boots",
    "landing_url": "https://shop.example/boots?cid={click_id}",
    "status": "active",
    "visibility": "public",
    "currency": "eur",
    "countries": ["DE", "FR"],
    "devices": ["mobile"],
    "attribution_window_seconds_0": "7",
    "attribution_window_seconds_1": "days",
    "min_click_to_conversion_seconds_0": "30",
    "min_click_to_conversion_seconds_1": "seconds",
    "max_click_to_conversion_seconds_0": "",
    "max_click_to_conversion_seconds_1": "days",
    "goal-name": "Purchase",
    "goal-ref": "purchase",
    "goal-approval": "auto",
    "goal-revenue_kind": "cpa_flat",
    "goal-revenue_amount": "12.50",
    "goal-payout_kind": "cpa_flat",
    "goal-payout_amount": "9",
}


def _goal_post(goal: Goal, **changes) -> dict:
    terms = goal.terms
    data = {
        "part": f"goal-{goal.pk}",
        "name": goal.name,
        "ref": goal.ref,
        "approval": goal.approval,
        "is_default": "on" if goal.is_default else "",
        "revenue_kind": terms.revenue_kind,
        "revenue_amount": str(terms.revenue_amount),
        "revenue_percent": "",
        "payout_kind": terms.payout_kind,
        "payout_amount": str(terms.payout_amount),
        "payout_percent": "",
        **changes,
    }
    return {f"goal-{goal.pk}-{key}" if key != "part" else key: value for key, value in data.items()}


def test_a_manager_creates_an_offer_with_targeting_windows_and_terms_on_one_page(net):
    manager = client_as(net.manager)
    page = manager.get("/network/offers/new/")
    assert page.status_code == 200
    assert "Germany (DE)" in page.content.decode()

    response = manager.post("/network/offers/new/", {**NEW_OFFER, "advertiser": net.advertiser.pk})
    assert response.status_code == 302, response.context and (
        response.context["form"].errors,
        response.context["goal_form"].errors,
    )
    offer = Offer.objects.get(name="Winter Boots")
    assert response["Location"] == f"/network/offers/{offer.pk}/"
    assert (offer.countries, offer.devices, offer.currency) == (["DE", "FR"], ["mobile"], "EUR")
    assert offer.attribution_window_seconds == 7 * 86400
    assert offer.min_click_to_conversion_seconds == 30
    assert offer.max_click_to_conversion_seconds is None
    terms = Terms.objects.get(goal__offer=offer)
    assert (terms.revenue_amount, terms.payout_amount) == (Decimal("12.50"), Decimal("9"))
    assert terms.goal.is_default

    shown = manager.get(response["Location"]).content.decode()
    assert "7" in shown and 'value="days" selected' in shown
    assert "Offer “Winter Boots” created." in shown


def test_a_payout_above_revenue_on_a_new_offer_keeps_nothing_and_says_so_beside_the_payout(net):
    response = client_as(net.manager).post(
        "/network/offers/new/",
        {**NEW_OFFER, "advertiser": net.advertiser.pk, "goal-payout_amount": "20"},
    )
    assert response.status_code == 200
    errors = response.context["goal_form"].errors
    assert "above revenue" in errors["payout_amount"][0]
    assert not Offer.objects.filter(name="Winter Boots").exists()


def test_an_unknown_country_or_a_negative_window_is_refused_beside_its_field(net):
    response = client_as(net.manager).post(
        "/network/offers/new/",
        {
            **NEW_OFFER,
            "advertiser": net.advertiser.pk,
            "countries": ["XX"],
            "attribution_window_seconds_0": "-1",
        },
    )
    errors = response.context["form"].errors
    assert "countries" in errors and "attribution_window_seconds" in errors
    assert 'id="countries-errors"' in response.content.decode()
    assert not Offer.objects.filter(name="Winter Boots").exists()


def test_a_manager_edits_a_goals_terms_and_is_sent_back_to_the_page(net):
    manager = client_as(net.manager)
    response = manager.post(
        f"/network/offers/{net.offer.pk}/",
        _goal_post(net.goal, revenue_amount="11.00", payout_amount="8.25"),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/network/offers/{net.offer.pk}/#goal-{net.goal.pk}"
    terms = Terms.objects.get(goal=net.goal)
    assert (terms.revenue_amount, terms.payout_amount) == (Decimal("11.00"), Decimal("8.25"))


def test_terms_paying_above_revenue_are_refused_beside_the_payout_and_nothing_changes(net):
    response = client_as(net.manager).post(
        f"/network/offers/{net.offer.pk}/", _goal_post(net.goal, payout_amount="15")
    )
    assert response.status_code == 200
    forms = dict(response.context["goal_forms"])
    assert "above revenue" in forms[net.goal].errors["payout_amount"][0]
    assert "Nothing was saved" in response.content.decode()
    assert Terms.objects.get(goal=net.goal).payout_amount == Decimal("7")


def test_a_percent_on_a_flat_kind_is_refused_beside_the_percent(net):
    response = client_as(net.manager).post(
        f"/network/offers/{net.offer.pk}/", _goal_post(net.goal, revenue_percent="5")
    )
    forms = dict(response.context["goal_forms"])
    assert forms[net.goal].errors["revenue_percent"] == ["cpa_flat takes no percent."]


def test_editing_the_offer_keeps_its_advertiser_and_changes_its_targeting(net):
    manager = client_as(net.manager)
    data = {
        **{k: v for k, v in NEW_OFFER.items() if not k.startswith("goal-")},
        "part": "offer",
        "name": "Acme Summer Sale",
        "advertiser": net.advertiser.pk,
        "countries": ["GB"],
        "devices": ["desktop", "tablet"],
        "attribution_window_seconds_0": "48",
        "attribution_window_seconds_1": "hours",
        "currency": "USD",
    }
    assert manager.post(f"/network/offers/{net.offer.pk}/", data).status_code == 302
    net.offer.refresh_from_db()
    assert net.offer.countries == ["GB"] and net.offer.devices == ["desktop", "tablet"]
    assert net.offer.attribution_window_seconds == 48 * 3600

    moved = manager.post(
        f"/network/offers/{net.offer.pk}/", {**data, "advertiser": net.other_advertiser.pk}
    )
    assert moved.status_code == 200
    assert moved.context["offer_form"].errors["advertiser"]
    net.offer.refresh_from_db()
    assert net.offer.advertiser == net.advertiser


def test_a_manager_adds_a_goal_a_cap_and_an_override_then_ends_the_override(net):
    manager = client_as(net.manager)
    url = f"/network/offers/{net.offer.pk}/"
    added = manager.post(
        url,
        {
            "part": "goal-new",
            "goal-new-name": "Lead",
            "goal-new-ref": "lead",
            "goal-new-approval": "manual",
            "goal-new-revenue_kind": "cpa_flat",
            "goal-new-revenue_amount": "3",
            "goal-new-payout_kind": "",
        },
    )
    assert added.status_code == 302
    lead = Goal.objects.get(offer=net.offer, ref="lead")
    assert lead.terms.payout_kind == "" and not lead.is_default

    cap = manager.post(
        url,
        {
            "part": "cap-new",
            "cap-new-period": "day",
            "cap-new-metric": "conversions",
            "cap-new-limit": "100",
            "cap-new-action": "hold",
            "cap-new-publisher": net.publisher.pk,
        },
    )
    assert cap["Location"].endswith("#caps")
    assert Cap.objects.get(offer=net.offer).publisher == net.publisher

    made = manager.post(
        url,
        {
            "part": "override-new",
            "override-new-publisher": net.publisher.pk,
            # The lead goal earns 3: an offer-wide override of 8.50 would pay above it.
            "override-new-goal": net.goal.pk,
            "override-new-payout_kind": "cpa_flat",
            "override-new-payout_amount": "8.50",
        },
    )
    assert made.status_code == 302, made.context["new_override_form"].errors
    override = PublisherOverride.objects.get(offer=net.offer)
    assert override.payout_amount == Decimal("8.50")
    page = manager.get(url).content.decode()
    assert "Blue Media" in page and "8.50 USD" in page

    ended = manager.post(f"{url}overrides/{override.pk}/end/")
    assert ended["Location"].endswith("#overrides")
    override.refresh_from_db()
    assert override.valid_to is not None


def test_an_override_paying_above_revenue_and_a_zero_cap_are_refused_beside_their_fields(net):
    manager = client_as(net.manager)
    url = f"/network/offers/{net.offer.pk}/"
    refused = manager.post(
        url,
        {
            "part": "override-new",
            "override-new-publisher": net.publisher.pk,
            "override-new-payout_kind": "cpa_flat",
            "override-new-payout_amount": "30",
        },
    )
    assert "above revenue" in refused.context["new_override_form"].errors["payout_amount"][0]
    zero = manager.post(
        url,
        {
            "part": "cap-new",
            "cap-new-period": "day",
            "cap-new-metric": "conversions",
            "cap-new-limit": "0",
            "cap-new-action": "reject",
        },
    )
    assert zero.context["new_cap_form"].errors["limit"] == ["Must be greater than 0."]
    assert not PublisherOverride.objects.exists() and not Cap.objects.exists()


@pytest.mark.parametrize("who", ["publisher_user", "advertiser_user", "finance"])
def test_other_roles_cannot_open_or_post_to_the_offer_desk(net, who):
    client = client_as(getattr(net, who))
    for path in ("/network/offers/", "/network/offers/new/", f"/network/offers/{net.offer.pk}/"):
        assert client.get(path).status_code == 403
    response = client.post(
        f"/network/offers/{net.offer.pk}/", _goal_post(net.goal, payout_amount="1")
    )
    assert response.status_code == 403
    assert Terms.objects.get(goal=net.goal).payout_amount == Decimal("7")


def test_a_signed_out_visitor_is_sent_to_sign_in_and_a_forged_post_is_refused(net, client):
    assert client.get("/network/offers/")["Location"].startswith("/login/")
    forged = client_as(net.manager).post(
        f"/network/offers/{net.offer.pk}/",
        _goal_post(net.goal, payout_amount="1"),
        csrf_token=False,
    )
    assert forged.status_code == 403
    assert Terms.objects.get(goal=net.goal).payout_amount == Decimal("7")


def test_the_offer_list_searches_by_offer_or_advertiser_name(net):
    factories.OfferFactory(advertiser=net.other_advertiser, name="Garden Tools")
    page = client_as(net.manager).get("/network/offers/?q=other shop").content.decode()
    assert "Garden Tools" in page and "Acme Summer Sale" not in page


def test_windows_are_shown_in_the_largest_whole_unit():
    assert duration_split(30 * 86400) == [30, "days"]
    assert duration_split(7200) == [2, "hours"]
    assert duration_split(90) == [90, "seconds"]


def test_figures_are_shown_as_people_type_them():
    assert figure_plain(Decimal("10.000000")) == "10.00"
    assert figure_plain(Decimal("8.125000")) == "8.125"
    assert figure_plain(Decimal("12.5000"), places=0) == "12.5"
    assert figure_plain(Decimal("0.0000"), places=0) == "0"
