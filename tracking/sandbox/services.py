"""The sandbox: test links, a test conversion sent as the advertiser would, and reset.

A test link is a second door to a live offer, never a mode of the offer: its clicks get test
click ids (tracking/clicks/ids.py) and run the whole chain as in production, while their
conversions are test ones (Conversion.is_test), which no ledger, rollup, cap or fraud counter
takes in. Each write here asks the money policy (accounts/policy.py).
"""

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Role, User
from accounts.policy import Action, policy_require
from accounts.selectors import user_role
from affiliates.models import Publisher
from core.errors import DomainError, NotFoundError
from offers.models import Goal, Offer
from offers.selectors import offer_is_runnable_by
from tracking.callbacks.auth import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    canonical_request,
    signature_v2_compute,
)
from tracking.callbacks.fields import DIALECTS
from tracking.callbacks.selectors import advertiser_auth_for_offer
from tracking.callbacks.services import CallbackRequest
from tracking.callbacks.views import callback_answer, pixel_answer
from tracking.clicks.ids import click_id_is_test
from tracking.links import link_code_new
from tracking.models import (
    CallbackInbox,
    Click,
    Conversion,
    ConversionHistory,
    PostbackDelivery,
    SandboxLink,
    SandboxTraceStep,
)

SEND_DIALECTS = ("s2s", "tune", "everflow", "pixel")
SEND_PATHS = {"s2s": "/postback", "tune": "/aff_lsr"}
# The sandbox's pixel is fired as a browser on the advertiser's thank-you page would fire it.
PIXEL_USER_AGENT = "affnet-sandbox (pixel)"


def sandbox_link_url(link: SandboxLink) -> str:
    return f"{settings.TRACKING_BASE_URL}/c/{link.code}"


def sandbox_link_create(
    *, user: User, offer_id: int, publisher_id: int | None = None
) -> SandboxLink:
    """Mint a test link for (offer, publisher). A publisher user mints for itself and only for
    an offer it may run (a missing offer answers the same, so private offers stay hidden); a
    manager names the publisher."""
    if user_role(user) == Role.PUBLISHER:
        publisher_id = user.publisher_id if publisher_id is None else publisher_id
    policy_require(
        action=Action.SANDBOX_LINK_CREATE, user=user, facts={"publisher_id": publisher_id}
    )
    if publisher_id is None:
        raise DomainError.for_field("publisher", "required", "Name the publisher.")
    if not Publisher.objects.filter(id=publisher_id).exists():
        raise DomainError.for_field("publisher", "does_not_exist", "No such publisher.")
    if user_role(user) == Role.PUBLISHER:
        if not offer_is_runnable_by(publisher_id=publisher_id, offer_id=offer_id):
            raise DomainError.for_field(
                "offer", "not_runnable", "No offer with this id that this publisher may run."
            )
    elif not Offer.objects.filter(id=offer_id).exists():
        raise DomainError.for_field("offer", "does_not_exist", "No such offer.")
    return SandboxLink.objects.create(
        code=link_code_new(), offer_id=offer_id, publisher_id=publisher_id, created_by=user
    )


def sandbox_link_click_ids(*, link: SandboxLink) -> list[str]:
    """The test clicks of a link: those whose redirect was traced, and any recorded click."""
    traced = SandboxTraceStep.objects.filter(link=link).values_list("click_id", flat=True)
    recorded = Click.objects.filter(
        link_id=link.pk, offer_id=link.offer_id, publisher_id=link.publisher_id
    ).values_list("click_id", flat=True)
    return sorted({*traced, *(c for c in recorded if click_id_is_test(c))})


def sandbox_reset(*, user: User, link_id: int) -> dict[str, int]:
    """Delete the test rows of one link: postbacks owed and their log, conversion history,
    conversions, callbacks, clicks and the trace. Only test rows: every click id involved
    carries the test mark, and every conversion deleted is a test one."""
    link = SandboxLink.objects.filter(id=link_id).first()
    if link is None:
        raise NotFoundError("not_found", "No such test link.")
    policy_require(
        action=Action.SANDBOX_RESET, user=user, facts={"publisher_id": link.publisher_id}
    )
    click_ids = [c for c in sandbox_link_click_ids(link=link) if click_id_is_test(c)]
    with transaction.atomic():
        conversions = Conversion.all_objects.filter(is_test=True, click_id__in=click_ids)
        deliveries = PostbackDelivery.objects.filter(conversion__in=conversions)
        counts = {"postbacks": deliveries.count()}
        deliveries.delete()  # their attempts go with them (cascade)
        ConversionHistory.objects.filter(conversion__in=conversions).delete()
        counts["conversions"] = conversions.delete()[0]
        counts["callbacks"] = CallbackInbox.objects.filter(click_id__in=click_ids).delete()[0]
        counts["clicks"] = Click.objects.filter(click_id__in=click_ids).delete()[0]
        counts["trace_steps"] = SandboxTraceStep.objects.filter(link=link).delete()[0]
    return counts


@dataclass(frozen=True)
class SentConversion:
    click_id: str
    dialect: str
    signed: bool
    status: int
    answer: str


def sandbox_conversion_send(
    *,
    user: User,
    click_id: str,
    dialect: str = "s2s",
    goal: str = "",
    amount: Decimal | None = None,
    txn_id: str = "",
    status: str = "",
) -> SentConversion:
    """Fire a test click's callback as its advertiser would, through the callback endpoints'
    own entry (callback_answer): signed (v2) with the advertiser's secret where the network
    holds it and no IP allowlist stands in the way, else marked as sent by the network."""
    click_id = click_id.strip().upper()
    if not click_id_is_test(click_id):
        raise DomainError.for_field("click_id", "not_a_test_click", "Not a test click id.")
    if dialect not in SEND_DIALECTS:
        raise DomainError.for_field("dialect", "invalid", f"One of {', '.join(SEND_DIALECTS)}.")
    step = SandboxTraceStep.objects.filter(click_id=click_id).select_related("link").first()
    if step is None:
        raise NotFoundError("not_found", "No test click with this id.")
    link = step.link
    offer = Offer.objects.only("advertiser_id").get(id=link.offer_id)
    policy_require(
        action=Action.SANDBOX_CONVERSION_SEND,
        user=user,
        facts={"publisher_id": link.publisher_id, "advertiser_id": offer.advertiser_id},
    )
    if dialect == "pixel":
        fired, pixel_step = _pixel_fire(
            offer_id=offer.pk, click_id=click_id, goal=goal, amount=amount, txn_id=txn_id
        )
        pixel_step["sent_by_user"] = user.pk
        SandboxTraceStep.objects.create(
            click_id=click_id, link=link, step=SandboxTraceStep.Step.SEND, data=pixel_step
        )
        return fired
    names = DIALECTS[dialect]
    params: dict[str, str] = {names["click_id"][0]: click_id, names["offer_id"][0]: str(offer.pk)}
    for field, value in (("goal", goal), ("txn_id", txn_id), ("status", status)):
        if value:
            params[names[field][0]] = value
    if amount is not None:
        params[names["amount"][0]] = str(amount)
    path = SEND_PATHS.get(dialect, settings.CALLBACK_EVERFLOW_PATH)
    pairs = list(params.items())
    headers: dict[str, str] = {"User-Agent": "affnet-sandbox"}
    auth = advertiser_auth_for_offer(offer_id=offer.pk)
    signed = auth is not None and bool(auth.secret) and not auth.ip_allowlist
    if signed:
        assert auth is not None
        timestamp = str(int(time.time()))
        canonical = canonical_request(method="POST", path=path, params=pairs)
        digest = signature_v2_compute(secret=auth.secret, timestamp=timestamp, canonical=canonical)
        headers |= {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: f"v2={digest}"}
    request = CallbackRequest(
        dialect=dialect,
        method="POST",
        path=path,
        params=params,
        pairs=pairs,
        headers=headers,
        remote_ip=None,
        sent_by_network=not signed,
    )
    answer = callback_answer(dialect=dialect, read=lambda: request)
    sent = SentConversion(
        click_id=click_id,
        dialect=dialect,
        signed=signed,
        status=answer.status,
        answer=answer.body.decode(errors="replace")[:500],
    )
    data: dict[str, Any] = {
        "dialect": dialect,
        "path": path,
        "params": params,
        "credentials": "signature v2" if signed else "sent by the network",
        "answer": {"status": sent.status, "body": sent.answer},
        "sent_by_user": user.pk,
    }
    SandboxTraceStep.objects.create(
        click_id=click_id, link=link, step=SandboxTraceStep.Step.SEND, data=data
    )
    return sent


def sandbox_pixel_goal(*, offer_id: int, goal: str = "") -> Goal | None:
    """The goal a sandbox pixel fires for: the one named (by ref or id) when it enables its
    pixel, else the offer's default goal when it does, else its first goal that does; None when
    the offer's advertiser does not integrate by pixel (no goal enables it)."""
    goals = [g for g in Goal.objects.filter(offer_id=offer_id).order_by("id") if g.pixel_enabled]
    if goal:
        return next((g for g in goals if g.ref == goal or str(g.pk) == goal), None)
    return next((g for g in goals if g.is_default), goals[0] if goals else None)


def _pixel_fire(
    *, offer_id: int, click_id: str, goal: str, amount: Decimal | None, txn_id: str
) -> tuple[SentConversion, dict[str, Any]]:
    """Fire the goal's image pixel through the pixel endpoint's own entry (pixel_answer), as
    the advertiser's thank-you page would: the click id as the pixel reads it from the
    visitor's cookie, the amount and transaction id as query parameters, and a Referer on the
    goal's first pixel domain (none when it lists none: attribution then refuses it, as it
    would in production). A pixel carries no credential, so nothing is signed; its conversion
    waits for review as every pixel conversion does."""
    pixel_goal = sandbox_pixel_goal(offer_id=offer_id, goal=goal)
    if pixel_goal is None:
        raise DomainError.for_field(
            "dialect",
            "pixel_not_enabled",
            "This offer's advertiser does not integrate by pixel: no goal"
            + (f" {goal!r}" if goal else "")
            + " of the offer enables its pixel.",
        )
    params: dict[str, str] = {}
    if amount is not None:
        params["amount"] = str(amount)
    if txn_id:
        params["txn_id"] = txn_id
    path = f"/p/{pixel_goal.ref}.gif"
    headers = {"User-Agent": PIXEL_USER_AGENT}
    domains = [str(d).strip().strip(".") for d in pixel_goal.pixel_domains or [] if str(d).strip()]
    if domains:
        headers["Referer"] = f"https://{domains[0]}/"
    request = CallbackRequest(
        dialect="pixel",
        method="GET",
        path=path,
        params=params,
        pairs=list(params.items()),
        headers=headers,
        remote_ip=None,
    )
    before = CallbackInbox.objects.filter(click_id=click_id, dialect="pixel").count()
    pixel_answer(goal_ref=pixel_goal.ref, click_id=click_id, read=lambda: request)
    stored = CallbackInbox.objects.filter(click_id=click_id, dialect="pixel").count() > before
    sent = SentConversion(
        click_id=click_id,
        dialect="pixel",
        signed=False,
        status=200,  # the pixel always answers its GIF, counted or not
        answer="GIF; callback stored" if stored else "GIF; nothing stored",
    )
    data: dict[str, Any] = {
        "dialect": "pixel",
        "path": path,
        "params": params,
        "cookie": {settings.CLICK_COOKIE_NAME: click_id},
        "referer": headers.get("Referer", ""),
        "credentials": "none (an image pixel carries none)",
        "answer": {"status": sent.status, "body": sent.answer},
    }
    return sent, data
