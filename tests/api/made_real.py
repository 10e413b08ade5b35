"""Offers side (`make fuzz`, issue 11): what a positive example needs that no schema can say.

Each rule below is one the API keeps and a JSON schema cannot state: a rule across two fields,
against existing rows, or on a row's state. `offers_side_made_real` makes a positive
(schema-valid) example true to it inside the example's own savepoint (rolled back after the
call), so the example is truly valid and every check still runs on it. What a schema can state
is said by the request schema instead (core/api_fields.py and the serializers using it).
"""

import ipaddress
from typing import Any

from affiliates.models import PostbackTemplate, Publisher
from fraud.signals import REGISTRY
from offers.creatives import Creative
from offers.landing import LandingVariant
from offers.models import Advertiser, Cap, Goal, Offer, PublisherOverride, Terms
from offers.terms import kind_uses_amount, kind_uses_percent
from tests import factories

API = "/api/v1/"


def _real(model, row_id: Any) -> Any:
    """The row of `model` with `row_id`, if it is an id a column holds and such a row exists."""
    if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 < row_id < 2**63:
        return None
    return model.objects.filter(id=row_id).first()


def _row(model, case) -> Any:
    return _real(model, (case.path_parameters or {}).get("id"))


def _two_live_variants(case, role, world, body: dict[str, Any]) -> None:
    # An A/B test needs two active variants of some weight on its offer (a row's state).
    offer = _real(Offer, body.get("offer"))
    if offer is not None:
        for name in ("fuzz-a", "fuzz-b"):
            LandingVariant.objects.get_or_create(
                offer=offer, name=name, defaults={"url": f"https://{name}.example/", "weight": 1}
            )


def _approved_creatives(case, role, world, body: dict[str, Any]) -> None:
    # A creative test's arms are 2 to 10 distinct approved creatives of its offer (rows).
    offer = _real(Offer, body.get("offer"))
    arms = body.get("arms")
    if offer is None or not isinstance(arms, list):
        return
    for n, arm in enumerate(arms):
        if isinstance(arm, dict):
            arm["creative"] = Creative.objects.create(
                offer=offer, name=f"fuzz-{n}", kind="text", text="Buy", approved=True
            ).id


def _payouts_may_exceed_revenue(goal_or_offer) -> None:
    # Payout not above revenue compares with the goal's other rows (terms, overrides): the
    # example's offer allows it, so the figures the example sends stand on their own.
    offer_id = getattr(goal_or_offer, "offer_id", None) or getattr(goal_or_offer, "id", None)
    Offer.objects.filter(id=offer_id).update(allow_payout_above_revenue=True)


def _side_agrees_with_its_kind(body: dict[str, Any], prefix: str, row) -> None:
    # A side's kind decides which figures it takes (a rule across fields): the used ones given,
    # the unused ones zero. No kind (a payout not set yet) takes no figures (offers.services:
    # "Give the payout's kind with its figures").
    kind = body.get(f"{prefix}_kind", getattr(row, f"{prefix}_kind", None))
    if not kind:
        for figure in ("amount", "percent"):
            if f"{prefix}_{figure}" in body:
                body[f"{prefix}_{figure}"] = "0"
        return
    for figure, used in (("amount", kind_uses_amount(kind)), ("percent", kind_uses_percent(kind))):
        name = f"{prefix}_{figure}"
        if used and body.get(name, getattr(row, name, None)) is None:
            body[name] = "1"
        elif not used and (name in body or getattr(row, name, None)):
            body[name] = "0"


def _terms_are_whole(case, role, world, body: dict[str, Any]) -> None:
    row = _row(Terms, case)
    if case.method.upper() == "POST":
        # One terms row per goal (uniqueness against rows): a fresh goal of the same offer.
        goal = _real(Goal, body.get("goal"))
        if goal is None:
            return
        body["goal"] = factories.GoalFactory(offer=goal.offer, is_default=False).id
        row = None
    goal = _real(Goal, body.get("goal", getattr(row, "goal_id", None)))
    if goal is not None:
        _payouts_may_exceed_revenue(goal)
    _side_agrees_with_its_kind(body, "revenue", row)
    _side_agrees_with_its_kind(body, "payout", row)


def _override_stands_alone(case, role, world, body: dict[str, Any]) -> None:
    row = _row(PublisherOverride, case)
    _side_agrees_with_its_kind(body, "payout", row)
    # A window runs forwards (across fields) and overlaps no other override of its target
    # (against rows): the others of the target are gone for the example.
    starts = body.get("valid_from", getattr(row, "valid_from", None))
    ends = body.get("valid_to", getattr(row, "valid_to", None))
    if starts is not None and ends is not None and str(ends) <= str(starts):
        body["valid_to"] = None
    offer = _real(Offer, body.get("offer", getattr(row, "offer_id", None)))
    if offer is None:
        return
    _payouts_may_exceed_revenue(offer)
    publisher = body.get("publisher", getattr(row, "publisher_id", None))
    goal = body.get("goal", getattr(row, "goal_id", None))
    if _real(Publisher, publisher) is None or (goal is not None and _real(Goal, goal) is None):
        return
    PublisherOverride.objects.filter(publisher_id=publisher, offer=offer, goal_id=goal).exclude(
        id=getattr(row, "id", None)
    ).delete()


def _cap_fields_agree(case, role, world, body: dict[str, Any]) -> None:
    cap = _row(Cap, case)
    # An advertiser may cap a publisher by id without seeing publisher rows: a real one.
    if role == "advertiser" and body.get("publisher") is not None:
        body["publisher"] = world.rows["publishers"]["P"]
    # Only the network caps payout (a role's right over a value the shared enum lists).
    if role == "advertiser" and body.get("metric") == Cap.Metric.PAYOUT:
        body["metric"] = Cap.Metric.CONVERSIONS
    # A cap on anything but conversions counts units of the whole offer, and a cap's goal is
    # one of its offer's (rules across fields, and against the stored row).
    counts = body.get("counts", cap.counts if cap else Cap.Counts.CONVERSIONS)
    if counts != Cap.Counts.CONVERSIONS:
        body["metric"] = Cap.Metric.CONVERSIONS
        if "goal" in body or (cap and cap.goal_id):
            body["goal"] = None
    if body.get("goal") is not None:
        offer = _real(Offer, body.get("offer")) or (cap.offer if cap else None)
        goal = offer.goals.first() if offer else None
        body["goal"] = goal.id if goal else None


def _networks_without_host_bits(case, role, world, body: dict[str, Any]) -> None:
    # A network with host bits set under its prefix (10.0.0.1/8) is refused as a likely typo.
    cidrs = body.get("ip_allowlist")
    if isinstance(cidrs, list):
        body["ip_allowlist"] = [str(ipaddress.ip_network(c, strict=False)) for c in cidrs]


def _schedule_runs_forwards(case, role, world, body: dict[str, Any]) -> None:
    # A targeting schedule ends after it starts (a rule across two fields).
    starts, ends = body.get("starts_at"), body.get("ends_at")
    if isinstance(starts, str) and isinstance(ends, str) and ends <= starts:
        body["ends_at"] = None


def _creative_has_its_content(case, role, world, body: dict[str, Any]) -> None:
    # A text link needs its text, an HTML creative its HTML (rules across fields).
    if body.get("kind") == "text" and not str(body.get("text", "")).strip():
        body["text"] = "Buy now"
    if body.get("kind") == "html" and not str(body.get("html", "")).strip():
        body["html"] = "<p>Buy now</p>"


def _pixel_has_domains(case, role, world, body: dict[str, Any]) -> None:
    # A goal's pixel needs the domains it is fired from (a rule across fields).
    row = _row(Goal, case)
    enabled = body.get("pixel_enabled", getattr(row, "pixel_enabled", False))
    if enabled and not body.get("pixel_domains", getattr(row, "pixel_domains", None)):
        body["pixel_domains"] = ["shop.example"]


def _threshold_of_the_signals_kind(case, role, world, body: dict[str, Any]) -> None:
    # A rule's threshold is of its signal's kind: a number, a string or true (across fields).
    spec = REGISTRY.get(body.get("signal"))
    if spec is not None and type(body.get("threshold")) is not type(spec.threshold):
        body["threshold"] = spec.threshold


def _template_names_its_scope(case, role, world, body: dict[str, Any]) -> None:
    # A template's scope decides which of offer and goal it names (a rule across fields).
    row = _row(PostbackTemplate, case)
    scope = body.get("scope", getattr(row, "scope", None))
    offer = _real(Offer, body.get("offer"))
    if scope == PostbackTemplate.Scope.GLOBAL:
        body["offer"] = body["goal"] = None
    elif scope == PostbackTemplate.Scope.OFFER:
        body["goal"] = None
        if offer is None:
            body["offer"] = world.rows["offers"]["A_pub"]
    elif scope == PostbackTemplate.Scope.GOAL:
        offer = offer or Offer.objects.get(id=world.rows["offers"]["A_pub"])
        body["offer"] = offer.id
        body["goal"] = offer.goals.first().id


def _a_user_the_manager_may_mint_for(case, role, world, body: dict[str, Any]) -> None:
    # Managers mint keys for publisher and advertiser users (accounts.policy): a real one.
    if body.get("user") is not None:
        body["user"] = world.users["pub_p"].id


def _a_domain_the_publisher_may_use(case, role, world, body: dict[str, Any]) -> None:
    # A link's tracking domain is one the publisher may use (a row): the world has none, so the
    # example takes the network's default. Its offer and publisher as for a test link.
    body.pop("domain", None)
    _a_sandbox_of_a_runnable_offer(case, role, world, body)


def _an_allowed_host(case, role, world, body: dict[str, Any]) -> None:
    # A tracking domain's host is in ALLOWED_HOSTS (deployment settings, not the schema).
    if "host" in body:
        body["host"] = "localhost"
    # Only a network domain (no publisher) can be the default (a rule across fields).
    if body.get("is_default") and body.get("publisher") is not None:
        body["is_default"] = False


def _an_offer_that_needs_asking(case, role, world, body: dict[str, Any]) -> None:
    # A publisher asks for an approval offer it has not asked for (a row's state).
    if role == "publisher" and body.get("offer") is not None:
        advertiser = Advertiser.objects.get(id=world.rows["advertisers"]["A"])
        body["offer"] = factories.OfferFactory(
            advertiser=advertiser, visibility=Offer.Visibility.APPROVAL
        ).id


def _offers_the_publisher_may_run(case, role, world, body: dict[str, Any]) -> None:
    # A smart link's offers: each once, runnable by its publisher, in one currency (rows).
    items = body.get("offers")
    if not isinstance(items, list):
        return
    runnable = [world.rows["offers"]["A_pub"], world.rows["offers"]["B_pub"]]
    body["offers"] = [
        {**item, "offer": offer}
        for item, offer in zip(items, runnable, strict=False)
        if isinstance(item, dict)
    ] or [{"offer": runnable[0]}]
    if role == "manager" and body.get("publisher") is None:
        body["publisher"] = world.rows["publishers"]["P"]


def _a_sandbox_of_a_runnable_offer(case, role, world, body: dict[str, Any]) -> None:
    # A test link is of an offer its publisher may run (a row's state: A's approval offer is
    # only requested by P), and a manager names the publisher (a role's rule: the request
    # component is shared by every role).
    if body.get("offer") is not None:
        body["offer"] = world.rows["offers"]["A_pub"]
    if role == "manager":
        body["publisher"] = world.rows["publishers"]["P"]


def _offer_window_ordered(case, role, world, body: dict[str, Any]) -> None:
    offer = _row(Offer, case)
    # The longest click-to-conversion time is not below the shortest (across fields).
    shortest = body.get(
        "min_click_to_conversion_seconds", getattr(offer, "min_click_to_conversion_seconds", 0)
    )
    longest = body.get(
        "max_click_to_conversion_seconds", getattr(offer, "max_click_to_conversion_seconds", None)
    )
    if isinstance(shortest, int) and isinstance(longest, int) and longest < shortest:
        body["max_click_to_conversion_seconds"] = None
    # Only the network changes an offer's currency (a role's right over the stored value).
    if role == "advertiser" and offer is not None and "currency" in body:
        body["currency"] = offer.currency


# (method, path) -> the rule made true, run before the call inside its savepoint.
RULES = {
    ("POST", "offers/"): _offer_window_ordered,
    ("PUT", "offers/{id}/"): _offer_window_ordered,
    ("PATCH", "offers/{id}/"): _offer_window_ordered,
    ("POST", "sandbox/links/"): _a_sandbox_of_a_runnable_offer,
    ("POST", "api-keys/"): _a_user_the_manager_may_mint_for,
    ("POST", "links/"): _a_domain_the_publisher_may_use,
    ("POST", "tracking-domains/"): _an_allowed_host,
    ("POST", "offer-access/"): _an_offer_that_needs_asking,
    ("POST", "smart-links/"): _offers_the_publisher_may_run,
    ("PUT", "smart-links/{id}/"): _offers_the_publisher_may_run,
    ("PATCH", "smart-links/{id}/"): _offers_the_publisher_may_run,
    ("POST", "landing-tests/"): _two_live_variants,
    ("POST", "creative-tests/"): _approved_creatives,
    ("POST", "terms/"): _terms_are_whole,
    ("PUT", "terms/{id}/"): _terms_are_whole,
    ("PATCH", "terms/{id}/"): _terms_are_whole,
    ("POST", "overrides/"): _override_stands_alone,
    ("PUT", "overrides/{id}/"): _override_stands_alone,
    ("PATCH", "overrides/{id}/"): _override_stands_alone,
    ("POST", "caps/"): _cap_fields_agree,
    ("PUT", "caps/{id}/"): _cap_fields_agree,
    ("PATCH", "caps/{id}/"): _cap_fields_agree,
    ("POST", "advertisers/"): _networks_without_host_bits,
    ("PUT", "advertisers/{id}/"): _networks_without_host_bits,
    ("PATCH", "advertisers/{id}/"): _networks_without_host_bits,
    ("POST", "offer-targeting/"): _schedule_runs_forwards,
    ("PUT", "offer-targeting/{id}/"): _schedule_runs_forwards,
    ("PATCH", "offer-targeting/{id}/"): _schedule_runs_forwards,
    ("POST", "creatives/"): _creative_has_its_content,
    ("PUT", "creatives/{id}/"): _creative_has_its_content,
    ("POST", "goals/"): _pixel_has_domains,
    ("PUT", "goals/{id}/"): _pixel_has_domains,
    ("PATCH", "goals/{id}/"): _pixel_has_domains,
    ("POST", "fraud-rules/"): _threshold_of_the_signals_kind,
    ("PUT", "fraud-rules/{id}/"): _threshold_of_the_signals_kind,
    ("PATCH", "fraud-rules/{id}/"): _threshold_of_the_signals_kind,
    ("POST", "postback-templates/"): _template_names_its_scope,
    ("PUT", "postback-templates/{id}/"): _template_names_its_scope,
    ("PATCH", "postback-templates/{id}/"): _template_names_its_scope,
}


def offers_side_made_real(case, role: str, world, *, positive: bool) -> None:
    """Called for a positive example (as judged before any edit) after its references are made
    real, inside the savepoint its request runs in."""
    if not positive:
        return
    rule = RULES.get((case.method.upper(), case.operation.path.removeprefix(API)))
    if rule is not None and isinstance(case.body, dict):
        rule(case, role, world, case.body)
