"""The codes attribution writes, in words people read: explanation checks, hold and rejection
reasons, and the callback inbox's results.

The codes stay the machine's (the API returns them); pages show these sentences beside them.
A code without a sentence here is shown as itself, so a new code is never hidden.
"""

from typing import Any

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
    "amount_limit": ("Sale amount within the limit", "Sale amount above the limit: held"),
    "pixel": ("Not from the pixel", "Came from the image pixel: waits for review"),
    "approval": ("Waits for the advertiser", "Waits for the advertiser"),
    "cap": ("Within every cap", "A cap was full"),
    "cap_override": ("A manager approved it past a full cap", "Cap override refused"),
    "fraud": ("No fraud rule stopped it", "A fraud rule fired"),
}

REASONS = {
    # Holds (pending).
    "advertiser_approval": "Waiting for the advertiser's approval (the goal's approval is manual)",
    "advertiser_pending": "The advertiser said it is pending",
    "pixel": "From the image pixel, which carries no credential: a manager reviews it",
    "amount_above_limit": "Sale amount above the goal's (or the network's) limit",
    "cap_reached": "A cap of the offer was full",
    "payout_not_set": "The network has not set this goal's payout yet",
    "fraud_review": "A fraud rule held it for review",
    # Rejections.
    "advertiser_rejected": "The advertiser rejected it",
    "bot_click": "The click came from a bot",
    "offer_inactive": "The offer was not active",
    "publisher_inactive": "The publisher was not active",
    "fallback_click": "The click went to the fallback page",
    "window_expired": "It came after the attribution window",
    "too_fast": "It came too soon after the click",
    "too_slow": "It came too late after the click",
    "currency_mismatch": "It was sent in another currency than the offer's",
    "manual": "Rejected by hand",
    "reversed": "Reversed by hand",
}

CALLBACK_RESULTS = {
    **{
        code: f"A rejected conversion: {text[0].lower()}{text[1:]}"
        for code, text in REASONS.items()
    },
    "approved": "Converted: approved",
    "pending": "Converted: waiting for review",
    "unknown_click": "No such click (wrong click id, or the click is older than we keep)",
    "advertiser_mismatch": "The click belongs to another advertiser's offer",
    "offer_mismatch": "The offer named is not the click's offer",
    "unknown_goal": "The goal named is not one of the offer's goals",
    "pixel_disabled": "The goal's pixel is not enabled",
    "pixel_domain_not_allowed": "The pixel fired from a domain the goal does not list",
    "terms_not_set": "The goal has no terms",
    "duplicate_txn": "That transaction id was already converted",
    "duplicate_conversion": "The click already converted on this goal",
    "invalid": "The callback's fields were malformed",
    "no_secret_configured": "The advertiser has no postback secret yet",
    "missing_auth": "No token or signature was sent",
    "bad_timestamp": "The signature's timestamp is malformed",
    "stale_timestamp": "The signature's timestamp is too old or in the future",
    "bad_signature": "The signature does not match",
    "bad_token": "The token is wrong",
    "ip_not_allowed": "Sent from an address outside the advertiser's allowlist",
    "signature_v2_unavailable": "Signature v2 needs a secret minted after encryption: rotate it",
    "unknown_offer": "No such offer",
    "advertiser_inactive": "The advertiser is inactive",
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
