"""Explain this payout: a real conversion's explanation adds up to its ledger amount for every
kind of terms (tests/data/payout-cases.csv: flat, revshare, both, overrides, JPY and BHD
rounding), after a reversal of a paid conversion too, and each reader sees only its side."""

import csv
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from offers.models import PublisherOverride
from payouts.models import LedgerEntry
from payouts.selectors import payout_batch_digest
from payouts.services import (
    payout_batch_approve,
    payout_batch_build,
    payout_batch_export,
    payout_batch_mark_paid,
)
from tests import factories
from tests.conftest import client_for
from tests.tracking.conversions.conftest import SECRET, drain, world_build
from tracking.attribution.actions import conversion_act
from tracking.models import Conversion

pytestmark = pytest.mark.django_db

CASES = list(csv.DictReader((Path(__file__).parents[1] / "data" / "payout-cases.csv").open()))


def _split(kind: str, value: str) -> tuple[str, str]:
    if kind == "cpa_plus_revshare":
        flat, percent = value.split("+")
        return flat, percent
    if kind == "revshare":
        return "0", value
    return value, "0"


def _convert(client, case: dict[str, str]):
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
            valid_from=timezone.now() - timedelta(days=1),
        )
    params = {"click_id": world.click.click_id, "token": SECRET, "txn_id": "order-77"}
    if case["sale_amount"]:
        params["amount"] = case["sale_amount"]
    assert client.get("/postback", params).status_code == 200
    drain()
    return world, Conversion.objects.get()


def _explain(user, conversion_id: int):
    return client_for(user).get(f"/api/v1/conversions/{conversion_id}/explain/")


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_the_explanation_adds_up_to_the_ledger_for_every_kind_of_terms(client, case):
    _, conversion = _convert(client, case)

    body = _explain(factories.FinanceUserFactory(), conversion.pk).json()

    payout = body["terms"]["payout"]["arithmetic"]
    revenue = body["terms"]["revenue"]["arithmetic"]
    assert payout["result"] == case["expected_payout"] == body["payout"]
    assert revenue["result"] == case["expected_revenue"] == body["revenue"]
    assert body["terms"]["payout"]["source"] == (
        "goal_override" if case["override_kind"] else "goal"
    )
    booked = [e.amount for e in LedgerEntry.objects.filter(conversion=conversion)]
    assert [Decimal(e["amount"]) for e in body["ledger"]["entries"]] == booked
    assert Decimal(body["ledger"]["total"]) == sum(booked, Decimal(0))
    assert body["ledger"]["total"] == case["expected_payout"]
    assert body["ledger"]["adds_up"] is True
    # The rounding step names the currency's minor unit, and the exact figure before it.
    quantum = {"USD": "0.01", "EUR": "0.01", "JPY": "1", "BHD": "0.001"}[case["currency"]]
    assert payout["rounding"].startswith(f"half-up to {quantum} {case['currency']}")
    assert money_exact(payout, case) == Decimal(payout["exact"])


def money_exact(arithmetic: dict, case: dict[str, str]) -> Decimal:
    """What the terms give before rounding, from the csv's own figures."""
    kind, value = (
        (case["override_kind"], case["override_value"])
        if case["override_kind"]
        else (case["payout_kind"], case["payout_value"])
    )
    flat, percent = _split(kind, value)
    sale = Decimal(case["sale_amount"] or "0")
    exact = Decimal(0)
    if kind in ("cpa_flat", "cpa_plus_revshare"):
        exact += Decimal(flat)
    if kind in ("revshare", "cpa_plus_revshare"):
        exact += sale * Decimal(percent) / 100
    return exact


def test_jpy_and_bhd_show_the_rounding_step_in_words(client):
    jpy = next(case for case in CASES if case["currency"] == "JPY")
    _, conversion = _convert(client, jpy)

    says = _explain(factories.ManagerFactory(), conversion.pk).json()["terms"]["payout"]
    assert says["arithmetic"]["says"] == "1999 x 7.5% = 149.925 JPY; 149.925 rounded to 150 JPY"


def test_an_offer_override_names_itself_and_its_validity_window(client):
    world = world_build(payout_amount="5.00")
    valid_from = timezone.now() - timedelta(days=2)
    override = PublisherOverride.objects.create(
        publisher=world.publisher,
        offer=world.offer,
        payout_kind="cpa_plus_revshare",
        payout_amount=Decimal("1.00"),
        payout_percent=Decimal("10"),
        valid_from=valid_from,
        valid_to=timezone.now() + timedelta(days=30),
    )
    client.get("/postback", {"click_id": world.click.click_id, "token": SECRET, "amount": "25"})
    drain()
    conversion = Conversion.objects.get()

    body = _explain(factories.PublisherUserFactory(publisher=world.publisher), conversion.pk)

    payout = body.json()["terms"]["payout"]
    assert (payout["source"], payout["override_id"]) == ("offer_override", override.pk)
    assert payout["arithmetic"]["says"] == (
        "flat 1 USD + 25 x 10% = 2.5 USD; 3.5 rounded to 3.50 USD"
    )
    assert payout["validity"]["valid_from"] is not None
    assert body.json()["ledger"]["total"] == "3.50" == body.json()["payout"]


def test_a_reversal_after_payment_shows_the_paid_earning_and_the_reversal(client, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYABLE_AFTER_CLOSE_DAYS = None
    case = next(case for case in CASES if case["case"] == "flat")
    world, conversion = _convert(client, case)
    world.publisher.minimum_payout = Decimal("1")
    world.publisher.hold_days = None
    world.publisher.save()
    finance, finance2, manager = (
        factories.FinanceUserFactory(),
        factories.FinanceUserFactory(),
        factories.ManagerFactory(),
    )
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        batch = payout_batch_build(currency="USD", built_by=finance)
        payout_batch_approve(
            batch_id=batch.id, approved_by=finance2, digest=payout_batch_digest(batch_id=batch.id)
        )
        payout_batch_export(batch_id=batch.id, exported_by=finance, export_format="standard")
        payout_batch_mark_paid(batch_id=batch.id, paid_by=finance)
    conversion_act(
        conversion_id=conversion.pk,
        action="reverse",
        actor=manager,
        reason="chargeback from the advertiser",
    )

    body = _explain(finance, conversion.pk).json()

    earning, reversal = body["ledger"]["entries"]
    assert (earning["kind"], earning["amount"]) == ("earning", "7.00")
    assert earning["settled_by"]["batch"] == batch.id
    assert earning["settled_by"]["batch_status"] == "paid"
    assert [p["kind"] for p in earning["settled_by"]["payments"]] == ["payment"]
    assert (reversal["kind"], reversal["amount"], reversal["settled_by"]) == (
        "reversal",
        "-7.00",
        None,
    )
    assert (body["ledger"]["total"], body["ledger"]["owed_now"]) == ("0.00", "0.00")
    assert body["ledger"]["adds_up"] is True
    attributed, reversed_ = body["history"]
    assert attributed["to_status"] == "approved"
    assert (reversed_["action"], reversed_["to_status"]) == ("reverse", "reversed")
    assert reversed_["reason"] == "chargeback from the advertiser"
    assert manager.get_username() in reversed_["who"]
    assert reversed_["payout"] == ["7.00", "7.00"]

    # The reversal entry explains itself, its conversion and who caused it.
    entry = client_for(finance).get(f"/api/v1/ledger-entries/{reversal['id']}/explain/").json()
    assert entry["because"].startswith("reverse by ")
    assert entry["explains"]["conversion"] == conversion.pk

    # The batch line lists the entry it paid, and adds up to the line.
    line = batch.lines.get()
    listed = client_for(finance).get(f"/api/v1/payout-batches/{batch.id}/lines/{line.id}/entries/")
    assert [e["id"] for e in listed.json()["entries"]] == [earning["id"]]
    assert listed.json()["adds_up"] is True
    # And the publisher reads the same money, in its own words.
    own = _explain(factories.PublisherUserFactory(publisher=world.publisher), conversion.pk)
    assert own.json()["ledger"]["total"] == "0.00"
    assert "@" not in json.dumps(own.json()["history"]), "partners do not learn staff names"


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_each_reader_sees_only_its_side(client):
    case = next(case for case in CASES if case["case"] == "revshare")
    world, conversion = _convert(client, case)
    Conversion.objects.filter(pk=conversion.pk).update(
        fraud={"signals": {"ip_shared": 9}, "fired": [{"signal": "ip_shared"}], "action": "flag"}
    )
    publisher = factories.PublisherUserFactory(publisher=world.publisher)
    advertiser = factories.AdvertiserUserFactory(advertiser=world.advertiser)
    stranger = factories.PublisherUserFactory()

    mine = _explain(publisher, conversion.pk)
    theirs = _explain(advertiser, conversion.pk)
    staff = _explain(factories.ManagerFactory(), conversion.pk)

    assert mine.status_code == theirs.status_code == staff.status_code == 200
    text = json.dumps(mine.json())
    keys = _keys(mine.json())
    assert {
        "revenue",
        "params",
        "fraud",
        "signals",
        "remote_ip",
        "advertiser_txn_id",
    } & keys == set()
    assert "order-77" not in text and "ip_shared" not in text and SECRET not in text
    assert mine.json()["payout"] == "1.50"
    assert {"payout", "ledger", "override_id", "payout_kind"} & _keys(theirs.json()) == set()
    assert theirs.json()["revenue"] == "4.00"
    assert theirs.json()["callback"]["params"]["txn_id"] == "order-77"
    assert staff.json()["fraud"]["signals"] == {"ip_shared": 9}
    assert staff.json()["callback"]["params"]["txn_id"] == "order-77"
    # Another publisher, and any advertiser on the ledger, find nothing there.
    assert _explain(stranger, conversion.pk).status_code == 404
    entry = LedgerEntry.objects.get(conversion=conversion)
    assert client_for(advertiser).get(
        f"/api/v1/ledger-entries/{entry.pk}/explain/"
    ).status_code in (
        403,
        404,
    )
    assert (
        client_for(stranger).get(f"/api/v1/ledger-entries/{entry.pk}/explain/").status_code == 404
    )
    assert (
        client_for(publisher).get(f"/api/v1/ledger-entries/{entry.pk}/explain/").status_code == 200
    )


def test_batch_lines_are_for_finance_and_managers(client, settings):
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYABLE_AFTER_CLOSE_DAYS = None
    world, _ = _convert(client, next(case for case in CASES if case["case"] == "flat"))
    world.publisher.minimum_payout = Decimal("1")
    world.publisher.save()
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        batch = payout_batch_build(currency="USD", built_by=factories.FinanceUserFactory())
    line = batch.lines.get()
    url = f"/api/v1/payout-batches/{batch.id}/lines/{line.id}/entries/"

    assert client_for(factories.ManagerFactory()).get(url).json()["total"] == "7.00"
    publisher = factories.PublisherUserFactory(publisher=world.publisher)
    assert client_for(publisher).get(url).status_code == 403
    other_line = f"/api/v1/payout-batches/{batch.id}/lines/{line.id + 1000}/entries/"
    assert client_for(factories.FinanceUserFactory()).get(other_line).status_code == 404
