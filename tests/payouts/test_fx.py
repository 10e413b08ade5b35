"""Currencies: rates loaded from the operator's file, each conversion computed and rounded in the
offer's currency, then converted at the stored rate and rounded once in the publisher's; the
reversal at the stored rate; a missing rate holds the conversion; the batch of the publisher's
currency pays it (answers fixed by tests/data/fx-cases.csv)."""

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.errors import DomainError
from core.money import money_round
from payouts.fx import FX_RATE_MISSING, FxRateMissingError, fx_convert, fx_rate_find
from payouts.models import FxRate, LedgerEntry, PayoutBatch
from payouts.services.build import payout_batch_build
from tests import factories
from tests.tracking.conversions.conftest import SECRET, drain, world_build
from tracking.attribution.actions import conversion_act
from tracking.models import Conversion

CASES = list(csv.DictReader((Path(__file__).parents[1] / "data" / "fx-cases.csv").open()))
TODAY = datetime.now(UTC).date()

ECB_DAILY = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time="{day}">
      <Cube currency="USD" rate="1.0850"/>
      <Cube currency="JPY" rate="162.35"/>
      <Cube currency="GBP" rate="0.85513"/>
    </Cube>
  </Cube>
</gesmes:Envelope>
"""


def _split(kind: str, value: str) -> tuple[str, str]:
    return ("0", value) if kind == "revshare" else (value, "0")


def _rates_load(tmp_path, spec: str, day: date = TODAY) -> None:
    """Load "EUR/USD=1.0850;EUR/JPY=162.35" through the command, as a CSV file."""
    lines = ["date,base,quote,rate"]
    for pair in spec.split(";"):
        names, rate = pair.split("=")
        base, quote = names.split("/")
        lines.append(f"{day},{base},{quote},{rate}")
    path = tmp_path / "rates.csv"
    path.write_text("\n".join(lines) + "\n")
    call_command("fx_rates_load", str(path))


def _converting_world(case: dict):
    amount, percent = _split(case["payout_kind"], case["payout_value"])
    world = world_build(
        currency=case["offer_currency"],
        revenue_kind="revshare" if case["payout_kind"] == "revshare" else "cpa_flat",
        revenue_amount="10.00",
        revenue_percent="20",
        payout_kind=case["payout_kind"],
        payout_amount=amount,
        payout_percent=percent,
    )
    world.publisher.payout_currency = case["publisher_currency"]
    world.publisher.convert_earnings = True
    world.publisher.minimum_payout = Decimal(0)
    world.publisher.hold_days = 0
    world.publisher.save()
    return world


def _callback(client, world, sale_amount: str) -> Conversion:
    params = {"click_id": world.click.click_id, "token": SECRET}
    if sale_amount:
        params["amount"] = sale_amount
    assert client.get("/postback", params).status_code == 200
    drain()
    return Conversion.objects.get()


def test_the_ecb_daily_file_loads_as_euro_rates(db, tmp_path):
    path = tmp_path / "eurofxref-daily.xml"
    path.write_text(ECB_DAILY.format(day="2026-03-02"))
    call_command("fx_rates_load", str(path))
    assert sorted(FxRate.objects.values_list("base", "quote", "rate")) == [
        ("EUR", "GBP", Decimal("0.8551300000")),
        ("EUR", "JPY", Decimal("162.3500000000")),
        ("EUR", "USD", Decimal("1.0850000000")),
    ]
    # Loading a corrected file for the same day replaces that day's rates.
    path.write_text(ECB_DAILY.format(day="2026-03-02").replace("1.0850", "1.0860"))
    call_command("fx_rates_load", str(path))
    assert FxRate.objects.get(quote="USD").rate == Decimal("1.0860")
    assert FxRate.objects.count() == 3


def test_a_bad_rates_file_is_refused_whole_naming_the_line(db, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,base,quote,rate\n2026-03-02,EUR,USD,1.08\n2026-03-02,EUR,QQQ,2\n")
    with pytest.raises(CommandError, match="line 3: unknown currency 'QQQ'"):
        call_command("fx_rates_load", str(path))
    path.write_text("date,base,quote,rate\n2026-03-02,EUR,USD,-1\n")
    with pytest.raises(CommandError, match="not positive"):
        call_command("fx_rates_load", str(path))
    assert not FxRate.objects.exists()


def test_a_rate_older_than_a_week_is_not_used(db, tmp_path):
    _rates_load(tmp_path, "EUR/USD=1.0850", day=TODAY - timedelta(days=8))
    assert fx_rate_find(base="EUR", quote="USD", on=TODAY) is None
    assert fx_rate_find(base="EUR", quote="USD", on=TODAY - timedelta(days=3)) == Decimal("1.0850")


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_a_conversion_is_rounded_in_the_offer_currency_then_converted_and_rounded_once(
    db, client, tmp_path, case
):
    _rates_load(tmp_path, case["rates"])
    world = _converting_world(case)

    conversion = _callback(client, world, case["sale_amount"])

    assert conversion.status == "approved"
    assert (conversion.payout, conversion.currency) == (
        Decimal(case["expected_offer_payout"]),
        case["offer_currency"],
    )
    entry = LedgerEntry.objects.get(conversion=conversion)
    assert (str(money_round(entry.amount, entry.currency)), entry.currency) == (
        case["expected_publisher_payout"],
        case["publisher_currency"],
    )
    assert (entry.source_amount, entry.source_currency) == (
        Decimal(case["expected_offer_payout"]),
        case["offer_currency"],
    )
    assert entry.fx_rate == Decimal(case["stored_rate"])


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_the_reversal_uses_the_stored_rate_and_cancels_the_earning_exactly(
    db, client, tmp_path, case
):
    _rates_load(tmp_path, case["rates"])
    world = _converting_world(case)
    conversion = _callback(client, world, case["sale_amount"])
    # The rates move afterwards: the reversal must not use them.
    FxRate.objects.update(rate=Decimal("3.3"))

    conversion_act(
        conversion_id=conversion.pk,
        action="reverse",
        actor=factories.ManagerFactory(),
        reason="chargeback",
    )

    entries = LedgerEntry.objects.filter(conversion=conversion).order_by("id")
    assert [(e.kind, e.currency, e.fx_rate) for e in entries] == [
        ("earning", case["publisher_currency"], Decimal(case["stored_rate"])),
        ("reversal", case["publisher_currency"], Decimal(case["stored_rate"])),
    ]
    assert entries[1].amount == -Decimal(case["expected_publisher_payout"])
    assert sum(e.amount for e in entries) == 0


def test_the_converted_earning_is_paid_in_the_batch_of_the_publishers_currency(
    db, client, tmp_path
):
    case = next(c for c in CASES if c["case"] == "eur_to_usd")
    _rates_load(tmp_path, case["rates"])
    world = _converting_world(case)
    _callback(client, world, "")

    usd = payout_batch_build(currency="USD", built_by=None)
    assert [(line.publisher_id, line.amount) for line in usd.lines.all()] == [
        (world.publisher.id, Decimal("7.60"))
    ]
    with pytest.raises(DomainError):
        payout_batch_build(currency="EUR", built_by=None)
    assert PayoutBatch.objects.filter(currency="EUR").count() == 0


def test_a_missing_rate_holds_the_conversion_until_a_rate_is_loaded(db, client, tmp_path):
    case = next(c for c in CASES if c["case"] == "eur_to_usd")
    world = _converting_world(case)

    conversion = _callback(client, world, "")

    assert (conversion.status, conversion.reject_reason) == ("pending", "fx_rate_missing")
    # The hold is one of Conversion.HoldReason, stored as the code payouts.fx raises.
    assert conversion.reject_reason == Conversion.HoldReason.FX_RATE_MISSING == FX_RATE_MISSING
    assert not LedgerEntry.objects.exists()
    manager = factories.ManagerFactory()
    with pytest.raises(FxRateMissingError, match="fx_rates_load"):
        conversion_act(
            conversion_id=conversion.pk, action="approve", actor=manager, reason="rate checked"
        )
    assert Conversion.objects.get().status == "pending"

    _rates_load(tmp_path, case["rates"])
    conversion_act(
        conversion_id=conversion.pk, action="approve", actor=manager, reason="rate loaded"
    )
    entry = LedgerEntry.objects.get(conversion=conversion)
    assert (entry.amount, entry.currency, entry.fx_rate) == (
        Decimal("7.60"),
        "USD",
        Decimal("1.085"),
    )


def test_a_publisher_that_does_not_convert_is_paid_in_the_offer_currency(db, client, tmp_path):
    _rates_load(tmp_path, "EUR/USD=1.0850")
    world = world_build(currency="EUR")
    conversion = _callback(client, world, "")
    entry = LedgerEntry.objects.get(conversion=conversion)
    assert (entry.amount, entry.currency, entry.fx_rate) == (Decimal("7.00"), "EUR", None)


@pytest.mark.sqlite
def test_convert_rounds_once_in_the_target_currency():
    # 300.495 JPY: once -> 300; rounding to cents first would make it 300.50 -> 301.
    assert fx_convert(amount=Decimal("2.00"), rate=Decimal("150.2475"), currency="JPY") == 300
    assert fx_convert(amount=Decimal("-2.00"), rate=Decimal("150.2475"), currency="JPY") == -300
