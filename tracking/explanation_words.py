"""The codes attribution writes, in words people read: explanation checks, hold and rejection
reasons, and the callback inbox's results.

The codes stay the machine's (the API returns them); pages show these sentences beside them.
A code without a sentence here is shown as itself, so a new code is never hidden.
"""

from typing import Any

from tracking.models import Conversion
from tracking.result_codes import AuthRefusal, CallbackResult, RejectReason

HoldReason = Conversion.HoldReason

CHECKS = {
    "terms": ("Terms found for the goal", "No terms for the goal"),
    "advertiser_status": ("The advertiser did not reject it", "The advertiser rejected it"),
    "bot": ("The click came from a person", "The click came from a bot"),
    "offer_active": ("The offer was active", "The offer was not active"),
    "publisher_active": ("The publisher was active", "The publisher was not active"),
    "fallback": (
        "The click reached the offer",
        "The click was sent to the fallback page, and the offer does not let those convert",
    ),
    "window": ("Within the attribution window", "Too long after the click"),
    "min_time": ("Not faster than the offer allows", "Too fast after the click"),
    "max_time": ("Not slower than the offer allows", "Too slow after the click"),
    "currency": ("Sent in the offer's currency", "Sent in another currency than the offer's"),
    "payout": ("The goal has a payout", "The network has not set this goal's payout yet"),
    "fx_rate": (
        "An exchange rate into the publisher's currency is loaded",
        "No exchange rate into the publisher's currency is loaded: held",
    ),
    "amount_limit": ("Sale amount within the limit", "Sale amount above the limit: held"),
    "pixel": ("Not from the pixel", "Came from the image pixel: waits for review"),
    "approval": ("Waits for the advertiser", "Waits for the advertiser"),
    "cap": ("Within every cap", "A cap was full"),
    "cap_override": ("A manager approved it past a full cap", "Cap override refused"),
    "fraud": ("No fraud rule stopped it", "A fraud rule fired"),
}

REASONS: dict[str, str] = {
    # Holds (pending).
    HoldReason.ADVERTISER_APPROVAL: (
        "Waiting for the advertiser's approval (the goal's approval is manual)"
    ),
    HoldReason.ADVERTISER_PENDING: "The advertiser said it is pending",
    HoldReason.PIXEL: "From the image pixel, which carries no credential: a manager reviews it",
    HoldReason.AMOUNT_ABOVE_LIMIT: "Sale amount above the goal's (or the network's) limit",
    HoldReason.CAP_REACHED: "A cap of the offer was full",
    HoldReason.PAYOUT_NOT_SET: "The network has not set this goal's payout yet",
    HoldReason.FRAUD_REVIEW: "A fraud rule held it for review",
    HoldReason.FX_RATE_MISSING: (
        "The publisher is paid in another currency and no exchange rate into it is loaded yet"
    ),
    # Rejections.
    RejectReason.ADVERTISER_REJECTED: "The advertiser rejected it",
    RejectReason.BOT_CLICK: "The click came from a bot",
    RejectReason.OFFER_INACTIVE: "The offer was not active",
    RejectReason.PUBLISHER_INACTIVE: "The publisher was not active",
    RejectReason.FALLBACK_CLICK: "The click went to the fallback page",
    RejectReason.WINDOW_EXPIRED: "It came after the attribution window",
    RejectReason.TOO_FAST: "It came too soon after the click",
    RejectReason.TOO_SLOW: "It came too late after the click",
    RejectReason.CURRENCY_MISMATCH: "It was sent in another currency than the offer's",
    RejectReason.MANUAL: "Rejected by hand",
    RejectReason.REVERSED: "Reversed by hand",
}

CALLBACK_RESULTS: dict[str, str] = {
    **{
        code: f"A rejected conversion: {text[0].lower()}{text[1:]}"
        for code, text in REASONS.items()
    },
    "approved": "Converted: approved",
    "pending": "Converted: waiting for review",
    CallbackResult.UNKNOWN_CLICK: (
        "No such click (wrong click id, or the click is older than we keep)"
    ),
    CallbackResult.ADVERTISER_MISMATCH: "The click belongs to another advertiser's offer",
    CallbackResult.OFFER_MISMATCH: "The offer named is not the click's offer",
    CallbackResult.UNKNOWN_GOAL: "The goal named is not one of the offer's goals",
    CallbackResult.PIXEL_DISABLED: "The goal's pixel is not enabled",
    CallbackResult.PIXEL_DOMAIN_NOT_ALLOWED: "The pixel fired from a domain the goal does not list",
    CallbackResult.TERMS_NOT_SET: "The goal has no terms",
    CallbackResult.DUPLICATE_TXN: "That transaction id was already converted",
    CallbackResult.DUPLICATE_CONVERSION: "The click already converted on this goal",
    CallbackResult.INVALID: "The callback's fields were malformed",
    AuthRefusal.NO_SECRET_CONFIGURED: "The advertiser has no postback secret yet",
    AuthRefusal.MISSING_AUTH: "No token or signature was sent",
    AuthRefusal.BAD_TIMESTAMP: "The signature's timestamp is malformed",
    AuthRefusal.STALE_TIMESTAMP: "The signature's timestamp is too old or in the future",
    AuthRefusal.BAD_SIGNATURE: "The signature does not match",
    AuthRefusal.BAD_TOKEN: "The token is wrong",
    AuthRefusal.IP_NOT_ALLOWED: "Sent from an address outside the advertiser's allowlist",
    AuthRefusal.SIGNATURE_V2_UNAVAILABLE: (
        "Signature v2 needs a secret minted after encryption: rotate it"
    ),
    AuthRefusal.SIGNATURE_V1_RETIRED: "Signed with v1, which is retired: sign with v2",
    AuthRefusal.UNKNOWN_OFFER: "No such offer",
    AuthRefusal.ADVERTISER_INACTIVE: "The advertiser is inactive",
}


def reason_in_words(code: str) -> str:
    if code not in REASONS and code.startswith("fraud_"):
        return f"Rejected by the fraud rule on {code.removeprefix('fraud_').replace('_', ' ')}"
    return REASONS.get(code, code)


def callback_result_in_words(code: str) -> str:
    if not code:
        return "Not processed yet"
    return CALLBACK_RESULTS.get(code, code)


def explanation_in_words(explanation: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Each step with a `says` sentence; its `detail` (figures) kept for who may read them."""
    steps = []
    for step in explanation or ():
        if not isinstance(step, dict):
            continue
        name = str(step.get("check", ""))
        ok = bool(step.get("ok"))
        passed, failed = CHECKS.get(name, (name, name))
        says = passed if ok else failed
        if name == "terms" and step.get("source") in ("offer_override", "goal_override"):
            says += " (the publisher's override)"
        steps.append({**step, "says": says})
    return steps
