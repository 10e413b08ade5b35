"""Admin pages for the ledger and batches open for managers, read-only; finance uses the API."""

import pytest
from django.test import Client, override_settings

from payouts.services import payout_batch_build
from tests import factories
from tests.conftest import signed_in
from tests.payouts.conftest import days_ago, entry_write

pytestmark = pytest.mark.django_db


@override_settings(PAYOUT_HOLD_DAYS=0)
def test_staff_see_batches_lines_and_entries_read_only(finance, publisher):
    entry_write(publisher=publisher, amount="60.00", at=days_ago(1))
    batch = payout_batch_build(currency="USD", built_by=finance)
    admin = factories.ManagerFactory(is_staff=True)
    admin.save()  # the factory sets the password after saving; the session hash needs it
    client = signed_in(Client(), admin)

    for path in (
        "/admin/payouts/payoutbatch/",
        f"/admin/payouts/payoutbatch/{batch.id}/change/",
        "/admin/payouts/payoutbatchline/",
        "/admin/payouts/ledgerentry/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert b"60.00" in client.get("/admin/payouts/ledgerentry/").content
    assert client.get("/admin/payouts/ledgerentry/add/").status_code == 403
    entry_id = publisher.ledger_entries.get().id
    assert client.post(f"/admin/payouts/ledgerentry/{entry_id}/delete/").status_code == 403
    assert client.post(f"/admin/payouts/payoutbatch/{batch.id}/delete/").status_code == 403
    finance.is_staff = True
    finance.save()
    signed_in(client, finance)
    assert client.get("/admin/payouts/payoutbatch/").status_code in (302, 403)


def test_a_manager_cannot_redirect_a_publishers_payout_in_the_admin(publisher):
    admin = factories.ManagerFactory(is_staff=True)
    admin.save()
    client = signed_in(Client(), admin)
    before = (publisher.payout_details, publisher.payout_method, publisher.minimum_payout)

    response = client.post(
        f"/admin/affiliates/publisher/{publisher.id}/change/",
        {
            "name": "Renamed",
            "status": "active",
            "payout_method": "wise",
            "payout_details": '{"email": "manager@evil.example"}',
            "payout_currency": "EUR",
            "minimum_payout": "0",
            "hold_days": "0",
        },
    )

    assert response.status_code == 302, response.content
    publisher.refresh_from_db()
    assert publisher.name == "Renamed"
    assert (publisher.payout_details, publisher.payout_method, publisher.minimum_payout) == before
    assert (publisher.payout_currency, publisher.hold_days) == ("USD", None)
    assert client.get("/admin/affiliates/payoutdetailschange/").status_code == 200
    assert client.get("/admin/payouts/adjustmentrequest/").status_code == 200
