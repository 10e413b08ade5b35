"""One HTTP call to a checked postback target: to its checked address, no redirects, 10 s."""

import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from tracking.postbacks.targets import Target

TIMEOUT_SECONDS = 10.0
EXCERPT_CHARS = 500
USER_AGENT = "affnet-postback/1"


@dataclass(frozen=True, slots=True)
class CallResult:
    outcome: str  # ok, http_error, timeout, connection_error
    status_code: int | None
    excerpt: str
    duration_ms: int


def target_call(
    *, target: Target, method: str, timeout: float = TIMEOUT_SECONDS, idempotency_key: str = ""
) -> CallResult:
    """`idempotency_key` goes out as the Idempotency-Key header, the same on every attempt of
    one delivery: a worker killed after the publisher answered but before the attempt was
    recorded sends the delivery again, and a publisher that keeps the key counts it once."""
    headers = {"Host": target.host_header, "User-Agent": USER_AGENT}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    if target.scheme == "https":
        # Connect to the checked address, but verify the certificate for (and send SNI of) the
        # name the publisher gave.
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            retries=False,
            timeout=urllib3.Timeout(total=timeout),
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, retries=False, timeout=urllib3.Timeout(total=timeout)
        )
    started = time.monotonic()
    try:
        response = pool.urlopen(
            method,
            target.path,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
        )
        try:
            body = response.read(EXCERPT_CHARS * 4, decode_content=True)
        finally:
            response.release_conn()
    except Urllib3Timeout:
        return CallResult("timeout", None, "", _ms(started))
    except (Urllib3Error, OSError) as exc:
        return CallResult("connection_error", None, str(exc)[:EXCERPT_CHARS], _ms(started))
    finally:
        pool.close()
    excerpt = body.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    outcome = "ok" if 200 <= response.status < 300 else "http_error"
    return CallResult(outcome, response.status, excerpt, _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
