"""Publishers that should be strangers: one payee behind several accounts, links to a banned one."""

import pytest

from affiliates.models import Publisher
from fraud import payee_links
from fraud.payee_links import banned_publisher_linked, payee_links_of, payout_details_shared
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.FRAUD_POLICY_CACHE_SECONDS = 0
    payee_links.payee_links_cache_clear()


def _publisher(details=None, signup_ip=None, email="someone@example.com"):
    publisher = factories.PublisherFactory(
        payout_method="wire", payout_details=details or {}, signup_ip=signup_ip
    )
    factories.PublisherUserFactory(publisher=publisher, email=email)
    return publisher


def test_one_paypal_account_on_two_publishers_links_them_and_nobody_else():
    first = _publisher({"email": "Cash.Out+aff1@Payee.example"})
    second = _publisher({"email": "cash.out@payee.example"})
    stranger = _publisher({"email": "other@payee.example"})

    assert payout_details_shared(publisher_id=first.id) == 1
    assert payout_details_shared(publisher_id=second.id) == 1
    assert payout_details_shared(publisher_id=stranger.id) == 0
    links = payee_links_of(publisher_id=first.id)
    assert [link.as_dict() for link in links.shared_payout] == [
        {"publisher": second.id, "via": "payout_details", "value": "email:cash.out@payee.example"}
    ]


def test_an_iban_written_differently_is_the_same_payee_but_a_shared_bank_code_is_not():
    first = _publisher({"iban": "DE89 3704 0044 0532 0130 00", "swift": "COBADEFFXXX"})
    second = _publisher({"iban": "de89370400440532013000"})
    same_bank = _publisher({"iban": "DE11 3704 0044 0000 0000 01", "swift": "COBADEFFXXX"})

    assert payee_links_of(publisher_id=first.id).shared_payout_publishers == [second.id]
    assert payout_details_shared(publisher_id=same_bank.id) == 0


def test_details_confirmed_through_the_api_count_even_after_they_were_changed_again():
    finance = factories.FinanceUserFactory()
    old_account = _publisher({"email": "old@payee.example"})
    newcomer = _publisher({"email": "fresh@payee.example"})
    publisher_user = newcomer.users.get()

    # The newcomer moves its payouts to the old account's PayPal, a finance user confirms.
    asked = client_for(publisher_user).post(
        "/api/v1/payout-details-changes/",
        {
            "publisher": newcomer.id,
            "payout_method": "paypal",
            "payout_details": {"email": "old@payee.example"},
        },
        format="json",
    )
    assert asked.status_code == 201, asked.content
    confirmed = client_for(finance).post(
        f"/api/v1/payout-details-changes/{asked.json()['id']}/confirm/"
    )
    assert confirmed.status_code == 200, confirmed.content
    assert payout_details_shared(publisher_id=old_account.id) == 1

    # Moving away again does not wash the link out: the confirmed change is history.
    Publisher.objects.filter(id=newcomer.id).update(payout_details={"email": "x@payee.example"})
    assert payout_details_shared(publisher_id=newcomer.id) == 1


def test_a_manager_bans_through_the_api_and_finance_cannot():
    publisher = _publisher()
    finance = client_for(factories.FinanceUserFactory())
    manager = client_for(factories.ManagerFactory())
    url = f"/api/v1/publishers/{publisher.id}/"

    refused = finance.patch(url, {"status": "banned"}, format="json")
    assert refused.status_code in (400, 403), refused.content
    assert Publisher.objects.get(id=publisher.id).status == "active"

    banned = manager.patch(url, {"status": "banned"}, format="json")
    assert banned.status_code == 200, banned.content
    assert banned.json()["status"] == "banned"


def test_a_company_domain_shared_with_a_banned_publisher_links_but_webmail_does_not():
    banned = _publisher(email="boss@shady-media.example")
    Publisher.objects.filter(id=banned.id).update(status=Publisher.Status.BANNED)
    same_company = _publisher(email="intern@Shady-Media.example")
    gmail_banned = _publisher(email="someone@gmail.com")
    Publisher.objects.filter(id=gmail_banned.id).update(status=Publisher.Status.BANNED)
    gmail_user = _publisher(email="another@gmail.com")

    assert banned_publisher_linked(publisher_id=same_company.id) is True
    evidence = payee_links_of(publisher_id=same_company.id).evidence()["banned"]
    assert evidence == [
        {"publisher": banned.id, "via": "email_domain", "value": "shady-media.example"}
    ]
    assert banned_publisher_linked(publisher_id=gmail_user.id) is False


def test_the_sign_up_address_or_a_payee_of_a_banned_publisher_links():
    banned = _publisher({"email": "mule@payee.example"}, signup_ip="198.51.100.7")
    Publisher.objects.filter(id=banned.id).update(status=Publisher.Status.BANNED)
    same_address = _publisher(signup_ip="198.51.100.7")
    same_payee = _publisher({"email": "mule@payee.example"})
    clean = _publisher({"email": "clean@payee.example"}, signup_ip="198.51.100.8")

    assert [link.via for link in payee_links_of(publisher_id=same_address.id).banned] == [
        "signup_ip"
    ]
    assert [link.via for link in payee_links_of(publisher_id=same_payee.id).banned] == [
        "payout_details"
    ]
    assert banned_publisher_linked(publisher_id=clean.id) is False


def test_an_active_publisher_sharing_a_domain_with_another_active_one_is_not_linked():
    _publisher(email="a@agency.example")
    other = _publisher(email="b@agency.example")
    assert banned_publisher_linked(publisher_id=other.id) is False


def test_a_banned_publisher_is_held_out_of_payout_batches():
    from payouts.services.build import PUBLISHER_HELD

    assert "'banned'" in PUBLISHER_HELD
