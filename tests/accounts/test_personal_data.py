"""Personal data: a partner user exports its own data and asks for its deletion; finance or a
manager carries the deletion out, and the ledger keeps every amount."""

import json
from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.models import PersonalDataRequest, User
from affiliates.models import ApiKey, Publisher
from offers.models import Advertiser
from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tests.payouts.conftest import entry_write
from tests.portal.conftest import client_as, saved

pytestmark = pytest.mark.django_db


@pytest.fixture
def publisher_user():
    publisher = factories.PublisherFactory(
        name="Jane Doe Media",
        payout_method="wise",
        payout_details={"iban": "DE89370400440532013000", "email": "jane@doe.example"},
    )
    return factories.PublisherUserFactory(
        publisher=publisher, email="jane@doe.example", first_name="Jane", last_name="Doe"
    )


def test_a_publisher_exports_its_user_organisation_masked_details_and_key_prefixes(
    publisher_user,
):
    api = client_for(publisher_user)
    response = api.get("/api/v1/personal-data/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["user"]["email"] == "jane@doe.example"
    assert data["user"]["first_name"] == "Jane"
    assert data["organisation"]["kind"] == "publisher"
    assert data["organisation"]["name"] == "Jane Doe Media"
    iban = data["organisation"]["payout_details"]["iban"]
    assert iban.endswith("3000") and "DE8937" not in iban
    prefixes = {key["prefix"] for key in data["api_keys"]}
    assert prefixes == set(
        ApiKey.objects.filter(user=publisher_user).values_list("prefix", flat=True)
    )
    assert "secret_hash" not in str(data)
    assert isinstance(data["audit_entries"], list)


def test_an_advertiser_exports_its_advertiser(db):
    user = factories.AdvertiserUserFactory(advertiser__name="Acme Shop")
    data = client_for(user).get("/api/v1/personal-data/export/").json()
    assert data["organisation"] == {
        "kind": "advertiser",
        "id": user.advertiser_id,
        "name": "Acme Shop",
        "status": "active",
    }


def test_a_publisher_cannot_export_another_user(publisher_user):
    other = factories.PublisherUserFactory()
    response = client_for(publisher_user).get(f"/api/v1/personal-data/export/?user={other.pk}")
    assert response.status_code == 403
    assert other.email not in response.content.decode()


def test_finance_exports_a_partner_users_data_on_its_behalf(publisher_user):
    response = client_for(factories.FinanceUserFactory()).get(
        f"/api/v1/personal-data/export/?user={publisher_user.pk}"
    )
    assert response.status_code == 200
    assert response.json()["user"]["id"] == publisher_user.pk


def test_a_publisher_asks_for_deletion_once_and_sees_only_its_own_requests(publisher_user):
    other = factories.PublisherUserFactory()
    client_for(other).post("/api/v1/personal-data/requests/")
    api = client_for(publisher_user)
    assert api.post("/api/v1/personal-data/requests/").status_code == 201
    again = api.post("/api/v1/personal-data/requests/")
    assert again.status_code == 400 and again.json()["error"]["code"] == "duplicate"
    listed = api.get("/api/v1/personal-data/requests/").json()["results"]
    assert [row["user"] for row in listed] == [publisher_user.pk]


def test_a_publisher_cannot_carry_out_a_deletion(publisher_user):
    api = client_for(publisher_user)
    row = api.post("/api/v1/personal-data/requests/").json()
    response = api.post(f"/api/v1/personal-data/requests/{row['id']}/erase/")
    assert response.status_code == 403
    assert PersonalDataRequest.objects.get().state == "pending"
    assert User.objects.get(pk=publisher_user.pk).email == "jane@doe.example"


@pytest.mark.parametrize("staff", ["finance", "manager"])
def test_the_deletion_replaces_names_and_details_and_keeps_the_ledger(publisher_user, staff):
    publisher = publisher_user.publisher
    entry_write(publisher=publisher, amount="40.00")
    entry_write(publisher=publisher, amount="-5.50", kind=LedgerEntry.Kind.REVERSAL)
    totals = LedgerEntry.objects.aggregate(total=Sum("amount"))["total"]
    count = LedgerEntry.objects.count()
    row = client_for(publisher_user).post("/api/v1/personal-data/requests/").json()
    actor = factories.FinanceUserFactory() if staff == "finance" else factories.ManagerFactory()

    response = client_for(actor).post(f"/api/v1/personal-data/requests/{row['id']}/erase/")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "done"
    erased = User.objects.get(pk=publisher_user.pk)
    assert not erased.is_active and not erased.has_usable_password()
    assert "jane" not in (erased.email + erased.username + erased.first_name).lower()
    publisher.refresh_from_db()
    assert "Jane" not in publisher.name
    assert "DE89" not in str(publisher.payout_details)
    assert not ApiKey.objects.filter(user=erased, revoked_at__isnull=True).exists()
    assert LedgerEntry.objects.count() == count
    assert LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] == totals == Decimal("34.50")
    again = client_for(actor).post(f"/api/v1/personal-data/requests/{row['id']}/erase/")
    assert again.status_code == 400


def test_an_advertisers_name_stays_while_another_of_its_users_is_active(db):
    user = factories.AdvertiserUserFactory(advertiser__name="Acme Shop")
    factories.AdvertiserUserFactory(advertiser=user.advertiser)
    row = client_for(user).post("/api/v1/personal-data/requests/").json()
    client_for(factories.ManagerFactory()).post(
        f"/api/v1/personal-data/requests/{row['id']}/erase/"
    )
    assert Advertiser.objects.get(pk=user.advertiser_id).name == "Acme Shop"
    assert not User.objects.get(pk=user.pk).is_active
    assert Publisher.objects.count() == 0


def test_the_pages_download_the_export_ask_for_deletion_and_let_finance_carry_it_out(
    publisher_user,
):
    publisher = client_as(saved(publisher_user))
    assert "personal-data" in publisher.get("/personal-data/").content.decode()
    download = publisher.get("/personal-data/export/")
    assert download.status_code == 200
    assert json.loads(download.content)["user"]["email"] == "jane@doe.example"
    publisher.post("/personal-data/request/")
    row = PersonalDataRequest.objects.get()
    refused = publisher.post(f"/personal-data/{row.id}/erase/")
    assert refused.status_code in {302, 403}
    assert PersonalDataRequest.objects.get().state == "pending"

    finance = client_as(saved(factories.FinanceUserFactory()))
    assert publisher_user.username in finance.get("/personal-data/").content.decode()
    finance.post(f"/personal-data/{row.id}/erase/")
    assert PersonalDataRequest.objects.get().state == "done"
    assert not User.objects.get(pk=publisher_user.pk).is_active
