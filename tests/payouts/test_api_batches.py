"""/api/v1/payout-batches/: finance acts (approval by a non-author, on the digest shown; a
failed line confirmed by a second finance user), managers read, everyone else is refused."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import override_settings

from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import days_ago, entry_write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_hold")]

URL = "/api/v1/payout-batches/"


@pytest.fixture
def no_hold():
    with override_settings(PAYOUT_HOLD_DAYS=0):
        yield


@pytest.fixture
def publishers():
    paypal = factories.PublisherFactory(
        name="Pal",
        minimum_payout=Decimal("10"),
        payout_method="paypal",
        payout_details={"email": "pal@pub.example"},
    )
    wise = factories.PublisherFactory(
        name="=HYPERLINK()",
        minimum_payout=Decimal("10"),
        payout_method="wise",
        payout_details={"email": "wise@pub.example", "receiver_type": "business"},
    )
    entry_write(publisher=paypal, amount="12.34", at=days_ago(2))
    entry_write(publisher=wise, amount="56.78", at=days_ago(2))
    return paypal, wise


def built(client):
    response = client.post(URL, {"currency": "USD"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_finance_builds_another_approves_exports_and_pays(publishers, finance, finance2):
    alice, bob = client_for(finance), client_for(finance2)
    batch = built(alice)
    assert (batch["status"], batch["total"], batch["line_count"]) == ("draft", "69.12", 2)
    assert sorted(line["amount"] for line in batch["lines"]) == ["12.34", "56.78"]

    assert batch["authors"] == [finance.id] and len(batch["digest"]) == 64
    self_approval = alice.post(
        f"{URL}{batch['id']}/approve/", {"digest": batch["digest"]}, format="json"
    )
    assert self_approval.status_code == 403
    assert self_approval.json()["error"]["code"] == "forbidden"
    approved = bob.post(
        f"{URL}{batch['id']}/approve/",
        {"digest": batch["digest"], "total": "69.12"},
        format="json",
    )
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_digest"] == batch["digest"]

    exported = alice.post(f"{URL}{batch['id']}/export/?format=standard")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(r["publisher"], r["amount"], r["currency"]) for r in rows] == [
        ("Pal", "12.34", "USD"),
        ("'=HYPERLINK()", "56.78", "USD"),
    ]
    assert all(r["reference"].startswith(f"PB{batch['id']}-") for r in rows)

    paypal = alice.get(f"{URL}{batch['id']}/export/?format=paypal").content.decode()
    assert paypal.splitlines() == [
        f"pal@pub.example,12.34,USD,PB{batch['id']}-{publishers[0].id},"
        f"Payout PB{batch['id']}-{publishers[0].id},PAYPAL"
    ]
    wise = list(
        csv.DictReader(
            io.StringIO(bob.get(f"{URL}{batch['id']}/export/?format=wise").content.decode())
        )
    )
    assert [(w["recipientEmail"], w["amount"], w["receiverType"]) for w in wise] == [
        ("wise@pub.example", "56.78", "BUSINESS")
    ]

    paid = bob.post(f"{URL}{batch['id']}/mark-paid/")
    assert paid.json()["status"] == "paid"
    assert bob.post(f"{URL}{batch['id']}/mark-paid/").status_code == 200
    assert LedgerEntry.objects.filter(kind="payment").count() == 2

    line = paid.json()["lines"][0]
    asked = alice.post(
        f"{URL}{batch['id']}/lines/{line['id']}/mark-failed/", {"reason": "closed"}, format="json"
    )
    assert (asked.status_code, asked.json()["state"]) == (202, "pending")
    failed = bob.post(f"{URL}{batch['id']}/lines/{line['id']}/confirm-failed/")
    assert failed.json()["status"] == "failed"


def test_managers_read_batches_but_cannot_act(publishers, finance, manager_client):
    batch = built(client_for(finance))
    assert manager_client.get(URL).json()["count"] == 1
    assert manager_client.get(f"{URL}{batch['id']}/").json()["total"] == "69.12"
    for path in ("approve/", "mark-paid/", "rebuild/", "export/?format=paypal"):
        assert manager_client.post(f"{URL}{batch['id']}/{path}").status_code == 403, path
    assert manager_client.post(URL, {"currency": "USD"}, format="json").status_code == 403
    assert manager_client.delete(f"{URL}{batch['id']}/").status_code == 403
    assert manager_client.get(f"{URL}{batch['id']}/").json()["status"] == "draft"


@pytest.mark.parametrize(
    "factory", [factories.PublisherUserFactory, factories.AdvertiserUserFactory]
)
def test_publishers_and_advertisers_are_refused(publishers, finance, factory):
    batch = built(client_for(finance))
    client = client_for(factory())
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{batch['id']}/").status_code == 403
    assert client.post(URL, {"currency": "USD"}, format="json").status_code == 403
    body = client.post(f"{URL}{batch['id']}/approve/").json()
    assert body["error"]["code"] == "forbidden"


def test_bad_requests_say_what_was_wrong(finance):
    client = client_for(finance)
    unknown = client.post(URL, {"currency": "XYZ"}, format="json")
    # Off the schema's ISO 4217 list: refused by the field (the service refuses it too).
    assert (unknown.status_code, list(unknown.json()["error"]["fields"])) == (400, ["currency"])
    missing = client.post(URL, {}, format="json")
    assert "currency" in missing.json()["error"]["fields"]
    nothing = client.post(URL, {"currency": "USD"}, format="json")
    assert (nothing.status_code, nothing.json()["error"]["code"]) == (409, "nothing_to_pay")
    assert client.get(f"{URL}999999/").status_code == 404


def test_a_draft_is_deleted_and_an_export_needs_approval(publishers, finance):
    client = client_for(finance)
    batch = built(client)
    early = client.post(f"{URL}{batch['id']}/export/?format=paypal")
    assert (early.status_code, early.json()["error"]["code"]) == (409, "batch_state")
    assert client.get(f"{URL}{batch['id']}/export/").status_code == 409
    assert client.delete(f"{URL}{batch['id']}/").status_code == 204
    assert client.get(URL).json()["count"] == 0


def test_a_paypal_export_without_emails_leaves_the_batch_approved(finance, finance2):
    publisher = factories.PublisherFactory(
        minimum_payout=Decimal("1"), payout_method="paypal", payout_details={}
    )
    entry_write(publisher=publisher, amount="5.00", at=days_ago(1))
    batch = built(client_for(finance))
    client_for(finance2).post(f"{URL}{batch['id']}/approve/", {"digest": batch["digest"]})

    refused = client_for(finance).post(f"{URL}{batch['id']}/export/?format=paypal")

    assert refused.json()["error"]["code"] == "payout_details_missing"
    assert client_for(finance).get(f"{URL}{batch['id']}/").json()["status"] == "approved"
    bad = client_for(finance).post(f"{URL}{batch['id']}/export/?format=xml")
    assert bad.json()["error"]["fields"] == {
        "format": ["format must be one of standard, paypal, wise."]
    }
