"""Signing callbacks as docs/api.md tells advertisers to, with Python's hmac module alone.

Tests sign requests with this, never with tracking.callbacks.auth: a test whose signer is the
code under test passes whatever that code computes, because the verifier computes the same
thing. This helper is pinned to hex literals computed once by hand (see KNOWN_* below and
tests/tracking/conversions/test_callback_auth.py), and tests/tracking/conversions/
test_callback_secrets_and_replay.py pins the product's own functions to its known answers.
"""

import hashlib
import hmac
import time
from urllib.parse import urlencode

# A fixed request for known-answer tests: a click id and a moment before signature v1's default
# cut-off (2027-07-01). The literals were computed once in a shell, by hand:
#   python3 -c 'import hmac, hashlib; m = b"1793000000\nGET\n/postback\n<query>";
#     print(hmac.new(KEY, m, hashlib.sha256).hexdigest())'
# with KEY = hashlib.sha256(b"adv-secret-for-tests").hexdigest().encode() for v1 and
# KEY = b"adv-secret-for-tests" for v2.
KNOWN_TIMESTAMP = 1793000000
KNOWN_CLICK_ID = "01JA0000000000000000000000"
# query "amount=5&click_id=01JA0000000000000000000000", v1
KNOWN_V1_AMOUNT_5 = "6a56d3052005a4f004f7b075c52529d4385cc99bbad0a158378d06046769ba69"
# query "click_id=01JA0000000000000000000000&goal=sale&txn_id=kat-1", v2
KNOWN_V2_KAT_1 = "77f0505214396af31cc756b9331cc47718bf95972d5a8a0786bccae924590a46"


def _message(timestamp: str, path: str, params: dict | list) -> bytes:
    pairs = sorted(params.items() if isinstance(params, dict) else params)
    return f"{timestamp}\nGET\n{path}\n{urlencode(pairs)}".encode()


def signed_v1(path: str, params: dict | list, *, secret: str, at: int | None = None) -> dict:
    """Headers of a v1 signature: keyed by sha256_hex(secret). Params hold no token."""
    timestamp = str(int(time.time()) if at is None else at)
    key = hashlib.sha256(secret.encode()).hexdigest().encode()
    digest = hmac.new(key, _message(timestamp, path, params), hashlib.sha256).hexdigest()
    return {"HTTP_X_AFFNET_TIMESTAMP": timestamp, "HTTP_X_AFFNET_SIGNATURE": digest}


def signed_v2(path: str, params: dict | list, *, secret: str, at: int | None = None) -> dict:
    """Headers of a v2 signature: keyed by the secret itself. Params hold no token."""
    timestamp = str(int(time.time()) if at is None else at)
    digest = hmac.new(
        secret.encode(), _message(timestamp, path, params), hashlib.sha256
    ).hexdigest()
    return {"HTTP_X_AFFNET_TIMESTAMP": timestamp, "HTTP_X_AFFNET_SIGNATURE": f"v2={digest}"}
