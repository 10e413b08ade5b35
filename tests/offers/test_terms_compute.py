"""terms_compute and terms_in_force against every row of tests/data/payout-cases.csv."""

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from offers.terms import terms_compute, terms_in_force
from tests import factories

CASES = list(csv.DictReader((Path(__file__).parent.parent / "data/payout-cases.csv").open()))


def split_value(kind: str, value: str) -> tuple[Decimal, Decimal]:
    """(amount, percent) from a csv value: "2.00+5" is flat + percent for cpa_plus_revshare."""
    if kind == "cpa_plus_revshare":
        amount, percent = value.split("+")
        return Decimal(amount), Decimal(percent)
    if kind == "revshare":
        return Decimal(0), Decimal(value)
    return Decimal(value), Decimal(0)


def case_payout_side(case: dict) -> tuple[str, Decimal, Decimal]:
    if case["override_kind"]:
        kind = case["override_kind"]
        return kind, *split_value(kind, case["override_value"])
    kind = case["payout_kind"]
    return kind, *split_value(kind, case["payout_value"])


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_terms_compute_gives_the_expected_figures_for_every_csv_row(case):
    revenue_amount, revenue_percent = split_value(case["revenue_kind"], case["revenue_value"])
    payout_kind, payout_amount, payout_percent = case_payout_side(case)
    revenue, payout = terms_compute(
        revenue_kind=case["revenue_kind"],
        revenue_amount=revenue_amount,
        revenue_percent=revenue_percent,
        payout_kind=payout_kind,
        payout_amount=payout_amount,
        payout_percent=payout_percent,
        sale_amount=Decimal(case["sale_amount"]) if case["sale_amount"] else None,
        currency=case["currency"],
    )
    # Compare as strings too: the exponent (minor unit) must match, not only the value.
    assert (str(revenue), str(payout)) == (case["expected_revenue"], case["expected_payout"])


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_terms_in_force_then_compute_gives_the_expected_figures_for_every_csv_row(case):
    revenue_amount, revenue_percent = split_value(case["revenue_kind"], case["revenue_value"])
    payout_amount, payout_percent = split_value(case["payout_kind"], case["payout_value"])
    terms = factories.TermsFactory(
        goal__offer__currency=case["currency"],
        revenue_kind=case["revenue_kind"],
        revenue_amount=revenue_amount,
        revenue_percent=revenue_percent,
        payout_kind=case["payout_kind"],
        payout_amount=payout_amount,
        payout_percent=payout_percent,
    )
    publisher = factories.PublisherFactory()
    if case["override_kind"]:
        kind, amount, percent = case_payout_side(case)
        factories.PublisherOverrideFactory(
            publisher=publisher,
            offer=terms.goal.offer,
            goal=terms.goal,
            payout_kind=kind,
            payout_amount=amount,
            payout_percent=percent,
        )
    frozen = terms_in_force(goal=terms.goal, publisher_id=publisher.id, at=datetime.now(UTC))
    sale = Decimal(case["sale_amount"]) if case["sale_amount"] else None
    revenue, payout = frozen.compute(sale_amount=sale)
    assert (str(revenue), str(payout)) == (case["expected_revenue"], case["expected_payout"])
    assert frozen.source == ("goal_override" if case["override_kind"] else "goal")


@pytest.mark.django_db
def test_a_goal_override_beats_an_offer_override_which_beats_the_goal_terms():
    terms = factories.TermsFactory(payout_amount=Decimal("5.00"))
    goal, offer = terms.goal, terms.goal.offer
    publisher, other = factories.PublisherFactory(), factories.PublisherFactory()
    now = datetime.now(UTC)
    assert terms_in_force(goal=goal, publisher_id=publisher.id, at=now).payout_amount == 5
    factories.PublisherOverrideFactory(publisher=publisher, offer=offer, payout_amount=6)
    assert terms_in_force(goal=goal, publisher_id=publisher.id, at=now).payout_amount == 6
    factories.PublisherOverrideFactory(publisher=publisher, offer=offer, goal=goal, payout_amount=7)
    frozen = terms_in_force(goal=goal, publisher_id=publisher.id, at=now)
    assert (frozen.payout_amount, frozen.source) == (7, "goal_override")
    assert terms_in_force(goal=goal, publisher_id=other.id, at=now).payout_amount == 5


@pytest.mark.django_db
def test_a_goal_override_beats_an_offer_override_whichever_was_made_first():
    terms = factories.TermsFactory(payout_amount=Decimal("5.00"))
    goal, offer = terms.goal, terms.goal.offer
    publisher = factories.PublisherFactory()
    factories.PublisherOverrideFactory(publisher=publisher, offer=offer, goal=goal, payout_amount=7)
    factories.PublisherOverrideFactory(publisher=publisher, offer=offer, payout_amount=6)

    frozen = terms_in_force(goal=goal, publisher_id=publisher.id, at=datetime.now(UTC))

    assert (frozen.payout_amount, frozen.source) == (7, "goal_override")


@pytest.mark.django_db
def test_an_override_counts_only_inside_its_validity_window():
    terms = factories.TermsFactory(payout_amount=Decimal("5.00"))
    publisher = factories.PublisherFactory()
    start = datetime(2030, 1, 1, tzinfo=UTC)
    factories.PublisherOverrideFactory(
        publisher=publisher,
        offer=terms.goal.offer,
        payout_amount=9,
        valid_from=start,
        valid_to=start + timedelta(days=1),
    )

    def payout_at(at):
        return terms_in_force(goal=terms.goal, publisher_id=publisher.id, at=at).payout_amount

    assert payout_at(start - timedelta(seconds=1)) == 5
    assert payout_at(start) == 9
    assert payout_at(start + timedelta(days=1)) == 5


@pytest.mark.django_db
def test_frozen_terms_snapshot_is_json_ready_and_does_not_follow_later_edits():
    terms = factories.TermsFactory(payout_amount=Decimal("5.00"))
    frozen = terms_in_force(goal=terms.goal, publisher_id=1, at=datetime.now(UTC))
    terms.payout_amount = Decimal("1.00")
    terms.save()
    snapshot = frozen.as_dict()
    assert Decimal(snapshot["payout_amount"]) == Decimal("5")
    assert snapshot["currency"] == "USD" and snapshot["source"] == "goal"
