"""Monthly validation: an advertiser (or a manager) uploads a CSV of decisions, sees the
preview (counts, money by currency, rows not found, rows refused) with nothing changed, then
applies it and downloads the result. Each row goes through the conversion services and the
money policy: an advertiser cannot decide another advertiser's conversions, and after the
offer's reversal window only a manager reverses."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from payouts.models import LedgerEntry
from tests import factories
from tests.portal.conftest import client_as
from tracking.models import Conversion, ValidationUpload

REVSHARE = {
    "revenue_kind": "revshare",
    "revenue_percent": "10",
    "payout_kind": "revshare",
    "payout_percent": "7",
}


def _conversion(net, txn: str, *, advertiser_goal=None, age_days: int = 0, **fields):
    conversion = factories.ConversionFactory(
        goal=advertiser_goal or net.goal,
        publisher=net.publisher,
        advertiser_txn_id=txn,
        **fields,
    )
    if age_days:
        Conversion.objects.filter(pk=conversion.pk).update(
            created_at=timezone.now() - timedelta(days=age_days)
        )
    return conversion


def _file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("march.csv", text.encode(), content_type="text/csv")


def _upload(client, text: str):
    return client.post("/validation/", {"file": _file(text)})


def _apply(client, text: str):
    return client.post("/validation/apply/", {"csv": text, "filename": "march.csv"})


CSV = (
    "txn_id,decision,reason,sale_amount\n"
    "A-1,approve,,\n"
    "A-2,approve,partly returned,40\n"
    "A-3,reject,cancelled order,\n"
    "A-4,reverse,chargeback,\n"
    "NOPE,approve,,\n"
    "B-1,approve,,\n"
)


def _network_of_rows(net):
    held = {"status": "pending", "reject_reason": "advertiser_approval"}
    other_goal = factories.GoalFactory(offer=net.other_offer, ref="sale")
    return {
        "A-1": _conversion(net, "A-1", **held),
        "A-2": _conversion(net, "A-2", sale_amount=Decimal("100"), terms=REVSHARE, **held),
        "A-3": _conversion(net, "A-3", **held),
        "A-4": _conversion(net, "A-4", status="approved"),
        "B-1": _conversion(net, "B-1", advertiser_goal=other_goal, **held),
    }


def test_the_preview_says_what_would_change_and_changes_nothing(net):
    rows = _network_of_rows(net)
    page = _upload(client_as(net.advertiser_user), CSV)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Nothing has changed yet. 4 rows would change." in text
    assert 'data-outcome="change">4<' in text
    assert 'data-outcome="not_found">2<' in text  # NOPE, and the other advertiser's B-1
    # Approved money: +10 (A-1) +4 (A-2 lowered from 100 to 40 at 10%) -10 (A-4 reversed).
    assert '<th scope="row">USD</th><td>4.00</td>' in text
    assert "Payout" not in text  # advertisers never see payouts
    assert {c.status for c in Conversion.objects.filter(pk__in=[r.pk for r in rows.values()])} == {
        "pending",
        "approved",
    }
    assert not ValidationUpload.objects.exists()


def test_applying_changes_each_row_through_the_services_and_keeps_the_result(net):
    rows = _network_of_rows(net)
    client = client_as(net.advertiser_user)
    response = _apply(client, CSV)
    upload = ValidationUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/validation/{upload.pk}/"
    for txn, status in [("A-1", "approved"), ("A-2", "approved"), ("A-3", "rejected")]:
        rows[txn].refresh_from_db()
        assert rows[txn].status == status, txn
    rows["A-4"].refresh_from_db()
    assert rows["A-4"].status == "reversed"
    assert (rows["A-2"].sale_amount, rows["A-2"].revenue, rows["A-2"].payout) == (
        Decimal("40"),
        Decimal("4"),
        Decimal("2.8"),
    )
    assert LedgerEntry.objects.get(conversion=rows["A-2"]).amount == Decimal("2.8")
    rows["B-1"].refresh_from_db()
    assert rows["B-1"].status == "pending"  # another advertiser's: not found, untouched
    assert upload.summary["counts"] == {"done": 4, "not_found": 2}

    page = client.get(f"/validation/{upload.pk}/").content.decode()
    assert "Validation applied: 4 changed, 0 refused." in page
    result = client.get(f"/validation/{upload.pk}/result.csv")
    lines = b"".join(result.streaming_content).decode().splitlines()
    assert lines[0].startswith("Line,txn_id,click_id,decision")
    assert "Payout change" not in lines[0]
    assert any(line.startswith("6,NOPE,") and "not_found" in line for line in lines)

    # Reloading the result applies nothing again, and another advertiser cannot open it.
    assert client.get(f"/validation/{upload.pk}/").status_code == 200
    assert ValidationUpload.objects.count() == 1
    assert client_as(net.other_advertiser_user).get(f"/validation/{upload.pk}/").status_code == 404


def test_a_reversal_after_the_offers_reversal_window_needs_a_manager(net):
    old = _conversion(net, "OLD-1", status="approved", age_days=120)
    text = "txn_id,decision,reason\nOLD-1,reverse,chargeback\n"
    preview = _upload(client_as(net.advertiser_user), text).content.decode()
    assert "reversal window" in preview
    _apply(client_as(net.advertiser_user), text)
    old.refresh_from_db()
    assert old.status == "approved"
    assert ValidationUpload.objects.get().summary["counts"] == {"refused": 1}

    _apply(client_as(net.manager), text)
    old.refresh_from_db()
    assert old.status == "reversed"


def test_a_corrected_sale_amount_may_only_lower_it(net):
    conversion = _conversion(
        net, "UP-1", status="approved", sale_amount=Decimal("50"), terms=REVSHARE
    )
    text = "txn_id,decision,reason,sale_amount\nUP-1,approve,more sold,80\n"
    page = _upload(client_as(net.advertiser_user), text).content.decode()
    assert "A corrected sale amount only lowers it." in page
    _apply(client_as(net.advertiser_user), text)
    conversion.refresh_from_db()
    assert conversion.sale_amount == Decimal("50")


def test_bad_rows_and_a_bad_header_are_said(net):
    bad_header = _upload(client_as(net.advertiser_user), "order,what\n1,approve\n")
    assert "The first row names the columns" in bad_header.content.decode()
    rows = "txn_id,decision,reason\nX,maybe,\nY,reject,\n"
    page = _upload(client_as(net.advertiser_user), rows).content.decode()
    assert "The decision is approve, reject or reverse." in page
    assert "Say why it is rejected." in page


def test_publishers_and_finance_cannot_validate(net):
    assert client_as(net.publisher_user).get("/validation/").status_code == 403
    assert client_as(net.finance).get("/validation/").status_code == 403


def test_the_api_previews_then_applies_the_same_file(net):
    rows = _network_of_rows(net)
    api = APIClient()
    api.force_authenticate(net.advertiser_user)
    preview = api.post("/api/v1/validations/preview/", {"csv": CSV}, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["summary"]["counts"] == {"change": 4, "not_found": 2}
    assert preview.json()["summary"]["money"] == {"USD": {"revenue": "4.00"}}
    assert "payout_change" not in preview.json()["rows"][0]
    rows["A-1"].refresh_from_db()
    assert rows["A-1"].status == "pending"

    applied = api.post("/api/v1/validations/", {"file": _file(CSV)}, format="multipart")
    assert applied.status_code == 201, applied.content
    assert applied.json()["summary"]["counts"] == {"done": 4, "not_found": 2}
    assert applied.json()["filename"] == "march.csv"
    rows["A-1"].refresh_from_db()
    assert rows["A-1"].status == "approved"
    listed = api.get("/api/v1/validations/").json()
    assert [item["id"] for item in listed["results"]] == [applied.json()["id"]]

    other = APIClient()
    other.force_authenticate(net.other_advertiser_user)
    assert other.get(f"/api/v1/validations/{applied.json()['id']}/").status_code == 404
    publisher = APIClient()
    publisher.force_authenticate(net.publisher_user)
    assert publisher.post("/api/v1/validations/preview/", {"csv": CSV}).status_code == 403
