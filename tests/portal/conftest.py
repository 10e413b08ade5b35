"""A small network for the page tests: two advertisers, offers of each visibility, two
publishers with their users, two finance users and a manager."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from affiliates.keys import secret_hash
from affiliates.models import Publisher
from offers.models import Advertiser, Goal, Offer
from tests import factories
from tests.conftest import signed_in
from tests.portal.browser import browser, landing  # noqa: F401  (fixtures)

ADVERTISER_SECRET = "pbs_portal-test-secret"
PASSWORD = "correct horse battery"


def saved(user: User) -> User:
    """The user factories set the password on the instance only (skip_postgeneration_save):
    store it, so a session (checked against the stored hash) and a real sign-in both work."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@dataclass
class Network:
    advertiser: Advertiser
    other_advertiser: Advertiser
    offer: Offer  # public, advertiser's
    goal: Goal
    approval_offer: Offer
    private_offer: Offer
    other_offer: Offer  # public, other advertiser's
    publisher: Publisher
    other_publisher: Publisher
    publisher_user: User
    other_publisher_user: User
    advertiser_user: User
    other_advertiser_user: User
    finance: User
    other_finance: User
    manager: User


def network_build() -> Network:
    advertiser = factories.AdvertiserFactory(
        name="Acme Shop",
        postback_secret_hash=secret_hash(ADVERTISER_SECRET),
        postback_secret_prefix=ADVERTISER_SECRET[:8],
    )
    other_advertiser = factories.AdvertiserFactory(name="Other Shop")
    offer = factories.OfferFactory(
        advertiser=advertiser,
        name="Acme Summer Sale",
        landing_url="https://shop.example/land?cid={click_id}&s1={sub1}",
    )
    goal = factories.GoalFactory(offer=offer, ref="sale", name="Sale")
    factories.TermsFactory(goal=goal, revenue_amount=Decimal("10.00"), payout_amount=Decimal("7"))
    approval_offer = factories.OfferFactory(
        advertiser=advertiser, name="Acme VIP", visibility=Offer.Visibility.APPROVAL
    )
    private_offer = factories.OfferFactory(
        advertiser=advertiser, name="Acme Secret", visibility=Offer.Visibility.PRIVATE
    )
    other_offer = factories.OfferFactory(advertiser=other_advertiser, name="Other Deal")
    publisher = factories.PublisherFactory(name="Blue Media")
    other_publisher = factories.PublisherFactory(name="Red Media")
    return Network(
        advertiser=advertiser,
        other_advertiser=other_advertiser,
        offer=offer,
        goal=goal,
        approval_offer=approval_offer,
        private_offer=private_offer,
        other_offer=other_offer,
        publisher=publisher,
        other_publisher=other_publisher,
        publisher_user=saved(factories.PublisherUserFactory(username="blue", publisher=publisher)),
        other_publisher_user=saved(
            factories.PublisherUserFactory(username="red", publisher=other_publisher)
        ),
        advertiser_user=saved(
            factories.AdvertiserUserFactory(username="acme", advertiser=advertiser)
        ),
        other_advertiser_user=saved(
            factories.AdvertiserUserFactory(username="other", advertiser=other_advertiser)
        ),
        finance=saved(factories.FinanceUserFactory(username="fiona")),
        other_finance=saved(factories.FinanceUserFactory(username="frank")),
        manager=saved(factories.ManagerFactory(username="maria", is_staff=True)),
    )


@pytest.fixture
def net(db) -> Network:
    return network_build()


class PortalClient(Client):
    """A browser-like client: a session, and Django's CSRF checks ON (enforce_csrf_checks).

    Like a browser, it sends back the CSRF token the pages gave it: every portal page renders
    the sign-out form, so the first page it sees sets the `csrftoken` cookie, and `post` puts
    that token in the form's `csrfmiddlewaretoken` field (fetching a page first if it has seen
    none). `post(..., csrf_token=False)` sends none, as a forged cross-site form would.
    """

    def __init__(self) -> None:
        super().__init__(enforce_csrf_checks=True)

    def csrf_token(self) -> str:
        if settings.CSRF_COOKIE_NAME not in self.cookies:
            self.get("/", follow=True)
        return self.cookies[settings.CSRF_COOKIE_NAME].value

    def post(self, path, data=None, *args, csrf_token: bool = True, **extra):
        if csrf_token and (data is None or isinstance(data, dict)):
            data = {"csrfmiddlewaretoken": self.csrf_token(), **(data or {})}
        return super().post(path, data, *args, **extra)


def totp_code(device: TOTPDevice) -> str:
    """The code the user's authenticator app would show now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def client_as(user: User, *, verified: bool = True) -> PortalClient:
    """A browser-like client (session, CSRF checks on) signed in as `user`, its two-factor
    code given unless `verified=False` (tests.conftest.signed_in)."""
    return signed_in(PortalClient(), user, verified=verified)
