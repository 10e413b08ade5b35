"""Where a publisher is paid changes only when another person confirms the change."""

from decimal import Decimal

import pytest

from affiliates.models import PayoutDetailsChange, Publisher
from tests import factories
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db]

CHANGES = "/api/v1/payout-details-changes/"


@pytest.fixture
def publisher():
    return factories.PublisherFactory(
        payout_method="paypal", payout_details={"email": "old@pub.example"}
    )


def ask(client, publisher, email="new@pub.example", method="paypal"):
    return client.post(
        CHANGES,
        {"publisher": publisher.id, "payout_method": method, "payout_details": {"email": email}},
        format="json",
    )


def details(publisher):
    return Publisher.objects.get(id=publisher.id).payout_details


def test_a_publishers_own_change_waits_for_a_finance_confirmation(publisher, finance):
    own = client_for(factories.PublisherUserFactory(publisher=publisher))

    asked = ask(own, publisher)
    assert asked.status_code == 201, asked.json()
    assert (asked.json()["state"], asked.json()["old_payout_details"]) == (
        "pending",
        {"email": "old@pub.example"},
    )
    assert details(publisher) == {"email": "old@pub.example"}
    assert own.post(f"{CHANGES}{asked.json()['id']}/confirm/").status_code == 403

    confirmed = client_for(finance).post(f"{CHANGES}{asked.json()['id']}/confirm/")

    assert confirmed.json()["state"] == "confirmed"
    assert details(publisher) == {"email": "new@pub.example"}
    assert Publisher.objects.get(id=publisher.id).payout_details_changed_at is not None


def test_a_finance_users_change_needs_another_finance_user(publisher, finance, finance2):
    asked = ask(client_for(finance), publisher).json()

    refused = client_for(finance).post(f"{CHANGES}{asked['id']}/confirm/")
    assert refused.status_code == 403
    assert details(publisher) == {"email": "old@pub.example"}
    assert PayoutDetailsChange.objects.get(id=asked["id"]).state == "pending"

    client_for(finance2).post(f"{CHANGES}{asked['id']}/confirm/")
    assert details(publisher) == {"email": "new@pub.example"}


def test_managers_write_neither_payout_details_nor_payout_settings(publisher, manager_client):
    url = f"/api/v1/publishers/{publisher.id}/"
    for body in (
        {"payout_details": {"email": "m@evil.example"}},
        {"payout_method": "wise"},
        {"payout_currency": "EUR"},
        {"hold_days": 0},
        {"minimum_payout": "0.01"},
    ):
        assert manager_client.patch(url, body, format="json").status_code == 400, body
    assert ask(manager_client, publisher).status_code == 403
    assert manager_client.patch(url, {"name": "Renamed"}, format="json").status_code == 200
    publisher.refresh_from_db()
    assert (publisher.payout_details, publisher.payout_currency, publisher.hold_days) == (
        {"email": "old@pub.example"},
        "USD",
        None,
    )
    assert not PayoutDetailsChange.objects.exists()


def test_finance_sets_payout_settings_directly_but_not_details(publisher, finance):
    client = client_for(finance)
    url = f"/api/v1/publishers/{publisher.id}/"
    settings = client.patch(url, {"minimum_payout": "25.00", "hold_days": 3}, format="json")
    assert settings.status_code == 200, settings.json()
    direct = client.patch(url, {"payout_details": {"email": "f@evil.example"}}, format="json")
    assert (direct.status_code, direct.json()["error"]["code"]) == (400, "confirmation_required")
    publisher.refresh_from_db()
    assert (publisher.minimum_payout, publisher.hold_days) == (Decimal("25"), 3)
    assert publisher.payout_details == {"email": "old@pub.example"}


def test_a_publisher_asks_only_for_its_own_publisher_and_sets_no_payout_settings(publisher):
    other = client_for(factories.PublisherUserFactory())
    assert ask(other, publisher).status_code == 400  # a foreign publisher "does not exist"
    own = client_for(factories.PublisherUserFactory(publisher=publisher))
    url = f"/api/v1/publishers/{publisher.id}/"
    assert own.patch(url, {"payout_currency": "EUR"}, format="json").status_code == 400
    assert own.patch(url, {"name": "Mine"}, format="json").status_code == 200
    assert not PayoutDetailsChange.objects.exists()


def test_a_rejected_or_superseded_change_never_takes_effect(publisher, finance):
    own = client_for(factories.PublisherUserFactory(publisher=publisher))
    first = ask(own, publisher, email="first@pub.example").json()
    second = ask(own, publisher, email="second@pub.example").json()
    assert PayoutDetailsChange.objects.get(id=first["id"]).state == "superseded"
    assert client_for(finance).post(f"{CHANGES}{first['id']}/confirm/").status_code == 409

    rejected = client_for(finance).post(f"{CHANGES}{second['id']}/reject/")

    assert rejected.json()["state"] == "rejected"
    assert details(publisher) == {"email": "old@pub.example"}


def test_bad_payout_details_are_refused(publisher, finance):
    client = client_for(finance)
    assert ask(client, publisher, email="not-an-email").json()["error"]["code"] == (
        "email_required"
    )
    assert ask(client, publisher, email="old@pub.example").json()["error"]["code"] == "unchanged"
    assert not PayoutDetailsChange.objects.exists()
