"""The demo network that `make run` loads: 2 advertisers, 4 offers, 3 publishers, keys, links.

Idempotent: every row is found by a fixed name before it is created, so a second run changes
nothing and prints the same ids. Raw API keys cannot be read back from their hashes, so the demo
keys (and the admin password) are derived from SECRET_KEY with HMAC: the same on every run of one
installation, different between installations, never stored. They are demo credentials: anyone
holding SECRET_KEY can derive them, which is no worse than SECRET_KEY itself leaking.
"""

import base64
import hashlib
import hmac
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo_users import ADMIN_USERNAME, DEMO_USERNAMES
from accounts.models import Role, User
from accounts.services import user_create
from affiliates.keys import secret_hash
from affiliates.models import ApiKey, OfferAccess, Publisher
from affiliates.payout_details import payout_details_change_confirm, payout_details_change_request
from affiliates.services import publisher_create
from core.errors import DomainError
from core.network_time import month_first, month_of
from offers.models import Advertiser, Goal, Offer, Terms
from offers.selectors import offer_is_runnable_by
from offers.services import (
    advertiser_create,
    goal_create,
    offer_access_grant,
    offer_create,
    terms_create,
)
from payouts.models import AccountingPeriod
from payouts.services.adjustments import ledger_adjustment_create
from payouts.services.periods import period_close, period_validate
from tracking.links import link_get_or_create, link_url

ADVERTISERS = ["Acme Shop (demo)", "Globex Finance (demo)"]
OFFERS: list[dict[str, Any]] = [
    {
        "advertiser": 0,
        "name": "Acme Shoes - revshare (demo)",
        "landing_url": "https://shoes.acme.example/?cid={click_id}&pub={affiliate_id}&s1={sub1}",
        "goal": ("Sale", "sale"),
        "terms": ("revshare", "0", "20", "revshare", "0", "15"),
    },
    {
        "advertiser": 0,
        "name": "Acme App install - CPA (demo)",
        "landing_url": "https://app.acme.example/install?click={click_id}",
        "goal": ("Install", "install"),
        "terms": ("cpa_flat", "3.00", "0", "cpa_flat", "2.00", "0"),
        "countries": ["US", "CA", "GB"],
    },
    {
        "advertiser": 1,
        "name": "Globex account - CPA + revshare (demo)",
        "landing_url": "https://globex.example/open?tid={transaction_id}",
        "goal": ("Deposit", "deposit"),
        "terms": ("cpa_plus_revshare", "10.00", "5", "cpa_plus_revshare", "6.00", "3"),
        "currency": "EUR",
    },
    {
        "advertiser": 1,
        "name": "Globex VIP - needs approval (demo)",
        "landing_url": "https://vip.globex.example/?tid={click_id}&src={source}",
        "goal": ("Lead", "lead"),
        "terms": ("cpa_flat", "50.00", "0", "cpa_flat", "35.00", "0"),
        "visibility": Offer.Visibility.APPROVAL,
    },
]
PUBLISHERS = ["Coupon Blog (demo)", "Cashback App (demo)", "Social Ads (demo)"]


def _derived(purpose: str, length: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


def demo_password() -> str:
    return _derived("demo:admin-password", 16)


def demo_user_password(username: str) -> str:
    """Each demo user's sign-in password (portal and, for managers, the admin)."""
    return _derived(f"demo:password:{username}", 16)


def _demo_key(*, user: User, name: str) -> str:
    """The user's demo key, the same on every run (found by its derived prefix)."""
    prefix = hashlib.sha256(_derived(f"demo:key-prefix:{name}", 32).encode()).hexdigest()[:8]
    raw = f"ak_{prefix}_{_derived(f'demo:key:{name}', 43)}"
    ApiKey.objects.get_or_create(
        prefix=prefix, defaults={"user": user, "name": name, "secret_hash": secret_hash(raw)}
    )
    return raw


def _user(*, username: str, role: str, **org: int) -> User:
    return User.objects.filter(username=username).first() or user_create(
        username=username, role=role, password=demo_user_password(username), **org
    )


def demo_totp_key(username: str) -> str:
    """The demo's authenticator key for a user that must use two-factor (finance, superuser),
    as hex (django-otp's form); `make run` prints it in base32 for an authenticator app."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"demo:totp:{username}".encode(), hashlib.sha256
    ).digest()
    return digest[:20].hex()


def _demo_two_factor(user: User) -> str | None:
    """Seed the confirmed TOTP device of a demo user who must use two-factor; its base32 key."""
    if not (user.role == Role.FINANCE or user.is_superuser):
        return None
    key = demo_totp_key(user.username)
    TOTPDevice.objects.get_or_create(
        user=user, name="demo", defaults={"key": key, "confirmed": True}
    )
    return base64.b32encode(bytes.fromhex(key)).decode().rstrip("=")


def _staff(*, username: str, role: str, name: str, keys: list[dict[str, str]]) -> User:
    """A staff demo user with its key."""
    user = _user(username=username, role=role)
    keys.append(
        {"role": role, "name": name, "user": username, "key": _demo_key(user=user, name=name)}
    )
    return user


DEMO_OPENING_BALANCE = Decimal("120.00")


def _demo_books(*, publishers: list[Publisher], finance: User, finance2: User) -> None:
    """The demo's books as those of a network a few weeks old, so finance can build (finance)
    and approve (finance2) a batch that pays someone from the first visit.

    Through the services, with the demo finance users as the two people each step needs: each
    publisher's payout details requested by one and confirmed by the other; last month validated
    by one and closed by the other; an opening balance per publisher (a manual adjustment,
    payable at once: no conversion can take it back). The confirmations are dated past
    PAYOUT_DETAILS_COOLDOWN_HOURS: the cool-down guards a fresh change, and these are the
    publishers' details from when they joined. Earnings from the demo's own traffic wait, as in
    production, for their month to close."""
    for index, publisher in enumerate(publishers):
        if publisher.payout_details_changed_at is None:
            change = payout_details_change_request(
                publisher=publisher,
                payout_method=Publisher.PayoutMethod.PAYPAL,
                # (the holder's name too: a demo database seeded before payee checks has the
                # same email in force already, and an unchanged request is refused)
                payout_details={
                    "email": f"payouts+{index + 1}@publisher.example",
                    "account_name": publisher.name,
                },
                requested_by=finance,
            )
            payout_details_change_confirm(change_id=change.id, confirmed_by=finance2)
            joined = timezone.now() - timedelta(hours=settings.PAYOUT_DETAILS_COOLDOWN_HOURS + 24)
            Publisher.objects.filter(id=publisher.id).update(payout_details_changed_at=joined)
        ledger_adjustment_create(
            publisher_id=publisher.id,
            currency=publisher.payout_currency or "USD",
            amount=DEMO_OPENING_BALANCE,
            reason="Demo opening balance",
            created_by=finance,
            idempotency_key="demo-opening-balance",
        )
    last_month = month_first(month_of(at=timezone.now()) - timedelta(days=1))
    period = AccountingPeriod.objects.filter(month=last_month).first()
    try:
        if period is None or period.status == AccountingPeriod.Status.OPEN:
            period_validate(month=last_month, validated_by=finance)
        if period is None or period.status != AccountingPeriod.Status.CLOSED:
            period_close(month=last_month, closed_by=finance2)
    except DomainError:
        # A demo database left for months has earlier months open: they close in the pages.
        pass


@transaction.atomic
def demo_network_seed() -> dict[str, Any]:
    admin = User.objects.filter(username=ADMIN_USERNAME).first() or user_create(
        username=ADMIN_USERNAME,
        role=Role.MANAGER,
        password=demo_password(),
        email="admin@affnet.example",
        is_superuser=True,
    )
    keys: list[dict[str, str]] = [
        {
            "role": "manager",
            "name": "demo-manager",
            "user": admin.username,
            "key": _demo_key(user=admin, name="demo-manager"),
        }
    ]
    # A manager who is not a superuser, and two finance users: nobody moves money alone, so
    # the four-eyes journeys (build/approve, details change/confirm) need two of them.
    _staff(username="manager", role=Role.MANAGER, name="demo-staff-manager", keys=keys)
    finance = _staff(username="finance", role=Role.FINANCE, name="demo-finance", keys=keys)
    finance2 = _staff(username="finance2", role=Role.FINANCE, name="demo-finance-2", keys=keys)

    advertisers = []
    for index, name in enumerate(ADVERTISERS):
        advertiser = Advertiser.objects.filter(name=name).first() or advertiser_create(
            fields={"name": name}
        )
        advertisers.append(advertiser)
        user = _user(
            username=f"advertiser{index + 1}", role=Role.ADVERTISER, advertiser_id=advertiser.id
        )
        key_name = f"demo-advertiser-{index + 1}"
        keys.append(
            {
                "role": "advertiser",
                "name": key_name,
                "user": user.username,
                "key": _demo_key(user=user, name=key_name),
            }
        )

    offers = []
    for spec in OFFERS:
        advertiser = advertisers[spec["advertiser"]]
        offer = Offer.objects.filter(advertiser=advertiser, name=spec["name"]).first()
        if offer is None:
            fields = {
                "name": spec["name"],
                "landing_url": spec["landing_url"],
                "preview_url": spec["landing_url"].split("?")[0],
                "fallback_url": "https://affnet.example/no-offer",
                "currency": spec.get("currency", "USD"),
                "visibility": spec.get("visibility", Offer.Visibility.PUBLIC),
                "countries": spec.get("countries", []),
            }
            offer = offer_create(advertiser=advertiser, fields=fields)
        goal_name, goal_ref = spec["goal"]
        goal = Goal.objects.filter(offer=offer, ref=goal_ref).first() or goal_create(
            offer=offer, fields={"name": goal_name, "ref": goal_ref, "is_default": True}
        )
        if not Terms.objects.filter(goal=goal).exists():
            r_kind, r_amount, r_percent, p_kind, p_amount, p_percent = spec["terms"]
            terms_create(
                goal=goal,
                fields={
                    "revenue_kind": r_kind,
                    "revenue_amount": Decimal(r_amount),
                    "revenue_percent": Decimal(r_percent),
                    "payout_kind": p_kind,
                    "payout_amount": Decimal(p_amount),
                    "payout_percent": Decimal(p_percent),
                },
            )
        offers.append(offer)

    publishers = []
    for index, name in enumerate(PUBLISHERS):
        publisher = Publisher.objects.filter(name=name).first() or publisher_create(
            fields={"name": name, "status": Publisher.Status.ACTIVE}
        )
        publishers.append(publisher)
        user = _user(
            username=f"publisher{index + 1}", role=Role.PUBLISHER, publisher_id=publisher.id
        )
        key_name = f"demo-publisher-{index + 1}"
        keys.append(
            {
                "role": "publisher",
                "name": key_name,
                "user": user.username,
                "key": _demo_key(user=user, name=key_name),
            }
        )

    _demo_books(publishers=publishers, finance=finance, finance2=finance2)

    # The approval offer: approved for the first publisher, the second has asked.
    approval_offer = offers[3]
    if not OfferAccess.objects.filter(offer=approval_offer, publisher=publishers[0]).exists():
        offer_access_grant(
            publisher=publishers[0],
            offer=approval_offer,
            status=OfferAccess.Status.APPROVED,
            decided_by=admin,
        )
    OfferAccess.objects.get_or_create(offer=approval_offer, publisher=publishers[1])

    links = []
    for publisher in publishers:
        for offer in offers:
            if offer_is_runnable_by(publisher_id=publisher.id, offer_id=offer.id):
                link = link_get_or_create(offer_id=offer.id, publisher_id=publisher.id)
                links.append(
                    {"offer_id": offer.id, "publisher_id": publisher.id, "url": link_url(link)}
                )

    return {
        "admin": {
            "username": admin.username,
            "password": demo_password(),
            "totp_key": _demo_two_factor(admin),
        },
        "sign_ins": [
            {"role": str(user.role), "username": user.username}
            | {"password": demo_user_password(user.username)}
            | {"totp_key": _demo_two_factor(user)}
            for user in User.objects.filter(
                is_superuser=False, username__in=DEMO_USERNAMES
            ).order_by("role", "username")
        ],
        "api_keys": keys,
        "links": links,
        "advertisers": [{"id": a.id, "name": a.name} for a in advertisers],
        "offers": [
            {
                "id": o.id,
                "name": o.name,
                "advertiser_id": o.advertiser_id,
                "visibility": o.visibility,
                "currency": o.currency,
                "goals": [
                    {"id": g.id, "ref": g.ref, "is_default": g.is_default} for g in o.goals.all()
                ],
            }
            for o in offers
        ],
        "publishers": [{"id": p.id, "name": p.name} for p in publishers],
    }
