"""A small network with two of everything, and who may see which of its rows.

Advertisers A and B; publishers P and Q. A has a public, an approval and a private offer; B a
public one and a private one approved for Q. P has requested A's approval offer.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone
from rest_framework.test import APIClient

from affiliates.models import OfferAccess
from billing.models import Invoice
from offers.models import Offer
from tests import factories
from tests.conftest import client_for
from tracking.clicks.ids import click_id_test_new, click_id_time
from tracking.models import ImpressionSource, SandboxLink, SandboxTraceStep

ROLES = ("manager", "finance", "adv_a", "adv_b", "pub_p", "pub_q")


@dataclass
class World:
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # endpoint -> name -> id
    users: dict[str, object] = field(default_factory=dict)
    clients: dict[str, APIClient] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)  # role -> its client's ApiKey id
    test_click_id: str = ""  # a test click through P's sandbox link on A_pub

    def add(self, endpoint: str, name: str, row) -> None:
        self.rows.setdefault(endpoint, {})[name] = row.id


def build_world() -> World:
    world = World()
    adv_a, adv_b = factories.AdvertiserFactory(name="A"), factories.AdvertiserFactory(name="B")
    world.add("advertisers", "A", adv_a)
    world.add("advertisers", "B", adv_b)
    pub_p, pub_q = factories.PublisherFactory(name="P"), factories.PublisherFactory(name="Q")
    world.add("publishers", "P", pub_p)
    world.add("publishers", "Q", pub_q)

    offers = {
        "A_pub": (adv_a, Offer.Visibility.PUBLIC),
        "A_appr": (adv_a, Offer.Visibility.APPROVAL),
        "A_priv": (adv_a, Offer.Visibility.PRIVATE),
        "B_pub": (adv_b, Offer.Visibility.PUBLIC),
        "B_priv": (adv_b, Offer.Visibility.PRIVATE),
    }
    offer_rows = {}
    for name, (advertiser, visibility) in offers.items():
        offer = factories.OfferFactory(advertiser=advertiser, visibility=visibility, name=name)
        offer_rows[name] = offer
        world.add("offers", name, offer)
        terms = factories.TermsFactory(goal__offer=offer, goal__ref="sale")
        world.add("goals", name, terms.goal)
        world.add("terms", name, terms)
        world.add("caps", name, factories.CapFactory(offer=offer))

    world.add(
        "overrides",
        "P_on_A_pub",
        factories.PublisherOverrideFactory(
            publisher=pub_p, offer=offer_rows["A_pub"], payout_amount=Decimal("8")
        ),
    )
    world.add(
        "overrides",
        "Q_on_B_pub",
        factories.PublisherOverrideFactory(
            publisher=pub_q, offer=offer_rows["B_pub"], payout_amount=Decimal("8")
        ),
    )
    world.add(
        "offer-access",
        "P_A_appr",
        factories.OfferAccessFactory(publisher=pub_p, offer=offer_rows["A_appr"]),
    )
    world.add(
        "offer-access",
        "Q_B_priv",
        factories.OfferAccessFactory(
            publisher=pub_q, offer=offer_rows["B_priv"], status=OfferAccess.Status.APPROVED
        ),
    )
    world.add("postback-templates", "P", factories.PostbackTemplateFactory(publisher=pub_p))
    world.add("postback-templates", "Q", factories.PostbackTemplateFactory(publisher=pub_q))
    # An issued invoice owing more than any amount the schema allows (12 whole digits), so a
    # payment against it is never refused as overpaying: A's, in A's offers' currency.
    owed = Decimal("999999999999.99")
    invoice = Invoice.objects.create(
        advertiser=adv_a,
        currency=offer_rows["A_pub"].currency,
        period_start=date(2001, 1, 1),
        period_end=date(2001, 2, 1),
        status=Invoice.Status.ISSUED,
        series="WORLD",
        number=1,
        charges=owed,
        total=owed,
        issued_at=timezone.now(),
    )
    world.add("invoices", "A", invoice)

    world.users = {
        "manager": factories.ManagerFactory(),
        "finance": factories.FinanceUserFactory(),
        "adv_a": factories.AdvertiserUserFactory(advertiser=adv_a),
        "adv_b": factories.AdvertiserUserFactory(advertiser=adv_b),
        "pub_p": factories.PublisherUserFactory(publisher=pub_p),
        "pub_q": factories.PublisherUserFactory(publisher=pub_q),
    }
    for role, user in world.users.items():
        world.clients[role] = client_for(user)
        key = user.api_keys.get()
        world.keys[role] = key.id
        world.rows.setdefault("api-keys", {})[role] = key.id

    # A test click through a sandbox link of P on A_pub, so a test conversion has a click to
    # convert (sandbox/conversions).
    a_pub = offer_rows["A_pub"]
    link = SandboxLink.objects.create(code="world-sandbox", offer=a_pub, publisher=pub_p)
    world.test_click_id = click_id_test_new()
    factories.ClickFactory(
        click_id=world.test_click_id,
        created_at=click_id_time(world.test_click_id),
        offer_id=a_pub.id,
        publisher_id=pub_p.id,
        link_id=link.id,
    )
    SandboxTraceStep.objects.create(
        click_id=world.test_click_id, link=link, step="redirect", data={}
    )
    # A_pub's CPM is counted from reported impressions, so a report of them is taken
    # (impression-reports: 409 source_is_pixel otherwise).
    ImpressionSource.objects.create(
        offer=a_pub, source=ImpressionSource.Source.REPORTED, set_by=world.users["manager"]
    )
    return world


ALL_OFFERS = {"A_pub", "A_appr", "A_priv", "B_pub", "B_priv"}
A_OFFERS = {"A_pub", "A_appr", "A_priv"}
B_OFFERS = {"B_pub", "B_priv"}
# A publisher sees public offers, `approval` ones it may request, and private ones approved for it.
P_OFFERS = {"A_pub", "A_appr", "B_pub"}
Q_OFFERS = {"A_pub", "A_appr", "B_pub", "B_priv"}

# endpoint -> role -> names of the world's rows the role must see (and no others).
VISIBLE: dict[str, dict[str, set[str]]] = {
    "advertisers": {
        "manager": {"A", "B"},
        "finance": {"A", "B"},
        "adv_a": {"A"},
        "adv_b": {"B"},
        "pub_p": set(),
        "pub_q": set(),
    },
    "offers": {
        "manager": ALL_OFFERS,
        "finance": ALL_OFFERS,
        "adv_a": A_OFFERS,
        "adv_b": B_OFFERS,
        "pub_p": P_OFFERS,
        "pub_q": Q_OFFERS,
    },
    "goals": {
        "manager": ALL_OFFERS,
        "finance": ALL_OFFERS,
        "adv_a": A_OFFERS,
        "adv_b": B_OFFERS,
        "pub_p": P_OFFERS,
        "pub_q": Q_OFFERS,
    },
    "terms": {
        "manager": ALL_OFFERS,
        "finance": ALL_OFFERS,
        "adv_a": A_OFFERS,
        "adv_b": B_OFFERS,
        "pub_p": set(),
        "pub_q": set(),
    },
    "caps": {
        "manager": ALL_OFFERS,
        "finance": ALL_OFFERS,
        "adv_a": A_OFFERS,
        "adv_b": B_OFFERS,
        "pub_p": set(),
        "pub_q": set(),
    },
    "overrides": {
        "manager": {"P_on_A_pub", "Q_on_B_pub"},
        "finance": {"P_on_A_pub", "Q_on_B_pub"},
        "adv_a": set(),
        "adv_b": set(),
        "pub_p": {"P_on_A_pub"},
        "pub_q": {"Q_on_B_pub"},
    },
    "publishers": {
        "manager": {"P", "Q"},
        "finance": {"P", "Q"},
        "adv_a": set(),
        "adv_b": set(),
        "pub_p": {"P"},
        "pub_q": {"Q"},
    },
    "offer-access": {
        "manager": {"P_A_appr", "Q_B_priv"},
        "finance": {"P_A_appr", "Q_B_priv"},
        "adv_a": {"P_A_appr"},
        "adv_b": {"Q_B_priv"},
        "pub_p": {"P_A_appr"},
        "pub_q": {"Q_B_priv"},
    },
    "postback-templates": {
        "manager": {"P", "Q"},
        "finance": {"P", "Q"},
        "adv_a": set(),
        "adv_b": set(),
        "pub_p": {"P"},
        "pub_q": {"Q"},
    },
    "api-keys": {
        "manager": set(ROLES),
        "finance": {"finance"},
        "adv_a": {"adv_a"},
        "adv_b": {"adv_b"},
        "pub_p": {"pub_p"},
        "pub_q": {"pub_q"},
    },
}

# endpoint -> roles that may change (PATCH) a row they can see; everyone else gets 403.
UPDATERS = {
    "advertisers": {"manager", "adv_a", "adv_b"},
    "offers": {"manager", "adv_a", "adv_b"},
    "goals": {"manager", "adv_a", "adv_b"},
    "terms": {"manager", "adv_a", "adv_b"},
    "caps": {"manager", "adv_a", "adv_b"},
    "overrides": {"manager"},
    "publishers": {"manager", "finance", "pub_p", "pub_q"},
    "postback-templates": {"manager", "pub_p", "pub_q"},
}
