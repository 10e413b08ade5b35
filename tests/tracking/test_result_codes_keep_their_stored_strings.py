"""The result-code enums are spellings of the strings already stored and answered: rows written
before them, API clients and the explanation words all read these exact values."""

import json

from tracking.explanation_words import CALLBACK_RESULTS, CHECKS, REASONS, explanation_in_words
from tracking.models import Conversion
from tracking.result_codes import AuthRefusal, CallbackResult, RejectReason


def test_every_auth_refusal_keeps_its_string():
    assert {member.name: str(member) for member in AuthRefusal} == {
        "NO_SECRET_CONFIGURED": "no_secret_configured",
        "MISSING_AUTH": "missing_auth",
        "BAD_TIMESTAMP": "bad_timestamp",
        "STALE_TIMESTAMP": "stale_timestamp",
        "SIGNATURE_V2_UNAVAILABLE": "signature_v2_unavailable",
        "SIGNATURE_V1_RETIRED": "signature_v1_retired",
        "BAD_SIGNATURE": "bad_signature",
        "BAD_TOKEN": "bad_token",
        "TOKEN_MISMATCH": "token_mismatch",
        "IP_NOT_ALLOWED": "ip_not_allowed",
        "ADVERTISER_INACTIVE": "advertiser_inactive",
        "UNKNOWN_OFFER": "unknown_offer",
        "REPLAYED": "replayed",
    }


def test_every_callback_result_keeps_its_string():
    assert {member.name: str(member) for member in CallbackResult} == {
        "INVALID": "invalid",
        "UNKNOWN_CLICK": "unknown_click",
        "ADVERTISER_MISMATCH": "advertiser_mismatch",
        "OFFER_MISMATCH": "offer_mismatch",
        "UNKNOWN_GOAL": "unknown_goal",
        "PIXEL_DISABLED": "pixel_disabled",
        "PIXEL_DOMAIN_NOT_ALLOWED": "pixel_domain_not_allowed",
        "TERMS_NOT_SET": "terms_not_set",
        "DUPLICATE_TXN": "duplicate_txn",
        "DUPLICATE_CONVERSION": "duplicate_conversion",
    }


def test_every_reject_reason_keeps_its_string():
    assert {member.name: str(member) for member in RejectReason} == {
        "ADVERTISER_REJECTED": "advertiser_rejected",
        "BOT_CLICK": "bot_click",
        "OFFER_INACTIVE": "offer_inactive",
        "PUBLISHER_INACTIVE": "publisher_inactive",
        "FALLBACK_CLICK": "fallback_click",
        "WINDOW_EXPIRED": "window_expired",
        "TOO_FAST": "too_fast",
        "TOO_SLOW": "too_slow",
        "CURRENCY_MISMATCH": "currency_mismatch",
        "CAP_REACHED": "cap_reached",
        "MANUAL": "manual",
        "REVERSED": "reversed",
    }


def test_a_code_serializes_and_looks_up_as_its_plain_string():
    assert json.dumps({"result": CallbackResult.DUPLICATE_TXN}) == '{"result": "duplicate_txn"}'
    assert f"{AuthRefusal.BAD_TOKEN}" == "bad_token"
    assert RejectReason.CAP_REACHED == Conversion.HoldReason.CAP_REACHED == "cap_reached"
    assert REASONS["manual"] == REASONS[RejectReason.MANUAL]
    assert CALLBACK_RESULTS["bad_token"] == CALLBACK_RESULTS[AuthRefusal.BAD_TOKEN]


def test_every_stored_refusal_and_rejection_has_words():
    # token_mismatch and replayed are answered at the door, never stored as a result.
    stored_auth = set(AuthRefusal) - {AuthRefusal.TOKEN_MISMATCH, AuthRefusal.REPLAYED}
    assert set(CallbackResult) | stored_auth <= set(CALLBACK_RESULTS)
    assert set(RejectReason) <= set(REASONS)


def test_every_hold_reason_has_words():
    # A pending conversion's page says why it waits; a new hold code must come with its sentence.
    missing = {str(reason) for reason in Conversion.HoldReason} - set(REASONS)
    assert missing == set()
    assert REASONS["fx_rate_missing"] != "fx_rate_missing"


def test_the_missing_exchange_rate_check_reads_as_words():
    # decide.py records it as check "fx_rate" beside the fx_rate_missing hold.
    steps = explanation_in_words(
        [{"check": "fx_rate", "ok": False, "detail": "no exchange rate into EUR loaded"}]
    )
    assert steps[0]["says"] == CHECKS["fx_rate"][1]
    assert "exchange rate" in steps[0]["says"]
