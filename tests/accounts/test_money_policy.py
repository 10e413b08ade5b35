"""The money policy, walked through the real edges: every action x every role.

Generated from accounts/policy.py: for each money-moving action there is a scene (a network in
the state the action needs, and the request that attempts it); every member of the cast tries
it through the real endpoint (the API with its key, or the admin with a session). What the
policy says of that person with that scene's facts is what must happen: allowed means a 2xx and
a change; refused means a 4xx and nothing changed (no ledger entry, conversion change, batch
move, export, key, request or password). A new Action without a scene fails this file.

    python scripts/with_services.py -- .venv/bin/pytest -q tests/accounts/test_money_policy.py
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import PersonalDataRequest, StaffChange, User
from accounts.personal_data import personal_data_erasure_request
from accounts.policy import POLICY, Action, policy_allows
from affiliates.models import ApiKey, PayoutDetailsChange, Publisher, TrafficSource
from affiliates.payout_details import payout_details_change_request
from core.network_time import month_of
from fraud.compliance import compliance_cache_clear
from fraud.models import FraudRule
from fraud.payee_links import payee_links_cache_clear
from offers.creative_test_services import ArmAsked, creative_test_start
from offers.creative_tests import CreativeTest, CreativeTestArm
from offers.creatives import Creative
from offers.landing import LandingTest, LandingVariant
from offers.landing_services import landing_test_start
from offers.models import Offer, OfferTerms, Terms
from payouts.models import (
    AccountingPeriod,
    AdjustmentRequest,
    LedgerEntry,
    LineFailureRequest,
    PayoutBatch,
    TaxForm,
)
from payouts.selectors import payout_batch_authors, payout_batch_digest
from payouts.services import (
    ledger_adjustment_create,
    payout_batch_approve,
    payout_batch_build,
    payout_batch_export,
    payout_batch_mark_paid,
    payout_line_failure_request,
)
from payouts.services.payees import tax_form_upload
from payouts.services.periods import period_validate
from tests import factories
from tests.conftest import client_for, signed_in
from tests.payouts.conftest import entry_write
from tracking.clicks.resolve import link_cache_clear
from tracking.models import Conversion, ImpressionReport, ImpressionSource, TrackingDomain

pytestmark = pytest.mark.django_db

CAST = ("visitor", "publisher", "advertiser", "manager", "finance", "finance2", "superuser")


@dataclass
class Network:
    """One advertiser, one publisher, and a person of every role; `row` is the scene's target."""

    users: dict[str, User | None]
    advertiser: Any
    publisher: Publisher
    goal: Any
    terms: Terms
    clients: dict[str, APIClient] = field(default_factory=dict)
    row: Any = None
    explained: Any = None

    def api(self, who: str) -> APIClient:
        return self.clients[who]

    def admin(self, who: str) -> Client:
        client = Client()
        user = self.users[who]
        return client if user is None else signed_in(client, user)


@pytest.fixture(scope="module")
def network_of_the_module(django_db_setup, django_db_blocker) -> Iterator[tuple[Network, dict]]:
    """The cast and its rows, built once for the module (a dozen users and keys take most of a
    second, times every action x role) inside a transaction rolled back at the module's end.
    Each test gets them afresh from the database (`network`) inside a savepoint of its own, rolled
    back after it, so no scene sees another's rows or in-memory changes."""
    with django_db_blocker.unblock(), transaction.atomic():
        advertiser = factories.AdvertiserFactory()
        publisher = factories.PublisherFactory(
            minimum_payout=Decimal("1"),
            hold_days=None,
            payout_method="paypal",
            payout_details={"email": "pub@pub.example"},
        )
        terms = factories.TermsFactory(goal__offer__advertiser=advertiser)
        users = {
            "visitor": None,
            "publisher": factories.PublisherUserFactory(publisher=publisher),
            "advertiser": factories.AdvertiserUserFactory(advertiser=advertiser),
            "manager": factories.ManagerFactory(is_staff=True),
            "finance": factories.FinanceUserFactory(),
            "finance2": factories.FinanceUserFactory(),
            "superuser": factories.ManagerFactory(is_superuser=True, is_staff=True),
        }
        for user in users.values():
            if user is not None:
                user.save()  # the factories set the password in memory only; sessions check it
        # Keys are minted before any scene, so minting one is never mistaken for the scene's
        # effect.
        keys = {
            who: client_for(user)._credentials["HTTP_AUTHORIZATION"]
            for who, user in users.items()
            if user is not None
        }
        built = Network(
            users=users, advertiser=advertiser, publisher=publisher, goal=terms.goal, terms=terms
        )
        yield built, keys
        transaction.set_rollback(True)


def _fresh(row):
    return type(row).objects.get(pk=row.pk)


@pytest.fixture
def network(settings, network_of_the_module, db) -> Network:
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYOUT_DETAILS_COOLDOWN_HOURS = 0
    # Caches of this process keyed by the shared rows' ids start empty, as with new rows.
    payee_links_cache_clear()
    compliance_cache_clear()
    link_cache_clear()
    built, keys = network_of_the_module
    clients = {}
    for who in CAST:
        clients[who] = APIClient()
        if who in keys:
            clients[who].credentials(HTTP_AUTHORIZATION=keys[who])
    terms = _fresh(built.terms)
    return Network(
        users={who: None if user is None else _fresh(user) for who, user in built.users.items()},
        advertiser=_fresh(built.advertiser),
        publisher=_fresh(built.publisher),
        goal=terms.goal,
        terms=terms,
        clients=clients,
    )


@dataclass(frozen=True)
class Scene:
    """`prepare` puts the network in the state the action needs and returns the facts the edge
    will give the policy; `attempt` is the real request; `state` reads what money there is."""

    action: Action
    name: str
    prepare: Callable[[Network], dict[str, Any]]
    attempt: Callable[[Network, str], Any]
    state: Callable[[Network], Any]


def money_state(net: Network) -> tuple:
    """Everything a money action could move, as comparable values."""
    return (
        tuple(LedgerEntry.objects.order_by("id").values_list("kind", "amount", "batch_line_id")),
        tuple(
            Conversion.objects.order_by("id").values_list(
                "status", "payout", "revenue", "reject_reason"
            )
        ),
        tuple(PayoutBatch.objects.order_by("id").values_list("status", "approved_by_id")),
        tuple(Terms.objects.order_by("id").values_list("revenue_amount", "payout_amount")),
        tuple(AdjustmentRequest.objects.order_by("id").values_list("state")),
        tuple(PayoutDetailsChange.objects.order_by("id").values_list("state")),
        tuple(LineFailureRequest.objects.order_by("id").values_list("state")),
        Publisher.objects.filter(pk=net.publisher.pk).values_list(
            "payout_method", "payout_details", "hold_days"
        )[0],
        tuple(ApiKey.objects.order_by("id").values_list("user_id", "revoked_at")),
        tuple(StaffChange.objects.order_by("id").values_list("state")),
        tuple(User.objects.order_by("id").values_list("password", "is_active", "role")),
    )


# --- conversions -----------------------------------------------------------------------------


# 10% of the sale to the network, 7% to the publisher: the factory's figures on a sale of 100.
REVSHARE_TERMS = {
    "revenue_kind": "revshare",
    "revenue_percent": "10",
    "payout_kind": "revshare",
    "payout_percent": "7",
}


def _conversion(net: Network, age: timedelta | None = None, **fields) -> dict[str, Any]:
    net.row = factories.ConversionFactory(goal=net.goal, publisher=net.publisher, **fields)
    if age is not None:  # created_at is set on insert; the reversal window reads it
        Conversion.objects.filter(pk=net.row.pk).update(created_at=timezone.now() - age)
        net.row.refresh_from_db()
    return {
        "advertiser_id": net.row.advertiser_id,
        "hold_reason": net.row.reject_reason if net.row.status == "pending" else "",
        "reason": "checked with the advertiser",
        "within_reversal_window": net.row.created_at
        > timezone.now() - timedelta(days=net.goal.offer.reversal_window_days),
    }


def _conversion_post(verb: str, body: dict | None = None):
    def attempt(net: Network, who: str):
        url = f"/api/v1/conversions/{net.row.pk}/{verb}/"
        payload = {"reason": "checked with the advertiser", **(body or {})}
        return net.api(who).post(url, payload, format="json")

    return attempt


# --- payouts ---------------------------------------------------------------------------------


def _earning(net: Network, amount: str = "40.00") -> None:
    entry_write(publisher=net.publisher, amount=amount, at=timezone.now() - timedelta(days=1))


def _draft(net: Network) -> PayoutBatch:
    _earning(net)
    return payout_batch_build(currency="USD", built_by=net.users["finance"])


def _approved(net: Network) -> PayoutBatch:
    batch = _draft(net)
    return payout_batch_approve(
        batch_id=batch.id,
        approved_by=net.users["finance2"],
        digest=payout_batch_digest(batch_id=batch.id),
    )


def _paid(net: Network) -> PayoutBatch:
    batch = _approved(net)
    payout_batch_export(
        batch_id=batch.id, exported_by=net.users["finance"], export_format="standard"
    )
    return payout_batch_mark_paid(batch_id=batch.id, paid_by=net.users["finance"])


def _batch_scene(make: Callable[[Network], PayoutBatch], facts: Callable[[Network], dict]):
    def prepare(net: Network) -> dict[str, Any]:
        net.row = make(net)
        return facts(net)

    return prepare


def _batch_post(path: str, body: Callable[[Network], dict] | None = None):
    def attempt(net: Network, who: str):
        url = f"/api/v1/payout-batches/{net.row.id}/{path}"
        return net.api(who).post(url, body(net) if body else {}, format="json")

    return attempt


def _first_line_id(net: Network) -> int:
    return net.row.lines.order_by("id").first().id


def _prepare_line_failure(net: Network) -> dict[str, Any]:
    net.row = _paid(net)
    failure = payout_line_failure_request(
        batch_id=net.row.id, line_id=_first_line_id(net), requested_by=net.users["finance"]
    )
    return {"requested_by_id": failure.requested_by_id}


def _prepare_adjustment_request(net: Network, settings_limit: Decimal = Decimal("10")) -> dict:
    from django.conf import settings

    settings.PAYOUT_ADJUSTMENT_CONFIRM_ABOVE = settings_limit
    net.row = ledger_adjustment_create(
        publisher_id=net.publisher.id,
        currency="USD",
        amount=Decimal("500.00"),
        reason="goodwill",
        created_by=net.users["finance"],
    )
    assert isinstance(net.row, AdjustmentRequest)
    return {"requested_by_id": net.row.requested_by_id, "publisher_id": net.publisher.id}


def _prepare_details_change(net: Network) -> dict[str, Any]:
    net.row = payout_details_change_request(
        publisher=net.publisher,
        payout_method="paypal",
        payout_details={"email": "new@pub.example"},
        requested_by=net.users["finance"],
    )
    return {"requested_by_id": net.row.requested_by_id}


# --- people ----------------------------------------------------------------------------------


def _prepare_target(role: str) -> Callable[[Network], dict[str, Any]]:
    def prepare(net: Network) -> dict[str, Any]:
        if role == "publisher":
            net.row = factories.PublisherUserFactory(publisher=net.publisher)
        else:
            net.row = factories.FinanceUserFactory()
        return {"target": net.row, "target_role": net.row.role}

    return prepare


def _mint_key_for_target(net: Network, who: str):
    return net.api(who).post(
        "/api/v1/api-keys/", {"user": net.row.pk, "name": "borrowed"}, format="json"
    )


def _reset_password_in_admin(net: Network, who: str):
    url = f"/admin/accounts/user/{net.row.pk}/password/"
    password = "a-New-password-9431"
    return net.admin(who).post(url, {"password1": password, "password2": password})


def _prepare_staff_change(net: Network) -> dict[str, Any]:
    from accounts.services import user_save

    target = User(username="new-finance", role="finance")
    net.row = user_save(user=target, by=net.users["superuser"])
    return {"requested_by_id": net.row.requested_by_id, "target_id": net.row.target_id}


def _settings_patch(net: Network, who: str):
    return net.api(who).patch(
        f"/api/v1/publishers/{net.publisher.pk}/", {"hold_days": 3}, format="json"
    )


def _last_month() -> str:
    return f"{(month_of(at=timezone.now()) - timedelta(days=1)):%Y-%m}"


def _prepare_validated_period(net: Network) -> dict[str, Any]:
    last = (month_of(at=timezone.now()) - timedelta(days=1)).replace(day=1)
    net.row = period_validate(month=last, validated_by=net.users["finance"])
    return {"validated_by_id": net.row.validated_by_id}


PDF = b"%PDF-1.4\n% a form\n"


def _tax_form_post(net: Network, who: str):
    body = {"kind": "w9", "signed_on": "2024-01-31", "document": SimpleUploadedFile("w9.pdf", PDF)}
    if who in ("finance", "finance2", "manager", "superuser"):
        body["publisher"] = net.publisher.id
    return net.api(who).post("/api/v1/tax-forms/", body, format="multipart")


def _prepare_tax_form(net: Network) -> dict[str, Any]:
    net.row = tax_form_upload(
        publisher_id=net.publisher.id,
        kind="w9",
        signed_on=date(2024, 1, 31),
        document=SimpleUploadedFile("w9.pdf", PDF),
        uploaded_by=net.users["publisher"],
    )
    return {"uploaded_by_id": net.row.uploaded_by_id}


# Advertiser billing (billing/): finance bills and records money; budgets also managers.
def _billing_state(net: Network) -> tuple:
    from billing.models import FundsLimit, Invoice, Payment, RevenueBudget, TopUp

    return (
        tuple(Invoice.objects.order_by("id").values_list("status", "number", "total")),
        tuple(Payment.objects.order_by("id").values_list("amount")),
        tuple(TopUp.objects.order_by("id").values_list("amount")),
        tuple(FundsLimit.objects.order_by("id").values_list("credit_limit")),
        tuple(RevenueBudget.objects.order_by("id").values_list("amount")),
    )


def _billable(net: Network) -> dict[str, Any]:
    factories.ConversionFactory(goal=net.goal, publisher=net.publisher, revenue=Decimal("9.00"))
    return {}


def _invoice_draft(net: Network) -> dict[str, Any]:
    """A draft for last month, which is closed: an invoice is issued once its month is."""
    from billing.services.invoices import invoice_drafts_build
    from payouts.services.periods import period_close, period_validate
    from tracking.models import Conversion

    last_month = (timezone.now().date().replace(day=1) - timedelta(days=1)).replace(day=1)
    row = factories.ConversionFactory(
        goal=net.goal, publisher=net.publisher, revenue=Decimal("9.00")
    )
    Conversion.objects.filter(id=row.id).update(
        created_at=timezone.now() - timedelta(days=timezone.now().day + 1)
    )
    period_validate(month=last_month, validated_by=net.users["finance"])
    period_close(month=last_month, closed_by=net.users["finance2"])
    (net.row,) = invoice_drafts_build(
        advertiser_id=net.advertiser.id, period_start=last_month, built_by=net.users["finance"]
    )
    return {}


def _sandbox_click(net: Network) -> dict[str, Any]:
    """A test link of the network's pair, and one test click through it."""
    from tracking.clicks.ids import click_id_test_new, click_id_time
    from tracking.models import SandboxLink, SandboxTraceStep

    link = SandboxLink.objects.create(
        code="sandbox-scene", offer_id=net.goal.offer_id, publisher=net.publisher
    )
    click_id = click_id_test_new()
    factories.ClickFactory(
        click_id=click_id,
        created_at=click_id_time(click_id),
        offer_id=net.goal.offer_id,
        publisher_id=net.publisher.id,
        link_id=link.id,
    )
    SandboxTraceStep.objects.create(click_id=click_id, link=link, step="redirect", data={})
    net.row = {"link": link.id, "click_id": click_id}
    return {"publisher_id": net.publisher.id, "advertiser_id": net.advertiser.id}


def _sandbox_state(net: Network) -> tuple:
    from tracking.models import CallbackInbox, Click, SandboxLink, SandboxTraceStep

    return (
        list(SandboxLink.objects.values_list("id", flat=True)),
        list(SandboxTraceStep.objects.values_list("id", flat=True)),
        list(CallbackInbox.objects.values_list("id", flat=True)),
        list(Click.objects.values_list("click_id", flat=True)),
    )


def _invoice_issued(net: Network) -> dict[str, Any]:
    from billing.services.invoices import invoice_issue

    _invoice_draft(net)
    net.row = invoice_issue(invoice_id=net.row.id, issued_by=net.users["finance"])
    return {}


# --- explain this payout (a read: the scene's state is what was shown) ---------------------


def _explainable(net: Network) -> dict[str, Any]:
    # Reading changes nothing, so the scene's state is what the caller was shown.
    net.explained = None
    facts = _conversion(net, status="approved")
    return {"advertiser_id": facts["advertiser_id"], "publisher_id": net.publisher.id}


def _explain(net: Network, who: str):
    response = net.api(who).get(f"/api/v1/conversions/{net.row.pk}/explain/")
    if response.status_code == 200:
        net.explained = (response.json()["conversion"], response.json()["side"])
    return response


def _landing_test(net: Network) -> dict[str, Any]:
    offer = net.goal.offer
    for name in ("a", "b"):
        LandingVariant.objects.create(offer=offer, name=name, url=f"https://{name}.example/")
    test = landing_test_start(offer=offer, goal=net.goal)
    net.row = {"test": test.id, "winner": LandingVariant.objects.get(offer=offer, name="b").id}
    return {"advertiser_id": net.advertiser.id}


def _impressions_reported(net: Network) -> dict[str, Any]:
    ImpressionSource.objects.create(offer_id=net.goal.offer_id, source="reported")
    return {"advertiser_id": net.advertiser.id}


def _impression_report(net: Network, who: str):
    return net.api(who).post(
        "/api/v1/impression-reports/",
        {
            "report_id": f"{who}-1",
            "offer": net.goal.offer_id,
            "publisher": net.publisher.id,
            "day": (date.today() - timedelta(days=1)).isoformat(),
            "count": 12_345,
        },
        format="json",
    )


def _landing_state(net: Network) -> tuple:
    return (
        list(LandingTest.objects.values_list("status", "winner_id")),
        Offer.objects.get(id=net.goal.offer_id).landing_url,
    )


def _creative_test(net: Network) -> dict[str, Any]:
    offer = net.goal.offer
    creatives = [
        Creative.objects.create(
            offer=offer, name=name, kind=Creative.Kind.TEXT, text=name, approved=True
        )
        for name in ("a", "b")
    ]
    test = creative_test_start(
        offer=offer,
        name="t",
        goal=net.goal,
        arms=[ArmAsked(creative, 1) for creative in creatives],
        actor=factories.ManagerFactory(),
    )
    net.row = {"test": test.id, "winner": creatives[1].id}
    return {"advertiser_id": net.advertiser.id}


def _creative_test_state(net: Network) -> tuple:
    return (
        list(CreativeTest.objects.values_list("status", "winner_id")),
        list(CreativeTestArm.objects.order_by("id").values_list("is_active", flat=True)),
    )


def _erasure_requested(net: Network) -> dict[str, Any]:
    target = net.users["publisher"]
    net.row = personal_data_erasure_request(user=target)
    return {"target": target, "target_role": target.role}


def _personal_data_state(net: Network) -> tuple:
    return (
        tuple(PersonalDataRequest.objects.order_by("id").values_list("user_id", "state")),
        tuple(User.objects.order_by("id").values_list("email", "is_active")),
        Publisher.objects.filter(pk=net.publisher.pk).values_list("name", "payout_details")[0],
    )


def _revenue_cut_asked(net: Network) -> dict[str, Any]:
    from offers.revenue_cut_services import revenue_cut_request

    net.row = revenue_cut_request(
        goal=net.goal,
        fields={"revenue_kind": "cpa_flat", "revenue_amount": Decimal("8.00")},
        reason="our margin fell",
        requested_by=net.users["advertiser"],
    )
    return {}


def _revenue_cut_state(net: Network) -> tuple:
    from offers.models import RevenueCutRequest

    states = RevenueCutRequest.objects.order_by("id").values_list("state", "rejection_reason")
    return money_state(net), tuple(states)


SCENES = [
    Scene(
        Action.CONVERSION_APPROVE,
        "held for the advertiser",
        lambda net: _conversion(net, status="pending", reject_reason="advertiser_approval"),
        _conversion_post("approve"),
        money_state,
    ),
    Scene(
        Action.CONVERSION_APPROVE,
        "held by the network (amount limit)",
        lambda net: _conversion(net, status="pending", reject_reason="amount_above_limit"),
        _conversion_post("approve"),
        money_state,
    ),
    Scene(
        Action.CONVERSION_APPROVE,
        "rejected by the network (bot)",
        lambda net: _conversion(net, status="rejected", reject_reason="bot_click"),
        _conversion_post("approve"),
        money_state,
    ),
    Scene(
        Action.CONVERSION_REJECT,
        "pending",
        lambda net: _conversion(net, status="pending", reject_reason="advertiser_approval"),
        _conversion_post("reject"),
        money_state,
    ),
    Scene(
        Action.CONVERSION_REVERSE,
        "approved",
        lambda net: _conversion(net, status="approved"),
        _conversion_post("reverse"),
        money_state,
    ),
    Scene(
        Action.CONVERSION_REVERSE,
        "approved, past the offer's reversal window",
        lambda net: _conversion(net, status="approved", age=timedelta(days=120)),
        _conversion_post("reverse"),
        money_state,
    ),
    Scene(
        Action.CONVERSION_SALE_LOWER,
        "approved, sale amount lowered",
        lambda net: _conversion(
            net, status="approved", sale_amount=Decimal("100.00"), terms=REVSHARE_TERMS
        ),
        _conversion_post("lower-sale", {"sale_amount": "40.00"}),
        money_state,
    ),
    Scene(
        Action.CONVERSION_ADJUST,
        "approved, payout raised within revenue",
        lambda net: _conversion(net, status="approved"),
        _conversion_post("adjust", {"payout": "9.00"}),
        money_state,
    ),
    Scene(
        Action.TERMS_REVENUE_SET,
        "revenue raised",
        lambda net: {"advertiser_id": net.advertiser.id, "cuts_live_revenue": False},
        lambda net, who: net.api(who).patch(
            f"/api/v1/terms/{net.terms.pk}/", {"revenue_amount": "12.00"}, format="json"
        ),
        money_state,
    ),
    Scene(
        Action.TERMS_REVENUE_SET,
        "revenue cut on a live offer",
        lambda net: {"advertiser_id": net.advertiser.id, "cuts_live_revenue": True},
        lambda net, who: net.api(who).patch(
            f"/api/v1/terms/{net.terms.pk}/", {"revenue_amount": "8.00"}, format="json"
        ),
        money_state,
    ),
    Scene(
        Action.REVENUE_CUT_DECIDE,
        "an advertiser's cut on a live offer, approved",
        _revenue_cut_asked,
        lambda net, who: net.api(who).post(f"/api/v1/revenue-cut-requests/{net.row.id}/approve/"),
        _revenue_cut_state,
    ),
    Scene(
        Action.REVENUE_CUT_DECIDE,
        "an advertiser's cut on a live offer, rejected with a reason",
        _revenue_cut_asked,
        lambda net, who: net.api(who).post(
            f"/api/v1/revenue-cut-requests/{net.row.id}/reject/",
            {"rejection_reason": "the rate is agreed"},
            format="json",
        ),
        _revenue_cut_state,
    ),
    Scene(
        Action.TERMS_PAYOUT_SET,
        "payout raised",
        lambda net: {"advertiser_id": net.advertiser.id},
        lambda net, who: net.api(who).patch(
            f"/api/v1/terms/{net.terms.pk}/", {"payout_amount": "8.00"}, format="json"
        ),
        money_state,
    ),
    Scene(
        Action.FRAUD_RULE_EDIT,
        "an offer's rule for a signal",
        lambda net: {},
        lambda net, who: net.api(who).post(
            "/api/v1/fraud-rules/",
            {
                "offer": net.goal.offer_id,
                "signal": "ip_velocity",
                "threshold": 3,
                "action": "reject",
            },
            format="json",
        ),
        lambda net: list(
            FraudRule.objects.values_list("offer_id", "signal", "threshold", "action")
        ),
    ),
    Scene(
        Action.LEDGER_ADJUST,
        "a small adjustment",
        lambda net: {"publisher_id": net.publisher.id},
        lambda net, who: net.api(who).post(
            "/api/v1/ledger-entries/adjustments/",
            {"publisher": net.publisher.id, "currency": "USD", "amount": "5.00", "reason": "fix"},
            format="json",
        ),
        money_state,
    ),
    Scene(
        Action.LEDGER_ADJUST_CONFIRM,
        "a large adjustment asked by finance",
        _prepare_adjustment_request,
        lambda net, who: net.api(who).post(f"/api/v1/adjustment-requests/{net.row.id}/confirm/"),
        money_state,
    ),
    Scene(
        Action.PAYOUT_DETAILS_CHANGE,
        "new PayPal address",
        lambda net: {"publisher_id": net.publisher.id},
        lambda net, who: net.api(who).post(
            "/api/v1/payout-details-changes/",
            {
                "publisher": net.publisher.id,
                "payout_method": "paypal",
                "payout_details": {"email": "elsewhere@evil.example"},
            },
            format="json",
        ),
        money_state,
    ),
    Scene(
        Action.PAYOUT_DETAILS_CONFIRM,
        "asked by finance",
        _prepare_details_change,
        lambda net, who: net.api(who).post(f"/api/v1/payout-details-changes/{net.row.id}/confirm/"),
        money_state,
    ),
    Scene(
        Action.PAYOUT_SETTINGS_CHANGE,
        "hold days",
        lambda net: {"publisher_id": net.publisher.id},
        _settings_patch,
        money_state,
    ),
    Scene(
        Action.BATCH_BUILD,
        "one publisher due",
        lambda net: _earning(net) or {},
        lambda net, who: net.api(who).post(
            "/api/v1/payout-batches/", {"currency": "USD"}, format="json"
        ),
        money_state,
    ),
    Scene(
        Action.BATCH_APPROVE,
        "built by finance",
        _batch_scene(_draft, lambda net: {"authors": payout_batch_authors(batch=net.row)}),
        _batch_post("approve/", lambda net: {"digest": payout_batch_digest(batch_id=net.row.id)}),
        money_state,
    ),
    Scene(
        Action.BATCH_EXPORT,
        "approved",
        _batch_scene(_approved, lambda net: {}),
        _batch_post("export/?format=standard"),
        money_state,
    ),
    Scene(
        Action.BATCH_MARK_PAID,
        "exported",
        _batch_scene(
            lambda net: payout_batch_export(
                batch_id=_approved(net).id,
                exported_by=net.users["finance"],
                export_format="standard",
            )[0],
            lambda net: {},
        ),
        _batch_post("mark-paid/"),
        money_state,
    ),
    Scene(
        Action.BATCH_LINE_FAIL,
        "paid line",
        _batch_scene(_paid, lambda net: {}),
        lambda net, who: _batch_post(f"lines/{_first_line_id(net)}/mark-failed/")(net, who),
        money_state,
    ),
    Scene(
        Action.BATCH_LINE_FAIL_CONFIRM,
        "asked by finance",
        _prepare_line_failure,
        lambda net, who: _batch_post(f"lines/{_first_line_id(net)}/confirm-failed/")(net, who),
        money_state,
    ),
    Scene(
        Action.API_KEY_MINT_FOR_OTHER,
        "for a publisher user",
        _prepare_target("publisher"),
        _mint_key_for_target,
        money_state,
    ),
    Scene(
        Action.API_KEY_MINT_FOR_OTHER,
        "for a finance user",
        _prepare_target("finance"),
        _mint_key_for_target,
        money_state,
    ),
    Scene(
        Action.USER_MANAGE,
        "password of a publisher user (admin)",
        _prepare_target("publisher"),
        _reset_password_in_admin,
        money_state,
    ),
    Scene(
        Action.USER_MANAGE,
        "password of a finance user (admin)",
        _prepare_target("finance"),
        _reset_password_in_admin,
        money_state,
    ),
    Scene(
        Action.USER_STAFF_CONFIRM,
        "a finance user created by a superuser",
        _prepare_staff_change,
        lambda net, who: net.api(who).post(f"/api/v1/staff-changes/{net.row.id}/confirm/"),
        money_state,
    ),
    # Compliance and fraud (fraud/): who may ban.
    Scene(
        Action.PUBLISHER_BAN,
        "an active publisher",
        lambda net: {"publisher_id": net.publisher.id},
        lambda net, who: net.api(who).patch(
            f"/api/v1/publishers/{net.publisher.pk}/", {"status": "banned"}, format="json"
        ),
        lambda net: Publisher.objects.filter(pk=net.publisher.pk).values_list("status")[0],
    ),
    Scene(
        Action.OFFER_COMPLIANCE_SET,
        "a new terms version",
        lambda net: {"advertiser_id": net.advertiser.id},
        lambda net, who: net.api(who).post(
            "/api/v1/offer-terms/",
            {"offer": net.goal.offer_id, "forbidden_traffic": ["push"], "text": "No push."},
            format="json",
        ),
        lambda net: list(OfferTerms.objects.values_list("offer_id", "version")),
    ),
    Scene(
        Action.TRAFFIC_SOURCE_DECLARE,
        "the publisher's own source",
        lambda net: {"publisher_id": net.publisher.id},
        lambda net, who: net.api(who).post(
            "/api/v1/traffic-sources/",
            {"publisher": net.publisher.id, "key": "pushlist", "traffic_type": "push"}
            if who in ("manager", "superuser")
            else {"key": "pushlist", "traffic_type": "push"},
            format="json",
        ),
        lambda net: list(TrafficSource.objects.values_list("publisher_id", "key")),
    ),
    # The books (payouts/services/periods.py, payees.py).
    Scene(
        Action.PERIOD_VALIDATE,
        "last month, ended",
        lambda net: {},
        lambda net, who: net.api(who).post(f"/api/v1/accounting-periods/{_last_month()}/validate/"),
        lambda net: list(AccountingPeriod.objects.values_list("month", "status")),
    ),
    Scene(
        Action.PERIOD_CLOSE,
        "last month, validated by finance",
        _prepare_validated_period,
        lambda net, who: net.api(who).post(f"/api/v1/accounting-periods/{_last_month()}/close/"),
        lambda net: list(AccountingPeriod.objects.values_list("month", "status")),
    ),
    Scene(
        Action.PERIOD_REOPEN,
        "last month, validated by finance",
        _prepare_validated_period,
        lambda net, who: net.api(who).post(
            f"/api/v1/accounting-periods/{_last_month()}/reopen/",
            {"reason": "a disputed sale"},
            format="json",
        ),
        lambda net: list(AccountingPeriod.objects.values_list("month", "status")),
    ),
    Scene(
        Action.TAX_FORM_UPLOAD,
        "a W-9 of the publisher",
        lambda net: {"publisher_id": net.publisher.id},
        _tax_form_post,
        lambda net: list(TaxForm.objects.values_list("publisher_id", "status")),
    ),
    Scene(
        Action.TAX_FORM_REVIEW,
        "a form the publisher uploaded",
        _prepare_tax_form,
        lambda net, who: net.api(who).post(
            f"/api/v1/tax-forms/{net.row.id}/accept/", {}, format="json"
        ),
        lambda net: list(TaxForm.objects.values_list("status", "reviewed_by_id")),
    ),
    Scene(
        Action.INVOICE_BUILD,
        "approved revenue this month",
        _billable,
        lambda net, who: net.api(who).post(
            "/api/v1/invoices/",
            {
                "advertiser": net.advertiser.id,
                "period_start": timezone.now().date().replace(day=1).isoformat(),
            },
            format="json",
        ),
        _billing_state,
    ),
    Scene(
        Action.INVOICE_ISSUE,
        "a draft",
        _invoice_draft,
        lambda net, who: net.api(who).post(f"/api/v1/invoices/{net.row.id}/issue/"),
        _billing_state,
    ),
    Scene(
        Action.INVOICE_PAYMENT_RECORD,
        "an issued invoice",
        _invoice_issued,
        lambda net, who: net.api(who).post(
            "/api/v1/invoice-payments/",
            {"invoice": net.row.id, "amount": "9.00", "received_on": "2025-07-01"},
            format="json",
        ),
        _billing_state,
    ),
    Scene(
        Action.ADVERTISER_TOP_UP,
        "prepaid money",
        lambda net: {},
        lambda net, who: net.api(who).post(
            "/api/v1/advertiser-top-ups/",
            {"advertiser": net.advertiser.id, "currency": "USD", "amount": "100.00"},
            format="json",
        ),
        _billing_state,
    ),
    Scene(
        Action.ADVERTISER_CREDIT_LIMIT_SET,
        "a credit limit",
        lambda net: {},
        lambda net, who: net.api(who).post(
            "/api/v1/advertiser-credit-limits/",
            {"advertiser": net.advertiser.id, "currency": "USD", "credit_limit": "500.00"},
            format="json",
        ),
        _billing_state,
    ),
    Scene(
        Action.OFFER_BUDGET_SET,
        "a daily budget",
        lambda net: {},
        lambda net, who: net.api(who).post(
            "/api/v1/revenue-budgets/",
            {"offer": net.goal.offer_id, "period": "day", "amount": "50.00"},
            format="json",
        ),
        _billing_state,
    ),
    Scene(
        Action.PAYOUT_EXPLAIN,
        "the publisher's conversion on the advertiser's offer",
        lambda net: _explainable(net),
        _explain,
        lambda net: net.explained,
    ),
    Scene(
        Action.SANDBOX_LINK_CREATE,
        "a test link for the network's pair",
        lambda net: {"publisher_id": net.publisher.id},
        lambda net, who: net.api(who).post(
            "/api/v1/sandbox/links/",
            {"offer": net.goal.offer_id, "publisher": net.publisher.id},
            format="json",
        ),
        _sandbox_state,
    ),
    Scene(
        Action.SANDBOX_CONVERSION_SEND,
        "a test click",
        _sandbox_click,
        lambda net, who: net.api(who).post(
            "/api/v1/sandbox/conversions/", {"click_id": net.row["click_id"]}, format="json"
        ),
        _sandbox_state,
    ),
    Scene(
        Action.SANDBOX_RESET,
        "a test link with a click",
        _sandbox_click,
        lambda net, who: net.api(who).post(f"/api/v1/sandbox/links/{net.row['link']}/reset/"),
        _sandbox_state,
    ),
    Scene(
        Action.LANDING_TEST_END,
        "a running A/B test of two landing variants",
        _landing_test,
        lambda net, who: net.api(who).post(
            f"/api/v1/landing-tests/{net.row['test']}/end/",
            {"winner": net.row["winner"]},
            format="json",
        ),
        _landing_state,
    ),
    Scene(
        Action.CREATIVE_TEST_END,
        "a running A/B test of two creatives",
        _creative_test,
        lambda net, who: net.api(who).post(
            f"/api/v1/creative-tests/{net.row['test']}/end/",
            {"winner": net.row["winner"]},
            format="json",
        ),
        _creative_test_state,
    ),
    Scene(
        Action.TRACKING_DOMAIN_CREATE,
        "a publisher's own tracking domain",
        lambda net: {},
        # "testserver" is in ALLOWED_HOSTS under the test client, as a real domain must be.
        lambda net, who: net.api(who).post(
            "/api/v1/tracking-domains/",
            {"host": "testserver", "publisher": net.publisher.id},
            format="json",
        ),
        lambda net: tuple(TrackingDomain.objects.values_list("host", "publisher_id")),
    ),
    Scene(
        Action.IMPRESSION_SOURCE_SET,
        "an offer whose CPM is counted from pixels",
        lambda net: {"advertiser_id": net.advertiser.id},
        lambda net, who: net.api(who).post(
            "/api/v1/impression-sources/",
            {"offer": net.goal.offer_id, "source": "reported"},
            format="json",
        ),
        lambda net: tuple(ImpressionSource.objects.values_list("offer_id", "source")),
    ),
    Scene(
        Action.IMPRESSIONS_REPORT,
        "an offer whose CPM is priced from reported counts",
        _impressions_reported,
        _impression_report,
        lambda net: tuple(ImpressionReport.objects.values_list("report_id", "count")),
    ),
    Scene(
        Action.PERSONAL_DATA_ERASURE_REQUEST,
        "the caller's own personal data",
        lambda net: {},
        lambda net, who: net.api(who).post("/api/v1/personal-data/requests/"),
        _personal_data_state,
    ),
    Scene(
        Action.PERSONAL_DATA_ERASE,
        "the publisher user's request for deletion",
        _erasure_requested,
        lambda net, who: net.api(who).post(f"/api/v1/personal-data/requests/{net.row.id}/erase/"),
        _personal_data_state,
    ),
]


def test_every_action_of_the_policy_has_a_scene():
    assert {scene.action for scene in SCENES} == set(POLICY)


def _succeeded(response) -> bool:
    # The admin answers a saved form with a redirect to the object; a refused session is
    # redirected to the login page instead.
    if response.status_code == 302:
        return "/login/" not in response["Location"]
    return 200 <= response.status_code < 300


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("scene", SCENES, ids=lambda s: f"{s.action}:{s.name}")
def test_the_edge_does_what_the_policy_says(network, scene, who):
    facts = scene.prepare(network)
    user = network.users[who]
    expected = policy_allows(action=scene.action, user=user, facts=facts)
    before = scene.state(network)

    response = scene.attempt(network, who)

    after = scene.state(network)
    body = getattr(response, "content", b"")[:300]
    if expected:
        assert _succeeded(response), (response.status_code, body)
        assert after != before, "allowed, but nothing changed"
    else:
        assert not _succeeded(response), (response.status_code, body)
        assert response.status_code in {302, 400, 401, 403, 404, 409}, response.status_code
        assert after == before, "refused, yet something changed"
