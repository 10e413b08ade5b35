"""The machine-readable codes tracking writes and answers, one enum per kind.

Each member's value is the exact string stored (CallbackInbox.result, Conversion.reject_reason)
and answered (API error codes, explanations): the rows written before these enums existed hold
the same strings, and tests pin them literally. They are StrEnums, not model choices: the
columns take other codes too (a conversion's status, a hold reason, a fraud signal's
`fraud_<signal>`), so the columns keep no choices and no migration follows from these.

Words for people live in tracking/explanation_words.py, keyed by these codes.
"""

from enum import StrEnum


class AuthRefusal(StrEnum):
    """Why a callback is not its advertiser's (tracking/callbacks/auth.py): the 403 code at the
    door, or the inbox row's result when the check was deferred to attribution."""

    NO_SECRET_CONFIGURED = "no_secret_configured"
    MISSING_AUTH = "missing_auth"
    BAD_TIMESTAMP = "bad_timestamp"
    STALE_TIMESTAMP = "stale_timestamp"
    SIGNATURE_V2_UNAVAILABLE = "signature_v2_unavailable"
    SIGNATURE_V1_RETIRED = "signature_v1_retired"
    BAD_SIGNATURE = "bad_signature"
    BAD_TOKEN = "bad_token"
    TOKEN_MISMATCH = "token_mismatch"  # the token parameter and the token header differ
    IP_NOT_ALLOWED = "ip_not_allowed"
    ADVERTISER_INACTIVE = "advertiser_inactive"
    UNKNOWN_OFFER = "unknown_offer"  # deferred: the click's offer has no advertiser auth
    REPLAYED = "replayed"  # the same signature twice (a 409, not a 403)


class CallbackResult(StrEnum):
    """An inbox row's result when the callback yields no conversion (besides AuthRefusal).

    A callback that converts has the conversion's status (approved, pending) or, rejected, its
    RejectReason as its result (tracking/attribution/decide.py).
    """

    INVALID = "invalid"  # its fields are malformed (validated at the door: written otherwise)
    UNKNOWN_CLICK = "unknown_click"
    ADVERTISER_MISMATCH = "advertiser_mismatch"
    OFFER_MISMATCH = "offer_mismatch"
    UNKNOWN_GOAL = "unknown_goal"
    PIXEL_DISABLED = "pixel_disabled"
    PIXEL_DOMAIN_NOT_ALLOWED = "pixel_domain_not_allowed"
    TERMS_NOT_SET = "terms_not_set"
    DUPLICATE_TXN = "duplicate_txn"
    DUPLICATE_CONVERSION = "duplicate_conversion"


class RejectReason(StrEnum):
    """Why a conversion is rejected or reversed: its `reject_reason` (a pending one's is a
    Conversion.HoldReason). A fraud rule's reject adds `fraud_<signal>` codes (fraud/rules.py)."""

    ADVERTISER_REJECTED = "advertiser_rejected"
    # The fraud rule bot_user_agent's reason code (fraud/traffic.py, below tracking).
    BOT_CLICK = "bot_click"
    OFFER_INACTIVE = "offer_inactive"
    PUBLISHER_INACTIVE = "publisher_inactive"
    FALLBACK_CLICK = "fallback_click"
    WINDOW_EXPIRED = "window_expired"
    TOO_FAST = "too_fast"
    TOO_SLOW = "too_slow"
    CURRENCY_MISMATCH = "currency_mismatch"
    # A cap with action reject was full (with action hold, Conversion.HoldReason.CAP_REACHED:
    # the same string).
    CAP_REACHED = "cap_reached"
    MANUAL = "manual"  # rejected by hand (tracking/attribution/actions.py)
    REVERSED = "reversed"  # reversed by hand
