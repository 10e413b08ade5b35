"""Writes for advertisers, offers, goals, terms, publisher overrides, caps, and publishers'
access to offers.

Every function checks the whole row after applying `fields` and raises one DomainError (400,
naming each bad field) before anything is written. Callers (the API, seed_demo, the admin) pass
only fields they were allowed to set; which fields a role may set is the API's business.

Payouts are the network's: writes of terms, overrides and caps take the acting user (`actor`)
and ask the money policy (accounts/policy.py) for each side they touch, so no edge can let an
advertiser set a payout; `actor=None` is the system (seed_demo, migrations, the manager-only
admin, whose forms run the same checks).
"""

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.utils import timezone

from accounts.models import User
from accounts.notifications import notify, recipients
from accounts.policy import Action, policy_allows, policy_require
from affiliates.compliance import terms_accept
from affiliates.models import OfferAccess, Publisher, TermsAcceptance
from core.errors import DomainError
from core.macros import CLICK_MACROS
from core.validation import (
    Problems,
    check_cidrs,
    check_countries,
    check_currency,
    check_devices,
    check_hosts,
    check_url,
)
from offers.models import Advertiser, Cap, Goal, Offer, PublisherOverride, Terms
from offers.secret_box import secret_encrypt, secret_reencrypt
from offers.validation import check_payout_not_above_revenue, check_side

POSTBACK_SECRET_PREFIX_LENGTH = 12


def _apply(instance: Model, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


# Advertisers ---------------------------------------------------------------------------------


def advertiser_check(advertiser: Advertiser) -> None:
    problems = Problems()
    if not (advertiser.name or "").strip():
        problems.add("name", "required", "This field is required.")
    check_cidrs(problems, "ip_allowlist", advertiser.ip_allowlist)
    problems.raise_if_any()


def advertiser_create(*, fields: Mapping[str, Any]) -> Advertiser:
    advertiser = Advertiser()
    _apply(advertiser, fields)
    advertiser_check(advertiser)
    advertiser.save()
    return advertiser


def advertiser_update(*, advertiser: Advertiser, fields: Mapping[str, Any]) -> Advertiser:
    _apply(advertiser, fields)
    advertiser_check(advertiser)
    advertiser.save()
    return advertiser


def advertiser_postback_secret_rotate(*, advertiser: Advertiser) -> str:
    """Mint a new postback secret and return it: the only time it is ever shown.

    We keep a visible prefix (to tell secrets apart) and the secret encrypted under the first
    CALLBACK_SECRET_KEYS key (offers/secret_box.py): signature v2 is keyed by the secret itself,
    token and signature v1 checks derive sha256_hex(secret) from it. The legacy clear hash is
    emptied. The old secret stops working within the callback endpoint's auth cache (seconds).
    """
    raw = f"pbs_{secrets.token_urlsafe(32)}"
    advertiser_postback_secret_set(advertiser=advertiser, raw=raw)
    return raw


def advertiser_postback_secret_set(*, advertiser: Advertiser, raw: str) -> None:
    """Store `raw` as the advertiser's postback secret (rotation, the demo, tests)."""
    advertiser.postback_secret_prefix = raw[:POSTBACK_SECRET_PREFIX_LENGTH]
    advertiser.postback_secret_encrypted = secret_encrypt(raw)
    advertiser.postback_secret_hash = ""
    advertiser.save(
        update_fields=[
            "postback_secret_prefix",
            "postback_secret_encrypted",
            "postback_secret_hash",
            "updated_at",
        ]
    )


def advertiser_postback_secrets_reencrypt() -> int:
    """Re-encrypt every stored postback secret under the first CALLBACK_SECRET_KEYS key, so
    older keys can be dropped. Returns how many rows changed; idempotent.

    Raises SecretUnreadableError (nothing written for that row) when no configured key reads a
    secret: put the old key back in the list and run it again.
    """
    changed = 0
    rows = Advertiser.objects.exclude(postback_secret_encrypted="").values_list(
        "id", "postback_secret_encrypted"
    )
    for advertiser_id, token in rows.iterator():
        fresh = secret_reencrypt(token)
        changed += Advertiser.objects.filter(
            id=advertiser_id, postback_secret_encrypted=token
        ).update(postback_secret_encrypted=fresh)
    return changed


# Offers --------------------------------------------------------------------------------------


def offer_check(offer: Offer) -> None:
    problems = Problems()
    if not (offer.name or "").strip():
        problems.add("name", "required", "This field is required.")
    check_url(problems, "landing_url", offer.landing_url, known_macros=CLICK_MACROS, required=True)
    check_url(problems, "preview_url", offer.preview_url, known_macros=CLICK_MACROS, required=False)
    check_url(
        problems, "fallback_url", offer.fallback_url, known_macros=CLICK_MACROS, required=False
    )
    check_currency(problems, "currency", offer.currency)
    check_countries(problems, "countries", offer.countries)
    check_devices(problems, "devices", offer.devices)
    check_hosts(problems, "deep_link_allowed_hosts", offer.deep_link_allowed_hosts)
    if (
        offer.max_click_to_conversion_seconds is not None
        and offer.max_click_to_conversion_seconds < offer.min_click_to_conversion_seconds
    ):
        problems.add(
            "max_click_to_conversion_seconds",
            "window_reversed",
            "Must not be below min_click_to_conversion_seconds.",
        )
    problems.raise_if_any()


def offer_create(*, advertiser: Advertiser, fields: Mapping[str, Any]) -> Offer:
    offer = Offer(advertiser=advertiser)
    _apply(offer, fields)
    offer_check(offer)
    offer.save()
    return offer


# What only the network changes on an existing offer: its currency is the currency of every
# payout too (a change reprices what publishers earn), and the other two decide what the network
# pays. An advertiser's edge never offers them; the service refuses them anyway.
NETWORK_OFFER_FIELDS = frozenset(
    {"currency", "allow_payout_above_revenue", "fallback_clicks_convert"}
)


def offer_update(*, offer: Offer, fields: Mapping[str, Any], actor: Any = None) -> Offer:
    """`actor` None is the system or a manager's edge that checked its role; an advertiser's
    edge passes its user, and a change of a network field is refused by name."""
    if actor is not None and not _payout_visible_to(actor):
        problems = Problems()
        for name in sorted(NETWORK_OFFER_FIELDS & set(fields)):
            if fields[name] != getattr(offer, name):
                problems.add(name, "not_writable", "Only the network changes this on an offer.")
        problems.raise_if_any()
    _apply(offer, fields)
    offer_check(offer)
    offer.save()
    return offer


# Goals ---------------------------------------------------------------------------------------


def _goal_save(goal: Goal) -> Goal:
    problems = Problems()
    if not (goal.name or "").strip():
        problems.add("name", "required", "This field is required.")
    if not goal.ref:
        problems.add("ref", "required", "This field is required.")
    elif Goal.objects.filter(offer_id=goal.offer_id, ref=goal.ref).exclude(pk=goal.pk).exists():
        problems.add("ref", "duplicate_ref", f"The offer already has a goal {goal.ref!r}.")
    check_hosts(problems, "pixel_domains", goal.pixel_domains)
    if goal.pixel_enabled and not goal.pixel_domains:
        problems.add(
            "pixel_domains", "required", "Name the domains the pixel is fired from (e.g. shop.com)."
        )
    if goal.max_sale_amount is not None and goal.max_sale_amount < 0:
        problems.add("max_sale_amount", "invalid", "Must be at least 0.")
    problems.raise_if_any()
    with transaction.atomic():
        # One default per offer (a DB constraint): making this one the default demotes the
        # other, under the offer's lock so two concurrent promotions cannot collide.
        Offer.objects.select_for_update().filter(pk=goal.offer_id).first()
        if goal.is_default:
            Goal.objects.filter(offer_id=goal.offer_id, is_default=True).exclude(pk=goal.pk).update(
                is_default=False
            )
        goal.save()
    return goal


def goal_create(*, offer: Offer, fields: Mapping[str, Any]) -> Goal:
    goal = Goal(offer=offer)
    _apply(goal, fields)
    if "is_default" not in fields and not offer.goals.filter(is_default=True).exists():
        goal.is_default = True  # an offer's first goal is what an event without a goal means
    return _goal_save(goal)


def goal_update(*, goal: Goal, fields: Mapping[str, Any]) -> Goal:
    _apply(goal, fields)
    return _goal_save(goal)


# Terms ---------------------------------------------------------------------------------------


REVENUE_FIELDS = frozenset({"revenue_kind", "revenue_amount", "revenue_percent"})
PAYOUT_FIELDS = frozenset({"payout_kind", "payout_amount", "payout_percent"})


def terms_check(terms: Terms, *, is_new: bool, reveal_payout: bool = True) -> None:
    """The whole row: each side valid for its kind, payout not above revenue (the goal's own
    payout and every override that applies to the goal) unless the offer allows it.

    A blank payout side is allowed (no payout yet). With `reveal_payout=False` (an advertiser
    is writing) a revenue below some payout is refused without naming the payout.
    """
    problems = Problems()
    if is_new and Terms.objects.filter(goal_id=terms.goal_id).exists():
        problems.add("goal", "terms_exist", "This goal already has terms; update them instead.")
    check_side(
        problems,
        prefix="revenue",
        kind=terms.revenue_kind,
        amount=terms.revenue_amount,
        percent=terms.revenue_percent,
    )
    payouts = []
    if terms.payout_kind:
        check_side(
            problems,
            prefix="payout",
            kind=terms.payout_kind,
            amount=terms.payout_amount,
            percent=terms.payout_percent,
        )
        payouts.append((terms.payout_kind, terms.payout_amount, terms.payout_percent))
    elif terms.payout_amount or terms.payout_percent:
        problems.add("payout_kind", "required", "Give the payout's kind with its figures.")
    if not problems.fields and not terms.goal.offer.allow_payout_above_revenue:
        overrides = PublisherOverride.objects.filter(offer_id=terms.goal.offer_id).filter(
            Q(goal_id=terms.goal_id) | Q(goal__isnull=True)
        )
        payouts += [(o.payout_kind, o.payout_amount, o.payout_percent) for o in overrides]
        for payout in payouts:
            check_payout_not_above_revenue(
                problems,
                revenue=(terms.revenue_kind, terms.revenue_amount, terms.revenue_percent),
                payout=payout,
                reveal_payout=reveal_payout,
            )
            if problems.fields:
                break
    problems.raise_if_any()


def _payout_visible_to(actor: Any) -> bool:
    return actor is None or policy_allows(action=Action.TERMS_PAYOUT_SET, user=actor)


def terms_cut_live_revenue(*, terms: Terms | None, fields: Mapping[str, Any]) -> bool:
    """Whether writing `fields` over `terms` lowers what the advertiser pays on a live (active)
    offer: a lower amount or percent, or another kind (not comparable, so treated as a cut).

    The policy lets an advertiser raise its revenue but not cut it on a live offer: publishers
    run the offer on those terms, and the network's margin is payout below revenue. A cut applies
    to new conversions only (a conversion keeps the terms frozen at attribution), but it is still
    the network's decision. New terms, or terms of a paused or expired offer, cut nothing live.
    """
    if terms is None or terms.goal.offer.status != Offer.Status.ACTIVE:
        return False
    if fields.get("revenue_kind", terms.revenue_kind) != terms.revenue_kind:
        return True
    for name in ("revenue_amount", "revenue_percent"):
        new = fields.get(name, getattr(terms, name))
        if (new or 0) < getattr(terms, name):
            return True
    return False


def _terms_policy(
    *, actor: Any, goal: Goal, fields: Mapping[str, Any], terms: Terms | None
) -> None:
    """Each side of the terms asks its own row of the policy; nothing is written if refused."""
    if actor is None:
        return
    if terms is None or REVENUE_FIELDS & set(fields):
        policy_require(
            action=Action.TERMS_REVENUE_SET,
            user=actor,
            facts={
                "advertiser_id": goal.offer.advertiser_id,
                "cuts_live_revenue": terms_cut_live_revenue(terms=terms, fields=fields),
            },
        )
    if PAYOUT_FIELDS & set(fields):
        policy_require(action=Action.TERMS_PAYOUT_SET, user=actor)


def _terms_defaults(terms: Terms) -> None:
    # A figure the kind does not use is stored as 0 (the columns are NOT NULL).
    for name in ("revenue_amount", "revenue_percent", "payout_amount", "payout_percent"):
        if getattr(terms, name) is None:
            setattr(terms, name, 0)


def terms_create(*, goal: Goal, fields: Mapping[str, Any], actor: Any = None) -> Terms:
    _terms_policy(actor=actor, goal=goal, fields=fields, terms=None)
    terms = Terms(goal=goal, revenue_amount=None, revenue_percent=None)
    terms.payout_amount = terms.payout_percent = None
    _apply(terms, fields)
    terms_check(terms, is_new=True, reveal_payout=_payout_visible_to(actor))
    _terms_defaults(terms)
    terms.save()
    return terms


def terms_update(*, terms: Terms, fields: Mapping[str, Any], actor: Any = None) -> Terms:
    _terms_policy(actor=actor, goal=terms.goal, fields=fields, terms=terms)
    _apply(terms, fields)
    terms_check(terms, is_new=False, reveal_payout=_payout_visible_to(actor))
    _terms_defaults(terms)
    terms.save()
    return terms


def terms_revenue_proposed(*, terms: Terms, fields: Mapping[str, Any]) -> Terms:
    """The goal's terms with `fields`' revenue figures in place, checked as a save would check
    them (an advertiser's check: a revenue below a payout is refused without naming it), and
    written nowhere: what an advertiser's revenue-cut request proposes
    (offers/revenue_cut_services.py). Refused unless it cuts revenue on a live offer, which the
    advertiser would otherwise save itself."""
    if not terms_cut_live_revenue(terms=terms, fields=fields):
        raise DomainError.for_field(
            "revenue_amount", "not_a_cut", "This is not a cut on a live offer: save it yourself."
        )
    proposed = Terms(
        pk=terms.pk,
        goal=terms.goal,
        payout_kind=terms.payout_kind,
        payout_amount=terms.payout_amount,
        payout_percent=terms.payout_percent,
        revenue_kind=terms.revenue_kind,
        revenue_amount=terms.revenue_amount,
        revenue_percent=terms.revenue_percent,
    )
    _apply(proposed, {name: fields[name] for name in REVENUE_FIELDS if name in fields})
    terms_check(proposed, is_new=False, reveal_payout=False)
    _terms_defaults(proposed)
    return proposed


def terms_delete(*, terms: Terms, actor: Any = None) -> None:
    """Deleting terms removes the goal's payout too, so it is the network's (TERMS_PAYOUT_SET)."""
    if actor is not None:
        policy_require(action=Action.TERMS_PAYOUT_SET, user=actor)
    terms.delete()


# Publisher overrides --------------------------------------------------------------------------


def _windows_overlap(
    a_from: datetime | None, a_to: datetime | None, b_from: datetime | None, b_to: datetime | None
) -> bool:
    """[from, to) windows; None is unbounded on that side."""
    starts_before_b_ends = b_to is None or a_from is None or a_from < b_to
    b_starts_before_a_ends = a_to is None or b_from is None or b_from < a_to
    return starts_before_b_ends and b_starts_before_a_ends


def override_check(override: PublisherOverride) -> None:
    problems = Problems()
    if override.goal_id is not None and override.goal.offer_id != override.offer_id:
        problems.add("goal", "goal_not_in_offer", "The goal does not belong to this offer.")
    check_side(
        problems,
        prefix="payout",
        kind=override.payout_kind,
        amount=override.payout_amount,
        percent=override.payout_percent,
    )
    if override.valid_from and override.valid_to and override.valid_to <= override.valid_from:
        problems.add("valid_to", "window_reversed", "Must be after valid_from.")
    if not problems.fields and not override.offer.allow_payout_above_revenue:
        goals = [override.goal] if override.goal_id else list(override.offer.goals.all())
        for terms in Terms.objects.filter(goal__in=goals):
            check_payout_not_above_revenue(
                problems,
                revenue=(terms.revenue_kind, terms.revenue_amount, terms.revenue_percent),
                payout=(override.payout_kind, override.payout_amount, override.payout_percent),
            )
    problems.raise_if_any()


def override_overlap_check(override: PublisherOverride) -> None:
    """Refuse a validity window overlapping another override of the same (publisher, offer,
    goal) target. Race-free only under the target's locks, as `_override_save` takes them."""
    same_target = PublisherOverride.objects.filter(
        publisher_id=override.publisher_id, offer_id=override.offer_id, goal_id=override.goal_id
    ).exclude(pk=override.pk)
    for other in same_target:
        if _windows_overlap(
            override.valid_from, override.valid_to, other.valid_from, other.valid_to
        ):
            problems = Problems()
            problems.add(
                "valid_from",
                "override_overlap",
                f"Overlaps override {other.pk} for the same publisher and target "
                f"({other.valid_from or 'open'} to {other.valid_to or 'open'}).",
            )
            problems.raise_if_any()


def _override_save(override: PublisherOverride) -> PublisherOverride:
    override_check(override)
    for name in ("payout_amount", "payout_percent"):
        if getattr(override, name) is None:
            setattr(override, name, 0)
    with transaction.atomic():
        # Lock the target (publisher, then offer: always this order) so two concurrent writes
        # for the same target are serialised and cannot both pass the overlap check.
        Publisher.objects.select_for_update().filter(pk=override.publisher_id).first()
        Offer.objects.select_for_update().filter(pk=override.offer_id).first()
        override_overlap_check(override)
        override.save()
    return override


def override_create(*, fields: Mapping[str, Any], actor: Any = None) -> PublisherOverride:
    if actor is not None:
        policy_require(action=Action.TERMS_PAYOUT_SET, user=actor)
    override = PublisherOverride(payout_amount=None, payout_percent=None)
    _apply(override, fields)
    return _override_save(override)


def override_update(
    *, override: PublisherOverride, fields: Mapping[str, Any], actor: Any = None
) -> PublisherOverride:
    if actor is not None:
        policy_require(action=Action.TERMS_PAYOUT_SET, user=actor)
    _apply(override, fields)
    return _override_save(override)


# Caps ----------------------------------------------------------------------------------------


def cap_check(cap: Cap, *, actor: Any = None) -> None:
    """A cap counting payout is a payout-side setting: only who may set payouts sets one (an
    advertiser could otherwise read payouts from when its cap fills)."""
    problems = Problems()
    if cap.limit is None or cap.limit <= 0:
        problems.add("limit", "cap_limit_not_positive", "Must be greater than 0.")
    if cap.metric == Cap.Metric.PAYOUT and not _payout_visible_to(actor):
        problems.add("metric", "not_writable", "Only the network sets caps on payout.")
    if cap.goal_id is not None and cap.goal.offer_id != cap.offer_id:
        problems.add("goal", "not_of_offer", "Must be a goal of the cap's offer.")
    if cap.counts != Cap.Counts.CONVERSIONS:
        if cap.metric != Cap.Metric.CONVERSIONS:
            problems.add("metric", "not_used", f"A cap on {cap.counts} counts units, not payout.")
        if cap.goal_id is not None:
            problems.add("goal", "not_used", f"A cap on {cap.counts} applies to the whole offer.")
    problems.raise_if_any()


def cap_create(*, offer: Offer, fields: Mapping[str, Any], actor: Any = None) -> Cap:
    cap = Cap(offer=offer)
    _apply(cap, fields)
    cap_check(cap, actor=actor)
    cap.save()
    return cap


def cap_update(*, cap: Cap, fields: Mapping[str, Any], actor: Any = None) -> Cap:
    _apply(cap, fields)
    cap_check(cap, actor=actor)
    cap.save()
    return cap


# Access to offers ----------------------------------------------------------------------------


def offer_access_request(
    *, publisher: Publisher, offer: Offer, message: str = "", requested_by: User | None = None
) -> OfferAccess:
    """A publisher asks to run an `approval` offer. Public offers need no request; private ones
    are granted by staff only (the caller never sees them, so it gets a 404 before this).
    Asking accepts the offer's current terms version (affiliates/compliance.py)."""
    if offer.visibility == Offer.Visibility.PUBLIC:
        raise DomainError.for_field("offer", "no_approval_needed", "This offer is public.")
    if offer.visibility != Offer.Visibility.APPROVAL:
        raise DomainError.for_field("offer", "not_requestable", "This offer cannot be requested.")
    try:
        with transaction.atomic():
            access = OfferAccess.objects.create(publisher=publisher, offer=offer, message=message)
            terms_accept(
                publisher=publisher,
                offer=offer,
                how=TermsAcceptance.How.REQUESTED,
                accepted_by=requested_by,
            )
            notify(
                users=recipients(roles=["manager"], advertiser_id=offer.advertiser_id),
                kind="access_request",
                text=f"{publisher.name} asks for access to {offer.name}.",
                url="/network/access-requests/",
            )
            return access
    except IntegrityError:
        raise DomainError.for_field(
            "offer", "already_requested", "An access request for this offer already exists."
        ) from None


def offer_access_grant(
    *, publisher: Publisher, offer: Offer, status: str, decided_by: User, message: str = ""
) -> OfferAccess:
    """Staff give (or refuse) access directly, e.g. to a private offer. Idempotent per pair."""
    access, _ = OfferAccess.objects.get_or_create(
        publisher=publisher, offer=offer, defaults={"message": message}
    )
    return offer_access_decide(access=access, status=status, decided_by=decided_by)


def offer_access_decide(*, access: OfferAccess, status: str, decided_by: User) -> OfferAccess:
    """Approve or reject (again: a decision can be reversed, e.g. revoking access)."""
    if status not in (OfferAccess.Status.APPROVED, OfferAccess.Status.REJECTED):
        raise DomainError.for_field("status", "invalid", "Must be approved or rejected.")
    with transaction.atomic():
        access.status = status
        access.decided_by = decided_by
        access.decided_at = timezone.now()
        access.save(update_fields=["status", "decided_by", "decided_at"])
        if status == OfferAccess.Status.APPROVED:
            # Granted on the publisher's behalf: it runs under the terms in force now.
            terms_accept(
                publisher=access.publisher,
                offer=access.offer,
                how=TermsAcceptance.How.GRANTED,
                accepted_by=decided_by,
            )
        notify(
            users=recipients(publisher_id=access.publisher_id),
            kind="access_decision",
            text=f"Your access to {access.offer.name} is {status}.",
            url=f"/publisher/offers/{access.offer_id}/",
        )
    return access


def offer_access_withdraw(*, access: OfferAccess) -> None:
    """A publisher withdraws its own request while it is still undecided."""
    if access.status != OfferAccess.Status.REQUESTED:
        raise DomainError.for_field(
            "status", "already_decided", "Only a pending request can be withdrawn."
        )
    access.delete()
