"""Offers side (`make fuzz`, issue 11): what a positive example needs that no schema can say.

Each rule below is one the API keeps and a JSON schema cannot state (a rule across two fields,
a rule against existing rows, a row's state). `offers_side_made_real` makes a positive
(schema-valid) example true to it, inside the example's own savepoint (rolled back after the
call), so the example is truly valid and every check still runs on it. Schema-expressible rules
are said by the schema instead (offers/api, core/api_fields.py).
"""

import ipaddress
from typing import Any

from offers.landing import LandingVariant
from offers.models import Cap, Goal, Offer
from tests import factories

API = "/api/v1/"


def _body(case) -> dict[str, Any] | None:
    return case.body if isinstance(case.body, dict) else None


def _row_id(case) -> Any:
    return (case.path_parameters or {}).get("id")


def _two_live_variants(case, body: dict[str, Any]) -> None:
    # A landing test needs two active variants of some weight on its offer (a row's state).
    offer = Offer.objects.filter(id=body.get("offer")).first()
    if offer is not None:
        for name in ("a", "b"):
            LandingVariant.objects.create(
                offer=offer, name=name, url=f"https://{name}.example/", weight=1
            )


def _a_goal_without_terms(case, body: dict[str, Any]) -> None:
    # One terms row per goal (uniqueness against existing rows): a fresh goal of the same offer.
    goal = Goal.objects.filter(id=body.get("goal")).first()
    if goal is not None:
        body["goal"] = factories.GoalFactory(offer=goal.offer, is_default=False).id


def _cap_fields_agree(case, body: dict[str, Any]) -> None:
    # A cap on clicks (or anything but conversions) counts units on the whole offer, and a
    # cap's goal is one of the cap's offer (rules across fields, and against the stored row).
    cap = Cap.objects.filter(id=_row_id(case)).first() if _row_id(case) is not None else None
    counts = body.get("counts", cap.counts if cap else Cap.Counts.CONVERSIONS)
    if counts != Cap.Counts.CONVERSIONS:
        body["metric"] = Cap.Metric.CONVERSIONS
        if "goal" in body or (cap and cap.goal_id):
            body["goal"] = None
    if body.get("goal") is not None:
        offer_id = body.get("offer") or (cap.offer_id if cap else None)
        goal = Goal.objects.filter(offer_id=offer_id).first()
        body["goal"] = goal.id if goal else None


def _networks_without_host_bits(case, body: dict[str, Any]) -> None:
    # A network with host bits set under its prefix (10.0.0.1/8) is refused as a likely typo.
    cidrs = body.get("ip_allowlist")
    if isinstance(cidrs, list):
        body["ip_allowlist"] = [str(ipaddress.ip_network(c, strict=False)) for c in cidrs]


def _schedule_runs_forwards(case, body: dict[str, Any]) -> None:
    # A targeting schedule ends after it starts (a rule across two fields).
    starts, ends = body.get("starts_at"), body.get("ends_at")
    if isinstance(starts, str) and isinstance(ends, str) and ends <= starts:
        body["ends_at"] = None


def _creative_has_its_content(case, body: dict[str, Any]) -> None:
    # A text link needs its text, an HTML creative its HTML (rules across fields).
    if body.get("kind") == "text" and not str(body.get("text", "")).strip():
        body["text"] = "Buy now"
    if body.get("kind") == "html" and not str(body.get("html", "")).strip():
        body["html"] = "<p>Buy now</p>"


def _pixel_has_domains(case, body: dict[str, Any]) -> None:
    # A goal's pixel needs the domains it is fired from (a rule across fields).
    if body.get("pixel_enabled") and not body.get("pixel_domains"):
        body["pixel_domains"] = ["shop.example"]


# (method, path) -> the rule made true, run before the call inside its savepoint.
RULES = {
    ("POST", "landing-tests/"): _two_live_variants,
    ("POST", "terms/"): _a_goal_without_terms,
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
}


def offers_side_made_real(case) -> None:
    """Called for a positive example after its references are made real, inside the savepoint
    its request runs in."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    rule = RULES.get((case.method.upper(), case.operation.path.removeprefix(API)))
    body = _body(case)
    if rule is not None and body is not None:
        rule(case, body)
