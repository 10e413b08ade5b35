"""Reports, the sandbox, impression reports, payout details and revenue cuts in the schemathesis
run's positive examples: what their schemas cannot say made true of the example (each rule's
server side named). Every check still runs on the request; negative examples are sent as
generated."""

from datetime import date, timedelta

from offers.models import Goal
from offers.terms import kind_uses_amount, kind_uses_percent
from reports.api.views import role_metrics
from reports.query import COLUMNS
from reports.rollups import HOURLY

REPORTS = "/api/v1/reports/"
# The rollup columns a role's reports are pinned to (reports.selectors.report_scope).
REPORT_SCOPE = {"advertiser": {"advertiser_id"}, "publisher": {"publisher_id"}}
SANDBOX_SEND = "/api/v1/sandbox/conversions/"
IMPRESSION_REPORTS = "/api/v1/impression-reports/"
PAYOUT_DETAILS_CHANGES = "/api/v1/payout-details-changes/"
REVENUE_CUT_REQUESTS = "/api/v1/revenue-cut-requests/"
# Between the world's terms' payout (CPA 7.00) and revenue (CPA 10.00): a cut, above the payout.
A_CUT_AMOUNT, A_CUT_PERCENT = "8.50", "10"
EMAIL_REQUIRED_FOR = {"paypal", "wise"}
A_PIXEL_DOMAIN = "shop.example"


def _names(value: object) -> list[str]:
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _coverable(columns: set[str]) -> bool:
    return any(columns <= set(rollup.dims) for rollup in HOURLY)


def _report_made_real(case, role: str) -> None:
    """A report's dimensions and filters are held together by one rollup table (reports.plan:
    dimensions_incompatible, e.g. country with source), and its `sort` names a dimension or
    metric of that report (reports.query: "Sort by a chosen dimension or metric"): rules between
    parameters. Dimensions, then filters, are left out from the last until one table holds them
    (with the role's scope), and sort items naming neither a chosen dimension nor metric; the
    schema's patterns already keep each to the role's names."""
    query = dict(case.query or {})
    dims = _names(query.get("group_by", ""))
    filters = [name for name in COLUMNS if _names(query.get(name, ""))]

    def needed() -> set[str]:
        chosen = {COLUMNS[name] for name in dims if name in COLUMNS}
        return chosen | {COLUMNS[name] for name in filters} | REPORT_SCOPE.get(role, set())

    while not _coverable(needed()):
        grouped = [name for name in dims if name in COLUMNS]
        if grouped:
            dims.remove(grouped[-1])
            query["group_by"] = ",".join(dims)
        else:
            query[filters.pop()] = ""
    if isinstance(query.get("sort"), str):
        chosen = set(dims or ["day"])
        chosen |= set(_names(query.get("metrics", "")) or role_metrics(role))
        query["sort"] = ",".join(
            item for item in query["sort"].split(",") if item.lstrip("-") in chosen
        )
    if query != (case.query or {}):
        case.query = query


def _sandbox_send_made_real(case, world) -> None:
    """A test conversion converts a test click that exists (tracking.sandbox.services: 404 "No
    test click with this id"), the world's; a pixel one names a goal of the click's offer whose
    pixel is on (400 pixel_not_enabled): the world's goal, whose pixel `state_made_real` turns
    on inside the example's savepoint."""
    body = case.body
    if not isinstance(body, dict):
        return
    if "click_id" in body:
        body["click_id"] = world.test_click_id
    if body.get("dialect") == "pixel" and body.get("goal"):
        body["goal"] = Goal.objects.get(id=world.rows["goals"]["A_pub"]).ref


def _impression_report_made_real(case, world) -> None:
    """A report counts a publisher that may run the offer, on an offer whose CPM is counted from
    reports (tracking.impression_reports: publisher_not_on_offer, source_is_pixel), on a day
    that has begun (day_in_future), for a creative of that offer (unknown_creative): P on A_pub
    (reported in the world), a day before today, no creative (the world has none)."""
    body = case.body
    if not isinstance(body, dict):
        return
    if "offer" in body:
        body["offer"] = world.rows["offers"]["A_pub"]
    if "publisher" in body:
        body["publisher"] = world.rows["publishers"]["P"]
    if body.get("creative") is not None:
        body["creative"] = None
    latest = date.today() - timedelta(days=2)
    try:
        day = date.fromisoformat(body["day"])
    except (KeyError, TypeError, ValueError):
        return
    if day > latest:
        body["day"] = latest.isoformat()


def _payout_details_made_real(case) -> None:
    """PayPal and Wise pay to an email (affiliates.payout_details: email_required), a rule
    between the method and the details."""
    body = case.body
    if not isinstance(body, dict) or body.get("payout_method") not in EMAIL_REQUIRED_FOR:
        return
    details = body.get("payout_details")
    if isinstance(details, dict) and "@" not in str(details.get("email", "")):
        details["email"] = "payee@example.com"


def _revenue_cut_made_real(case) -> None:
    """An advertiser's revenue cut is a cut of the goal's revenue in force, not below what the
    goal pays publishers, with the figures its kind uses (offers.services.terms_revenue_proposed:
    not_a_cut, revenue_below_payout, required, not_used): rules against the goal's terms. The
    kind is kept; its figures are set between the world's payout and revenue."""
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("revenue_kind"), str):
        return
    kind = body["revenue_kind"]
    for name, uses, figure in (
        ("revenue_amount", kind_uses_amount, A_CUT_AMOUNT),
        ("revenue_percent", kind_uses_percent, A_CUT_PERCENT),
    ):
        # A figure its kind does not use is 0: left out, the one in force would stand.
        body[name] = figure if uses(kind) else "0"


def requests_made_real(case, role: str, world, *, positive: bool) -> None:
    """After `positive_data_made_real`'s generic references, the rules of these operations
    (`positive`: as the example was generated, read before any edit)."""
    if not positive:
        return
    path, method = case.operation.path, case.method.upper()
    if path == REPORTS and method == "GET":
        _report_made_real(case, role)
    elif path == SANDBOX_SEND and method == "POST":
        _sandbox_send_made_real(case, world)
    elif path == IMPRESSION_REPORTS and method == "POST":
        _impression_report_made_real(case, world)
    elif path == PAYOUT_DETAILS_CHANGES and method == "POST":
        _payout_details_made_real(case)
    elif path == REVENUE_CUT_REQUESTS and method == "POST":
        _revenue_cut_made_real(case)


def state_made_real(case, world, *, positive: bool) -> None:
    """Inside the example's savepoint (rolled back after it): a pixel test conversion needs the
    offer's goal to take pixels, from a domain it names (offers.services: a pixel without
    domains is refused), which the world's goals do not, so that a goal's own PATCH stays as it
    is for every other example."""
    if not positive:
        return
    body = case.body
    pixel = isinstance(body, dict) and body.get("dialect") == "pixel"
    if case.operation.path == SANDBOX_SEND and pixel:
        Goal.objects.filter(id=world.rows["goals"]["A_pub"]).update(
            pixel_enabled=True, pixel_domains=[A_PIXEL_DOMAIN]
        )
