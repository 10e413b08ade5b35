"""The Django admin: managers (made staff by user_create) use it; other roles cannot."""

import pytest
from django.test import Client

from accounts.models import Role
from accounts.services import user_create
from offers.models import Offer
from tests import factories
from tests.conftest import signed_in

CHANGELISTS = [
    "accounts/user",
    "offers/advertiser",
    "offers/offer",
    "offers/goal",
    "offers/terms",
    "offers/publisheroverride",
    "offers/cap",
    "affiliates/publisher",
    "affiliates/offeraccess",
    "affiliates/apikey",
    "affiliates/postbacktemplate",
]


def logged_in(user) -> Client:
    return signed_in(Client(), user)


@pytest.fixture
def rows(db):
    factories.TermsFactory()
    factories.PublisherOverrideFactory()
    factories.CapFactory()
    factories.OfferAccessFactory()
    factories.PostbackTemplateFactory()
    factories.ApiKeyFactory()


def test_user_create_makes_managers_staff_and_nobody_else(db):
    manager = user_create(username="m", role=Role.MANAGER, password="x" * 12)
    finance = user_create(username="f", role=Role.FINANCE)
    assert manager.is_staff and not finance.is_staff
    assert manager.check_password("x" * 12) and not finance.has_usable_password()


def test_a_manager_sees_every_changelist_with_search_and_filters(rows):
    client = logged_in(user_create(username="m", role=Role.MANAGER))
    for changelist in CHANGELISTS:
        assert client.get(f"/admin/{changelist}/").status_code == 200, changelist
        assert client.get(f"/admin/{changelist}/?q=x").status_code == 200, changelist
    offer = Offer.objects.first()
    assert client.get(f"/admin/offers/offer/{offer.id}/change/").status_code == 200


@pytest.mark.parametrize(
    "factory",
    [factories.FinanceUserFactory, factories.AdvertiserUserFactory, factories.PublisherUserFactory],
)
def test_other_roles_cannot_use_the_admin_even_if_marked_staff(rows, factory):
    user = factory(is_staff=True)
    client = logged_in(user)
    for changelist in CHANGELISTS:
        assert client.get(f"/admin/{changelist}/").status_code in (302, 403), changelist


def test_the_admin_refuses_what_the_api_refuses(rows):
    client = logged_in(user_create(username="m", role=Role.MANAGER))
    advertiser = factories.AdvertiserFactory()
    response = client.post(
        "/admin/offers/advertiser/add/",
        {"name": "Bad", "status": "active", "ip_allowlist": '["10.0.0.300/24"]'},
    )
    assert response.status_code == 200  # the form again, with the error
    assert b"Malformed CIDR" in response.content
    assert not advertiser.__class__.objects.filter(name="Bad").exists()
