"""Who may move money: one table, asked by the API, the pages and the admin alike.

Every money-moving action is a row of `POLICY`: the grants that allow it, each a role and the
conditions that role must meet. Nothing else in the code decides who may do these things; an
edge calls `policy_require(action=..., user=..., facts={...})` with the facts the conditions
read, and a refusal is a ForbiddenError (403) naming the first unmet condition.
`docs/security.md` prints this table (`python manage.py policy_matrix`), and
`tests/accounts/test_money_policy.py` walks every row through the real endpoints.

Roles here are capacities, not only `User.role`: a superuser is also the `superuser` capacity
(and a manager, as everywhere else), an anonymous caller is the `visitor`. Managers run the
catalogue and decide network holds; finance moves money; nobody moves money alone
(docs/design.md, "Nobody moves money alone").
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.errors import ForbiddenError

VISITOR = "visitor"
PUBLISHER = "publisher"
ADVERTISER = "advertiser"
MANAGER = "manager"
FINANCE = "finance"
SUPERUSER = "superuser"
ROLES = (VISITOR, PUBLISHER, ADVERTISER, MANAGER, FINANCE, SUPERUSER)
PARTNER_ROLES = frozenset({PUBLISHER, ADVERTISER})


class Action(StrEnum):
    CONVERSION_APPROVE = "conversion.approve"
    CONVERSION_REJECT = "conversion.reject"
    CONVERSION_REVERSE = "conversion.reverse"
    CONVERSION_ADJUST = "conversion.adjust"
    CONVERSION_SALE_LOWER = "conversion.sale_lower"
    TERMS_REVENUE_SET = "terms.revenue_set"
    TERMS_PAYOUT_SET = "terms.payout_set"
    REVENUE_CUT_DECIDE = "revenue_cut.decide"
    LEDGER_ADJUST = "ledger.adjust"
    LEDGER_ADJUST_CONFIRM = "ledger.adjust_confirm"
    PAYOUT_DETAILS_CHANGE = "payout_details.change"
    PAYOUT_DETAILS_CONFIRM = "payout_details.confirm"
    PAYOUT_SETTINGS_CHANGE = "payout_settings.change"
    BATCH_BUILD = "batch.build"
    BATCH_APPROVE = "batch.approve"
    BATCH_EXPORT = "batch.export"
    BATCH_MARK_PAID = "batch.mark_paid"
    BATCH_LINE_FAIL = "batch.line_fail"
    BATCH_LINE_FAIL_CONFIRM = "batch.line_fail_confirm"
    API_KEY_MINT_FOR_OTHER = "api_key.mint_for_other"
    USER_MANAGE = "user.manage"
    USER_STAFF_CONFIRM = "user.staff_confirm"
    FRAUD_RULE_EDIT = "fraud_rule.edit"
    PUBLISHER_BAN = "publisher.ban"
    OFFER_COMPLIANCE_SET = "offer.compliance_set"
    TRAFFIC_SOURCE_DECLARE = "traffic_source.declare"
    INVOICE_BUILD = "invoice.build"
    INVOICE_ISSUE = "invoice.issue"
    INVOICE_PAYMENT_RECORD = "invoice.payment_record"
    ADVERTISER_TOP_UP = "advertiser.top_up"
    ADVERTISER_CREDIT_LIMIT_SET = "advertiser.credit_limit_set"
    OFFER_BUDGET_SET = "offer.budget_set"
    PERIOD_VALIDATE = "period.validate"
    PERIOD_CLOSE = "period.close"
    PERIOD_REOPEN = "period.reopen"
    TAX_FORM_UPLOAD = "tax_form.upload"
    TAX_FORM_REVIEW = "tax_form.review"
    SANDBOX_LINK_CREATE = "sandbox.link_create"
    SANDBOX_CONVERSION_SEND = "sandbox.conversion_send"
    SANDBOX_RESET = "sandbox.reset"
    PAYOUT_EXPLAIN = "payout.explain"
    LANDING_TEST_END = "landing_test.end"
    CREATIVE_TEST_END = "creative_test.end"
    TRACKING_DOMAIN_CREATE = "tracking_domain.create"
    PERSONAL_DATA_ERASURE_REQUEST = "personal_data.erasure_request"
    PERSONAL_DATA_ERASE = "personal_data.erase"
    IMPRESSION_SOURCE_SET = "impression_source.set"
    IMPRESSIONS_REPORT = "impressions.report"


@dataclass(frozen=True)
class Condition:
    """A named predicate over the acting user and the facts the edge gathered."""

    name: str
    says: str  # the matrix's wording, and the refusal message
    test: Callable[[Any, Mapping[str, Any]], bool]


def _fact(facts: Mapping[str, Any], name: str) -> Any:
    if name not in facts:
        # A missing fact is a programming error at the edge, never a silent allow.
        raise KeyError(f"policy fact {name!r} not given")
    return facts[name]


def _target_is_partner(user: Any, facts: Mapping[str, Any]) -> bool:
    target = _fact(facts, "target")
    if target is None:  # creating a user: the role it will get
        return _fact(facts, "target_role") in PARTNER_ROLES
    return (
        str(target.role) in PARTNER_ROLES
        and not target.is_superuser
        and not target.is_staff
        and _fact(facts, "target_role") in PARTNER_ROLES
    )


OWN_ADVERTISER = Condition(
    "own_advertiser",
    "the row belongs to the user's advertiser",
    lambda user, facts: _fact(facts, "advertiser_id") == user.advertiser_id is not None,
)
OWN_PUBLISHER = Condition(
    "own_publisher",
    "the row belongs to the user's publisher",
    lambda user, facts: _fact(facts, "publisher_id") == user.publisher_id is not None,
)
AWAITING_ADVERTISER = Condition(
    "awaiting_advertiser",
    "the conversion is pending because its goal asks for the advertiser's approval",
    lambda user, facts: _fact(facts, "hold_reason") == "advertiser_approval",
)
REASON_GIVEN = Condition(
    "reason_given",
    "a reason is given",
    lambda user, facts: bool(str(_fact(facts, "reason") or "").strip()),
)
REASON_IF_NETWORK_DECIDED = Condition(
    "reason_if_network_decided",
    "a reason is given when it overrides a network hold or rejection",
    lambda user, facts: (
        _fact(facts, "hold_reason") == "advertiser_approval"
        or bool(str(_fact(facts, "reason") or "").strip())
    ),
)
WITHIN_REVERSAL_WINDOW = Condition(
    "within_reversal_window",
    "the conversion is younger than its offer's reversal window",
    lambda user, facts: bool(_fact(facts, "within_reversal_window")),
)
REVENUE_NOT_CUT_LIVE = Condition(
    "revenue_not_cut_live",
    "the revenue is not lowered (nor its kind changed) while the offer is live: a manager does "
    "that",
    lambda user, facts: not _fact(facts, "cuts_live_revenue"),
)
NOT_AN_AUTHOR = Condition(
    "not_an_author",
    "the user authored none of it (built the batch, an adjustment in it, or payout details of "
    "one of its lines)",
    lambda user, facts: user.pk not in set(_fact(facts, "authors")),
)
NOT_THE_REQUESTER = Condition(
    "not_the_requester",
    "the user is not the one who asked for it",
    lambda user, facts: user.pk != _fact(facts, "requested_by_id"),
)
NOT_THE_TARGET = Condition(
    "not_the_target",
    "the user is not the one the change is about",
    lambda user, facts: user.pk != _fact(facts, "target_id"),
)
NOT_THE_VALIDATOR = Condition(
    "not_the_validator",
    "the user did not validate it",
    lambda user, facts: user.pk != _fact(facts, "validated_by_id"),
)
NOT_THE_UPLOADER = Condition(
    "not_the_uploader",
    "the user did not upload it",
    lambda user, facts: user.pk != _fact(facts, "uploaded_by_id"),
)
TARGET_IS_PARTNER = Condition(
    "target_is_partner",
    "the user acted on is a publisher or advertiser user (never staff or a superuser)",
    _target_is_partner,
)


@dataclass(frozen=True)
class Grant:
    role: str
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Rule:
    action: Action
    grants: tuple[Grant, ...]
    note: str = ""


POLICY: dict[Action, Rule] = {
    rule.action: rule
    for rule in (
        Rule(
            Action.CONVERSION_APPROVE,
            (
                Grant(MANAGER, (REASON_IF_NETWORK_DECIDED,)),
                Grant(ADVERTISER, (OWN_ADVERTISER, AWAITING_ADVERTISER)),
            ),
            "Network holds (fraud, amount limit, cap, pixel, window) and rejections are the "
            "network's to decide; managers give a reason when they override one.",
        ),
        Rule(
            Action.CONVERSION_REJECT,
            (Grant(MANAGER, (REASON_GIVEN,)), Grant(ADVERTISER, (OWN_ADVERTISER, REASON_GIVEN))),
        ),
        Rule(
            Action.CONVERSION_REVERSE,
            (
                Grant(MANAGER, (REASON_GIVEN,)),
                Grant(ADVERTISER, (OWN_ADVERTISER, REASON_GIVEN, WITHIN_REVERSAL_WINDOW)),
            ),
            "After the offer's reversal window (reversal_window_days) only a manager reverses.",
        ),
        Rule(
            Action.CONVERSION_SALE_LOWER,
            (Grant(MANAGER, (REASON_GIVEN,)), Grant(ADVERTISER, (OWN_ADVERTISER, REASON_GIVEN))),
            "A corrected sale amount (monthly validation) only lowers it; revenue and payout "
            "follow the terms frozen at attribution.",
        ),
        Rule(
            Action.CONVERSION_ADJUST,
            (Grant(MANAGER),),
            "Payout stays at or below revenue unless the offer allows otherwise.",
        ),
        Rule(
            Action.TERMS_REVENUE_SET,
            (Grant(MANAGER), Grant(ADVERTISER, (OWN_ADVERTISER, REVENUE_NOT_CUT_LIVE))),
            "An advertiser raises what it pays on its own goals; lowering it (or changing its "
            "kind) on a live offer is a manager's decision. Either applies to new conversions "
            "only: a conversion keeps the terms frozen at attribution.",
        ),
        Rule(
            Action.TERMS_PAYOUT_SET,
            (Grant(MANAGER),),
            "Payouts are the network's decision; advertisers never set or see them.",
        ),
        Rule(
            Action.REVENUE_CUT_DECIDE,
            (Grant(MANAGER),),
            "Approving or rejecting (with a reason) an advertiser's request to lower what it "
            "pays on a live offer. An approval applies to new conversions only, and is refused "
            "if the goal's revenue changed since it was asked.",
        ),
        Rule(
            Action.LEDGER_ADJUST,
            (Grant(FINANCE),),
            "Above PAYOUT_ADJUSTMENT_CONFIRM_ABOVE (summed per author and publisher since the "
            "last paid batch) it waits for a second finance user.",
        ),
        Rule(Action.LEDGER_ADJUST_CONFIRM, (Grant(FINANCE, (NOT_THE_REQUESTER,)),)),
        Rule(
            Action.PAYOUT_DETAILS_CHANGE,
            (Grant(PUBLISHER, (OWN_PUBLISHER,)), Grant(FINANCE)),
            "Every change waits for a finance confirmation before batches use it.",
        ),
        Rule(Action.PAYOUT_DETAILS_CONFIRM, (Grant(FINANCE, (NOT_THE_REQUESTER,)),)),
        Rule(
            Action.PAYOUT_SETTINGS_CHANGE,
            (Grant(FINANCE),),
            "Payout method, currency, hold days and minimum payout.",
        ),
        Rule(Action.BATCH_BUILD, (Grant(FINANCE),)),
        Rule(
            Action.BATCH_APPROVE,
            (Grant(FINANCE, (NOT_AN_AUTHOR,)),),
            "Scheduled batches too; approval binds to the digest of the lines shown.",
        ),
        Rule(Action.BATCH_EXPORT, (Grant(FINANCE),)),
        Rule(Action.BATCH_MARK_PAID, (Grant(FINANCE),)),
        Rule(
            Action.BATCH_LINE_FAIL,
            (Grant(FINANCE),),
            "A failed line is paid again later, so it waits for a second finance user.",
        ),
        Rule(Action.BATCH_LINE_FAIL_CONFIRM, (Grant(FINANCE, (NOT_THE_REQUESTER,)),)),
        Rule(
            Action.API_KEY_MINT_FOR_OTHER,
            (Grant(MANAGER, (TARGET_IS_PARTNER,)), Grant(SUPERUSER)),
        ),
        Rule(
            Action.USER_MANAGE,
            (Grant(MANAGER, (TARGET_IS_PARTNER,)), Grant(SUPERUSER)),
            "Create, edit, reset, change role; creating or resetting a finance user waits for "
            "an existing finance user's confirmation.",
        ),
        Rule(
            Action.USER_STAFF_CONFIRM,
            (Grant(FINANCE, (NOT_THE_REQUESTER, NOT_THE_TARGET)),),
        ),
        Rule(
            Action.FRAUD_RULE_EDIT,
            (Grant(MANAGER),),
            "Fraud rules decide which conversions earn; an edit applies to new conversions only.",
        ),
        Rule(
            Action.PUBLISHER_BAN,
            (Grant(MANAGER),),
            "Setting or lifting status banned: a banned publisher is never paid, and its e-mail "
            "domains, sign-up address and payout details mark the publishers sharing them.",
        ),
        Rule(
            Action.OFFER_COMPLIANCE_SET,
            (Grant(MANAGER),),
            "An offer's allowed and forbidden traffic types and its terms text; a published "
            "terms version never changes, a new one is published instead.",
        ),
        Rule(
            Action.TRAFFIC_SOURCE_DECLARE,
            (Grant(PUBLISHER, (OWN_PUBLISHER,)), Grant(MANAGER)),
            "A click from a source the offer does not allow is flagged, and rules may hold it.",
        ),
        Rule(
            Action.INVOICE_BUILD,
            (Grant(FINANCE),),
            "Drafts an advertiser's invoices for a period from approved revenue (billing/).",
        ),
        Rule(
            Action.INVOICE_ISSUE,
            (Grant(FINANCE),),
            "Takes the next number of the series; an issued invoice never changes, changes after "
            "it are credited on the next one.",
        ),
        Rule(
            Action.INVOICE_PAYMENT_RECORD,
            (Grant(FINANCE),),
            "Money received against an issued invoice, never more than it still owes.",
        ),
        Rule(
            Action.ADVERTISER_TOP_UP,
            (Grant(FINANCE),),
            "Prepaid money: adds to the funds the advertiser's offers run on.",
        ),
        Rule(
            Action.ADVERTISER_CREDIT_LIMIT_SET,
            (Grant(FINANCE),),
            "Its offers pause when revenue booked reaches the limit plus money received.",
        ),
        Rule(
            Action.OFFER_BUDGET_SET,
            (Grant(FINANCE), Grant(MANAGER)),
            "Revenue per day or month; the offer pauses when it is reached.",
        ),
        Rule(
            Action.PERIOD_VALIDATE,
            (Grant(FINANCE),),
            "A month that has ended, its figures checked; the first step of closing it.",
        ),
        Rule(
            Action.PERIOD_CLOSE,
            (Grant(FINANCE, (NOT_THE_VALIDATOR,)),),
            "Months close in order; a closed month's conversions change only through "
            "adjustments booked in the open month, and its earnings become payable "
            "(PAYABLE_AFTER_CLOSE_DAYS).",
        ),
        Rule(
            Action.PERIOD_REOPEN,
            (Grant(FINANCE, (NOT_THE_VALIDATOR,)),),
            "A validated month goes back to open, with a reason, as the second pair of eyes "
            "on its validation; a closed month never reopens.",
        ),
        Rule(
            Action.TAX_FORM_UPLOAD,
            (Grant(PUBLISHER, (OWN_PUBLISHER,)), Grant(FINANCE)),
            "Where TAX_FORM_REQUIRED is on, a publisher is paid only with an accepted form.",
        ),
        Rule(Action.TAX_FORM_REVIEW, (Grant(FINANCE, (NOT_THE_UPLOADER,)),)),
        Rule(
            Action.SANDBOX_LINK_CREATE,
            (Grant(PUBLISHER, (OWN_PUBLISHER,)), Grant(MANAGER)),
            "A test link's conversions run every check but never reach the ledger, reports, "
            "caps or fraud counters; a publisher's only for an offer it may run.",
        ),
        Rule(
            Action.SANDBOX_CONVERSION_SEND,
            (
                Grant(PUBLISHER, (OWN_PUBLISHER,)),
                Grant(ADVERTISER, (OWN_ADVERTISER,)),
                Grant(MANAGER),
            ),
            "Test clicks only: the callback is signed with the advertiser's key where it can "
            "be, else marked as sent by the network.",
        ),
        Rule(
            Action.SANDBOX_RESET,
            (Grant(PUBLISHER, (OWN_PUBLISHER,)), Grant(MANAGER)),
            "Deletes the test rows of one test link (clicks, callbacks, conversions, "
            "postbacks, trace); no real row is touched.",
        ),
        Rule(
            Action.PAYOUT_EXPLAIN,
            (
                Grant(PUBLISHER, (OWN_PUBLISHER,)),
                Grant(ADVERTISER, (OWN_ADVERTISER,)),
                Grant(FINANCE),
                Grant(MANAGER),
            ),
            "Reading why a conversion or ledger entry is its amount (payouts/explain.py): a "
            "publisher the payout side only (never revenue, the raw callback or fraud "
            "evidence), an advertiser the revenue side of its conversions and no ledger entry.",
        ),
        Rule(
            Action.LANDING_TEST_END,
            (Grant(MANAGER),),
            "Ending an A/B test of landing pages promotes the winner: every visitor of the offer "
            "goes to its URL, which changes what the offer converts and so what it earns.",
        ),
        Rule(
            Action.CREATIVE_TEST_END,
            (Grant(MANAGER),),
            "Ending an A/B test of creatives promotes the winner: the test's code shows it to "
            "every visitor, which changes what the offer converts and so what it earns.",
        ),
        Rule(
            Action.TRACKING_DOMAIN_CREATE,
            (Grant(MANAGER),),
            "A network domain (any publisher may choose it) or one publisher's own; its host "
            "must be in ALLOWED_HOSTS, so no link is minted on a host the click handler refuses.",
        ),
        Rule(
            Action.PERSONAL_DATA_ERASURE_REQUEST,
            (Grant(PUBLISHER), Grant(ADVERTISER)),
            "A partner user asks for the deletion of its own personal data (never another's); "
            "finance or a "
            "manager carries it out.",
        ),
        Rule(
            Action.PERSONAL_DATA_ERASE,
            (Grant(FINANCE, (TARGET_IS_PARTNER,)), Grant(MANAGER, (TARGET_IS_PARTNER,))),
            "Names, e-mails and payout details become a placeholder and the user is "
            "deactivated; ledger entries, conversions and batches keep their amounts.",
        ),
        Rule(
            Action.IMPRESSION_SOURCE_SET,
            (Grant(MANAGER),),
            "Whether an offer's (or one publisher's) CPM is priced from the unauthenticated "
            "pixels or from reported counts; days not booked yet follow it.",
        ),
        Rule(
            Action.IMPRESSIONS_REPORT,
            (Grant(ADVERTISER, (OWN_ADVERTISER,)), Grant(MANAGER)),
            "Reported impression counts price CPM where the source is reported: the offer's "
            "advertiser (its ad server) or a manager (a third-party ad server's count); never "
            "the publisher paid by them. After the day is booked a report books the difference.",
        ),
    )
}


def actor_roles(user: Any) -> frozenset[str]:
    """The capacities a user acts in: its role, plus superuser (who is also a manager)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset({VISITOR})
    roles = {str(user.role)}
    if user.is_superuser:
        roles |= {SUPERUSER, MANAGER}
    return frozenset(roles)


def policy_refusal(*, action: Action, user: Any, facts: Mapping[str, Any]) -> str | None:
    """None when some grant of `action` allows `user` with these facts; else why not."""
    rule = POLICY[action]
    roles = actor_roles(user)
    unmet: list[str] = []
    for grant in rule.grants:
        if grant.role not in roles:
            continue
        failed = next((c for c in grant.conditions if not c.test(user, facts)), None)
        if failed is None:
            return None
        unmet.append(failed.says)
    if unmet:
        return f"Not allowed: {unmet[0]}."
    allowed = " or ".join(grant.role for grant in rule.grants)
    return f"Only {allowed} may do this ({action})."


def policy_allows(*, action: Action, user: Any, facts: Mapping[str, Any] | None = None) -> bool:
    return policy_refusal(action=action, user=user, facts=facts or {}) is None


def policy_require(*, action: Action, user: Any, facts: Mapping[str, Any] | None = None) -> None:
    """Raise ForbiddenError (403, code `forbidden`) unless the policy allows it."""
    refusal = policy_refusal(action=action, user=user, facts=facts or {})
    if refusal is not None:
        raise ForbiddenError("forbidden", refusal)


def policy_roles(action: Action) -> frozenset[str]:
    """The roles some grant of `action` names (conditions aside): what pages offer a button to."""
    return frozenset(grant.role for grant in POLICY[action].grants)


def policy_matrix_rows(actions: Iterable[Action] = tuple(Action)) -> list[list[str]]:
    """The table docs/security.md prints: one row per action, one column per role.

    A superuser's column counts its manager capacity too; the least conditional grant shows.
    """
    rows = []
    for action in actions:
        rule = POLICY[action]
        cells = []
        for role in ROLES:
            capacities = {role, MANAGER} if role == SUPERUSER else {role}
            grants = sorted(
                (grant for grant in rule.grants if grant.role in capacities),
                key=lambda grant: len(grant.conditions),
            )
            if not grants:
                cells.append("no")
            elif not grants[0].conditions:
                cells.append("yes")
            else:
                cells.append("if " + "; ".join(c.says for c in grants[0].conditions))
        rows.append([str(action), *cells, rule.note])
    return rows
