"""What a callback says, whatever dialect it speaks.

The inbox keeps the parameters as received (minus secrets); the endpoint and attribution both
read them through `callback_fields`, so the two never disagree about what a parameter means.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from core.money import currency_is_known

# A ULID: 26 Crockford base32 characters, the first at most 7 (48-bit timestamp).
CLICK_ID_PATTERN = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
STATUSES = ("approved", "pending", "rejected")
MAX_TXN_ID_LENGTH = 128
MAX_TEXT_LENGTH = 255
# Bigint ids: a numeric offer id or goal id longer than this names nothing we have.
MAX_ID_DIGITS = 18

# Per dialect: our name -> the parameter names that carry it, first present wins.
DIALECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "s2s": {
        "click_id": ("click_id", "transaction_id"),
        "goal": ("goal", "goal_id", "event_id"),
        "amount": ("amount", "sale_amount"),
        "txn_id": ("txn_id", "adv_sub", "order_id"),
        "currency": ("currency",),
        "status": ("status",),
        "offer_id": ("offer_id",),
        "token": ("token", "security_token", "verification_token"),
    },
    "tune": {
        "click_id": ("transaction_id", "click_id"),
        "goal": ("goal_id", "goal"),
        "amount": ("amount", "sale_amount"),
        "txn_id": ("adv_sub", "txn_id", "order_id"),
        "currency": ("currency",),
        "status": ("status",),
        "offer_id": ("offer_id",),
        "token": ("security_token", "token"),
    },
    "everflow": {
        "click_id": ("transaction_id", "click_id"),
        "goal": ("event_id", "goal"),
        "amount": ("amount", "sale_amount"),
        "txn_id": ("order_id", "txn_id", "adv_sub"),
        "currency": ("currency",),
        "status": ("status",),
        "offer_id": ("nid", "offer_id"),
        "token": ("verification_token", "token"),
    },
    "pixel": {
        "click_id": ("click_id",),
        "goal": ("goal",),
        "amount": ("amount", "sale_amount"),
        "txn_id": ("txn_id", "adv_sub", "order_id"),
        "currency": ("currency",),
        "status": (),
        "offer_id": (),
        "token": (),
    },
}
TOKEN_PARAMS = frozenset({"token", "security_token", "verification_token"})
# What a pixel's inbox row keeps of where it was fired from (the origin only), and whether its
# click id came from our cookie or from its own `click_id` parameter.
PIXEL_ORIGIN_HEADERS = ("Origin", "Referer")
PIXEL_CLICK_SOURCE = "_click_from"


@dataclass(frozen=True, slots=True)
class CallbackFields:
    click_id: str
    goal: str
    amount: Decimal | None
    txn_id: str
    currency: str
    status: str
    offer_id: int | None
    token: str
    adv: tuple[str, str, str, str, str]


class CallbackShapeError(ValueError):
    """The callback cannot be understood; `field` names the parameter at fault."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


def text_is_storable(value: str) -> bool:
    """Can PostgreSQL keep this text? Not with a NUL (no text or jsonb value may hold one), nor
    with a lone surrogate (JSON's "\\ud800" decodes to one; it has no UTF-8 spelling)."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def unstorable_parameter(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first parameter whose name or value PostgreSQL cannot keep, or None.

    Checked at the door, before anything is stored: such a value would fail its insert, and in a
    group commit (tracking/group_commit.py) the insert of its neighbours too until the batch is
    retried apart.
    """
    for name, value in pairs:
        if not (text_is_storable(name) and text_is_storable(value)):
            # A name that is itself the problem is named with escapes, so the answer can say it.
            return name if text_is_storable(name) else ascii(name)[1:-1]
    return None


def params_first(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The parameters as read: the first value of a repeated name wins (a later one cannot
    override what a proxy or a signature saw first)."""
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


def _ascii_number(value: str) -> bool:
    # str.isdigit() is true of superscripts and other scripts' digits, which int() refuses.
    return value.isascii() and value.isdigit()


def _first(params: Mapping[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        value = params.get(name)
        if value:
            return value.strip()
    return ""


def callback_fields(*, dialect: str, params: Mapping[str, str]) -> CallbackFields:
    """Read and validate a callback's parameters. Raises CallbackShapeError."""
    names = DIALECTS[dialect]
    click_id = _first(params, names["click_id"]).upper()
    if not click_id:
        raise CallbackShapeError("click_id", "click_id_missing", "A click id is required.")
    if not CLICK_ID_PATTERN.match(click_id):
        raise CallbackShapeError(
            "click_id", "click_id_invalid", "The click id is not one this network issued."
        )
    raw_amount = _first(params, names["amount"])
    amount = None
    if raw_amount:
        try:
            amount = Decimal(raw_amount)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 12:
            raise CallbackShapeError(
                "amount", "amount_invalid", "The amount must be a non-negative decimal number."
            )
    currency = _first(params, names["currency"]).upper()
    if currency and not currency_is_known(currency):
        raise CallbackShapeError(
            "currency", "currency_invalid", "The currency must be an ISO 4217 code."
        )
    status = _first(params, names["status"]).lower()
    if status and status not in STATUSES:
        raise CallbackShapeError(
            "status", "status_invalid", "The status must be approved, pending or rejected."
        )
    txn_id = _first(params, names["txn_id"])
    if len(txn_id) > MAX_TXN_ID_LENGTH:
        raise CallbackShapeError(
            "txn_id", "txn_id_too_long", f"The transaction id is over {MAX_TXN_ID_LENGTH} chars."
        )
    goal = _first(params, names["goal"])
    if len(goal) > MAX_TEXT_LENGTH:
        raise CallbackShapeError("goal", "goal_invalid", "The goal is too long.")
    if goal.isdigit() and not (_ascii_number(goal) and len(goal) <= MAX_ID_DIGITS):
        raise CallbackShapeError(
            "goal", "goal_invalid", f"A goal id is a number of at most {MAX_ID_DIGITS} digits."
        )
    raw_offer = _first(params, names["offer_id"])
    offer_id = None
    if raw_offer:
        if not _ascii_number(raw_offer) or len(raw_offer) > MAX_ID_DIGITS:
            raise CallbackShapeError("offer_id", "offer_id_invalid", "The offer id is a number.")
        offer_id = int(raw_offer)
    adv = tuple(params.get(f"adv{n}", "")[:MAX_TEXT_LENGTH] for n in range(1, 6))
    return CallbackFields(
        click_id=click_id,
        goal=goal,
        amount=amount,
        txn_id=txn_id,
        currency=currency,
        status=status,
        offer_id=offer_id,
        token=_first(params, names["token"]),
        adv=adv,  # type: ignore[arg-type]
    )


def url_origin(value: str) -> str:
    """``scheme://host[:port]`` of a URL (a Referer or an Origin), lower case; "" when none.

    A pixel keeps only this of its Referer: the thank-you page's path and query may name the
    buyer or the order.
    """
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not host:
        return ""
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def pixel_host(headers: Mapping[str, str]) -> str:
    """The host a pixel was fired from: its Origin's when the browser sent one, else its
    Referer's; "" when neither names one (an Origin of ``null`` names none)."""
    origin = headers.get("Origin", "")
    if origin:
        return urlsplit(url_origin(origin)).hostname or ""
    return urlsplit(url_origin(headers.get("Referer", ""))).hostname or ""


def pixel_host_allowed(*, host: str, domains: Iterable[str]) -> bool:
    """Is `host` one of `domains` or a subdomain of one? ``shop.example`` allows
    ``shop.example`` and ``www.shop.example``, never ``notshop.example``."""
    host = host.lower().rstrip(".")
    if not host:
        return False
    for domain in domains:
        domain = str(domain).strip().lower().strip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False
