"""factory-boy factories for every model."""

from datetime import UTC, datetime
from decimal import Decimal

import factory
from ulid import ULID

from accounts.models import Role, User
from affiliates.models import ApiKey, OfferAccess, PostbackTemplate, Publisher
from offers.models import Advertiser, Cap, Goal, Offer, PublisherOverride, Terms, TermsKind
from payouts.models import LedgerEntry
from tracking.models import CallbackInbox, Click, Conversion, TrackingLink


class AdvertiserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advertiser

    name = factory.Sequence(lambda n: f"Advertiser {n}")


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    advertiser = factory.SubFactory(AdvertiserFactory)
    name = factory.Sequence(lambda n: f"Offer {n}")
    landing_url = "https://shop.example/land?cid={click_id}"
    fallback_url = "https://shop.example/fallback"
    currency = "USD"


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    offer = factory.SubFactory(OfferFactory)
    name = factory.Sequence(lambda n: f"Goal {n}")
    ref = factory.Sequence(lambda n: f"goal-{n}")
    is_default = True


class TermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Terms

    goal = factory.SubFactory(GoalFactory)
    revenue_kind = TermsKind.CPA_FLAT
    revenue_amount = Decimal("10.00")
    payout_kind = TermsKind.CPA_FLAT
    payout_amount = Decimal("7.00")


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher

    name = factory.Sequence(lambda n: f"Publisher {n}")
    status = Publisher.Status.ACTIVE
    payout_details = factory.LazyAttribute(lambda o: {"email": f"pay-{o.name[-3:]}@pub.example"})
    # Details a second person confirmed long ago (affiliates.payout_details): batches pay only
    # confirmed details, and hold recent changes.
    payout_details_changed_at = datetime(2020, 1, 1, tzinfo=UTC)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = Role.MANAGER
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")


class ManagerFactory(UserFactory):
    role = Role.MANAGER


class FinanceUserFactory(UserFactory):
    role = Role.FINANCE


class AdvertiserUserFactory(UserFactory):
    role = Role.ADVERTISER
    advertiser = factory.SubFactory(AdvertiserFactory)


class PublisherUserFactory(UserFactory):
    role = Role.PUBLISHER
    publisher = factory.SubFactory(PublisherFactory)


class PublisherOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublisherOverride

    publisher = factory.SubFactory(PublisherFactory)
    offer = factory.SubFactory(OfferFactory)
    payout_kind = TermsKind.CPA_FLAT
    payout_amount = Decimal("8.00")


class CapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cap

    offer = factory.SubFactory(OfferFactory)
    limit = Decimal("10")


class OfferAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfferAccess

    publisher = factory.SubFactory(PublisherFactory)
    offer = factory.SubFactory(OfferFactory)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """Prefer `affiliates.keys.api_key_create` in tests that need the raw key."""

    class Meta:
        model = ApiKey

    user = factory.SubFactory(ManagerFactory)
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    secret_hash = "0" * 64


class PostbackTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostbackTemplate

    publisher = factory.SubFactory(PublisherFactory)
    url = "https://pub.example/pb?click={click_id}&payout={payout}"
    events = ["approved"]


class TrackingLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingLink

    code = factory.Sequence(lambda n: f"lnk{n:09d}")
    offer = factory.SubFactory(OfferFactory)
    publisher = factory.SubFactory(PublisherFactory)


class ClickFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Click

    click_id = factory.LazyFunction(lambda: str(ULID()))
    # The time the ULID encodes, as the ingester stores it (tracking/clicks/ids.py).
    created_at = factory.LazyAttribute(lambda o: ULID.from_str(o.click_id).datetime)
    offer_id = factory.LazyAttribute(lambda o: OfferFactory().id)
    publisher_id = factory.LazyAttribute(lambda o: PublisherFactory().id)
    # One visitor a click (TEST-NET-3, then 198.18/15): a shared address is a fraud signal
    # (repeated conversions per address, fraud/traffic.py) that only the fraud tests mean.
    ip = factory.Sequence(lambda n: f"198.{18 + n // 65025 % 2}.{n // 255 % 255}.{n % 255 + 1}")
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"


class CallbackInboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallbackInbox

    method = "GET"
    path = "/postback"
    params = factory.LazyAttribute(lambda o: {"click_id": o.click_id})
    click_id = factory.LazyFunction(lambda: str(ULID()))


class ConversionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversion

    goal = factory.SubFactory(GoalFactory)
    offer = factory.SelfAttribute("goal.offer")
    advertiser = factory.SelfAttribute("goal.offer.advertiser")
    publisher = factory.SubFactory(PublisherFactory)
    click_id = factory.LazyFunction(lambda: str(ULID()))
    click_created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    status = Conversion.Status.APPROVED
    currency = "USD"
    revenue = Decimal("10.00")
    payout = Decimal("7.00")


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerEntry

    publisher = factory.SubFactory(PublisherFactory)
    currency = "USD"
    kind = LedgerEntry.Kind.EARNING
    amount = Decimal("7.00")
    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
