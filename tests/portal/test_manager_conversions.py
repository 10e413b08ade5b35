"""The manager's conversions desk: search, filters with date presets, CSV of the filtered list,
the detail with its explanation in words, decisions through conversion_act (the money policy
asked on the locked row), bulk decisions with a reason and a confirmation, other roles refused."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payouts.models import LedgerEntry
from tests import factories
from tests.portal.conftest import client_as
from tracking.models import Conversion

EXPLANATION = [
    {"check": "terms", "ok": True, "source": "goal", "override_id": None},
    {"check": "window", "ok": True, "detail": "60s of 2592000s"},
    {"check": "pixel", "ok": False, "detail": "pixel conversions wait for review"},
]


def _conversion(net, **fields) -> Conversion:
    defaults = {"goal": net.goal, "publisher": net.publisher, "explanation": EXPLANATION}
    return factories.ConversionFactory(**{**defaults, **fields})


def _ids(response) -> list[int]:
    return [conversion.id for conversion in response.context["page"]]


def test_search_finds_a_conversion_by_txn_id_click_id_or_sub_id(net):
    wanted = _conversion(net, advertiser_txn_id="ORDER-77", sub2="spring")
    _conversion(net, advertiser_txn_id="ORDER-78")
    manager = client_as(net.manager)
    for q in ("ORDER-77", wanted.click_id, "spring"):
        assert _ids(manager.get("/network/conversions/", {"q": q})) == [wanted.id]


def test_filters_narrow_by_status_offer_publisher_and_date_preset(net):
    pending = _conversion(net, status="pending", reject_reason="pixel")
    other = _conversion(net, publisher=net.other_publisher)
    old = _conversion(net)
    Conversion.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=1))
    manager = client_as(net.manager)
    assert _ids(manager.get("/network/conversions/", {"status": "pending"})) == [pending.id]
    assert _ids(manager.get("/network/conversions/", {"publisher": net.other_publisher.id})) == [
        other.id
    ]
    assert _ids(manager.get("/network/conversions/", {"period": "yesterday"})) == [old.id]
    assert old.id not in _ids(manager.get("/network/conversions/", {"period": "today"}))
    assert set(_ids(manager.get("/network/conversions/", {"period": "last_7_days"}))) == {
        pending.id,
        other.id,
        old.id,
    }


def test_a_date_range_ending_before_it_starts_is_refused_beside_the_end_date(net):
    response = client_as(net.manager).get(
        "/network/conversions/",
        {"period": "custom", "date_from": "2026-03-10", "date_to": "2026-03-01"},
    )
    assert response.context["form"].errors["date_to"] == ["Must not be before the start date."]
    assert 'id="date_to-errors"' in response.content.decode()


def test_the_csv_holds_the_filtered_list_with_names_and_formulas_escaped(net):
    _conversion(net, sub1='=HYPERLINK("http://evil")', advertiser_txn_id="T-1")
    _conversion(net, publisher=net.other_publisher, advertiser_txn_id="T-2")
    response = client_as(net.manager).get(
        "/network/conversions/", {"publisher": net.publisher.id, "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Conversion", "Time (UTC)", "Status"]
    assert len(body) == 1
    row = dict(zip(header, body[0], strict=True))
    assert row["Publisher"] == "Blue Media" and row["Offer"] == "Acme Summer Sale"
    assert row["Sub 1"].startswith("'=")
    assert row["Payout"] == "7.00"


def test_the_detail_explains_the_decision_in_words_and_a_manager_approves_a_hold(net):
    conversion = _conversion(net, status="pending", reject_reason="pixel")
    manager = client_as(net.manager)
    page = manager.get(f"/network/conversions/{conversion.id}/").content.decode()
    assert "Came from the image pixel: waits for review" in page
    assert "Within the attribution window" in page
    assert "a manager reviews it" in page

    # A network hold is overridden only with a reason (the money policy says so).
    refused = manager.post(
        f"/network/conversions/{conversion.id}/", {"action": "approve", "reason": ""}
    )
    assert refused.status_code == 200
    assert "a reason is given" in str(refused.context["form"].non_field_errors())
    conversion.refresh_from_db()
    assert conversion.status == "pending"

    done = manager.post(
        f"/network/conversions/{conversion.id}/", {"action": "approve", "reason": "checked"}
    )
    assert done["Location"] == f"/network/conversions/{conversion.id}/"
    conversion.refresh_from_db()
    assert conversion.status == "approved"
    assert LedgerEntry.objects.get(conversion_id=conversion.id).amount == Decimal("7.00")
    assert f"Conversion {conversion.id} approved." in manager.get(done["Location"]).content.decode()


def test_rejecting_needs_a_ticked_confirmation_and_a_reason(net):
    conversion = _conversion(net, status="pending", reject_reason="pixel")
    url = f"/network/conversions/{conversion.id}/"
    manager = client_as(net.manager)
    unconfirmed = manager.post(url, {"action": "reject", "reason": "fraud"})
    assert unconfirmed.context["form"].errors["confirm"]
    no_reason = manager.post(url, {"action": "reject", "reason": "", "confirm": "on"})
    assert no_reason.context["form"].errors["reason"] == ["Say why it is rejected."]
    conversion.refresh_from_db()
    assert conversion.status == "pending"
    manager.post(url, {"action": "reject", "reason": "fraud", "confirm": "on"})
    conversion.refresh_from_db()
    assert (conversion.status, conversion.reject_reason) == ("rejected", "manual")


def test_an_adjustment_above_revenue_is_refused_beside_the_payout(net):
    conversion = _conversion(net)
    response = client_as(net.manager).post(
        f"/network/conversions/{conversion.id}/", {"action": "adjust", "payout": "12"}
    )
    assert "above revenue" in response.context["form"].errors["payout"][0]
    conversion.refresh_from_db()
    assert conversion.payout == Decimal("7.00")


def test_bulk_approve_then_bulk_reverse_with_a_reason_and_confirmation(net):
    first = _conversion(net, status="pending", reject_reason="advertiser_approval")
    second = _conversion(net, status="pending", reject_reason="advertiser_approval")
    manager = client_as(net.manager)
    back = "/network/conversions/?status=pending"
    response = manager.post(
        "/network/conversions/bulk/",
        {"ids": [first.id, second.id], "action": "approve", "next": back},
    )
    assert response["Location"] == back
    assert set(Conversion.objects.values_list("status", flat=True)) == {"approved"}

    unconfirmed = manager.post(
        "/network/conversions/bulk/",
        {"ids": [first.id, second.id], "action": "reverse", "reason": "chargeback"},
        follow=True,
    )
    assert "cannot be undone" in unconfirmed.content.decode()
    assert set(Conversion.objects.values_list("status", flat=True)) == {"approved"}

    manager.post(
        "/network/conversions/bulk/",
        {
            "ids": [first.id, second.id],
            "action": "reverse",
            "reason": "chargeback",
            "confirm": "on",
        },
    )
    assert set(Conversion.objects.values_list("status", flat=True)) == {"reversed"}
    assert LedgerEntry.objects.filter(kind="reversal").count() == 2


def test_a_bulk_action_reports_the_conversions_it_could_not_decide(net):
    approved = _conversion(net)
    pending = _conversion(net, status="pending", reject_reason="advertiser_approval")
    response = client_as(net.manager).post(
        "/network/conversions/bulk/",
        {"ids": [approved.id, pending.id], "action": "approve"},
        follow=True,
    )
    page = response.content.decode()
    assert "1 conversion(s) approved." in page
    assert f"Conversion {approved.id}: Cannot approve a approved conversion." in page


@pytest.mark.parametrize("who", ["publisher_user", "advertiser_user", "finance"])
def test_other_roles_cannot_reach_the_conversions_desk(net, who):
    conversion = _conversion(net, status="pending", reject_reason="advertiser_approval")
    client = client_as(getattr(net, who))
    assert client.get("/network/conversions/").status_code == 403
    assert client.get(f"/network/conversions/{conversion.id}/").status_code == 403
    assert client.get("/network/conversions/?format=csv").status_code == 403
    bulk = client.post("/network/conversions/bulk/", {"ids": [conversion.id], "action": "approve"})
    assert bulk.status_code == 403
    conversion.refresh_from_db()
    assert conversion.status == "pending"


def test_a_bulk_post_without_the_csrf_token_is_refused(net):
    conversion = _conversion(net, status="pending", reject_reason="advertiser_approval")
    response = client_as(net.manager).post(
        "/network/conversions/bulk/",
        {"ids": [conversion.id], "action": "approve"},
        csrf_token=False,
    )
    assert response.status_code == 403
    conversion.refresh_from_db()
    assert conversion.status == "pending"
