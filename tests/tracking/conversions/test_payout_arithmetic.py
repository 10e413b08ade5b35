"""Every payout kind, with overrides and rounding, through the whole path: callback, inbox,
attribution, conversion, ledger (answers fixed by tests/data/payout-cases.csv)."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from offers.models import PublisherOverride
from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import SECRET, drain, world_build
from tracking.models import Conversion

CASES = list(csv.DictReader((Path(__file__).parents[2] / "data" / "payout-cases.csv").open()))


def _split(kind: str, value: str) -> tuple[str, str]:
    """(amount, percent) of a csv value: "2.00+5" is flat + percent."""
    if kind == "cpa_plus_revshare":
        flat, percent = value.split("+")
        return flat, percent
    if kind == "revshare":
        return "0", value
    return value, "0"


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_attribution_pays_what_the_payout_cases_say(db, web, case):
    revenue_amount, revenue_percent = _split(case["revenue_kind"], case["revenue_value"])
    payout_amount, payout_percent = _split(case["payout_kind"], case["payout_value"])
    world = world_build(
        currency=case["currency"],
        revenue_kind=case["revenue_kind"],
        revenue_amount=revenue_amount,
        revenue_percent=revenue_percent,
        payout_kind=case["payout_kind"],
        payout_amount=payout_amount,
        payout_percent=payout_percent,
    )
    if case["override_kind"]:
        amount, percent = _split(case["override_kind"], case["override_value"])
        PublisherOverride.objects.create(
            publisher=world.publisher,
            offer=world.offer,
            goal=world.goal,
            payout_kind=case["override_kind"],
            payout_amount=Decimal(amount),
            payout_percent=Decimal(percent),
        )
    params = {"click_id": world.click.click_id, "token": SECRET}
    if case["sale_amount"]:
        params["amount"] = case["sale_amount"]
    assert web.get("/postback", params).status_code == 200

    drain()

    conversion = Conversion.objects.get()
    assert conversion.status == "approved"
    assert conversion.revenue == Decimal(case["expected_revenue"])
    assert conversion.payout == Decimal(case["expected_payout"])
    assert conversion.terms["source"] == ("goal_override" if case["override_kind"] else "goal")
    earnings = LedgerEntry.objects.filter(conversion=conversion)
    if Decimal(case["expected_payout"]):
        assert [(e.amount, e.currency) for e in earnings] == [
            (Decimal(case["expected_payout"]), case["currency"])
        ]
    else:
        assert not earnings.exists()


def test_seven_and_a_half_percent_of_19_99_usd_is_1_50(db, web):
    world = world_build(
        revenue_kind="revshare", revenue_percent="20", payout_kind="revshare", payout_percent="7.5"
    )
    web.get("/postback", {"click_id": world.click.click_id, "amount": "19.99", "token": SECRET})
    drain()
    assert Conversion.objects.get().payout == Decimal("1.50")


def test_an_offer_level_override_applies_to_every_goal_and_a_goal_override_beats_it(db, web):
    world = world_build()
    PublisherOverride.objects.create(
        publisher=world.publisher, offer=world.offer, payout_kind="cpa_flat", payout_amount=8
    )
    web.get("/postback", {"click_id": world.click.click_id, "token": SECRET})
    drain()
    conversion = Conversion.objects.get()
    assert (conversion.payout, conversion.terms["source"]) == (Decimal("8.00"), "offer_override")
