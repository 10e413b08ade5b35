"""The rotating code's own requests: /ct/<link code>/<test id>/image and /frame.

`image`: a 302 to the banner this visitor is shown (a banner-only test's code is an <img>
inside a link carrying ?ct=<test id>). `frame`: a small page with the creative's code (a test
with a text or HTML creative; its code is an <iframe>). The arm is picked as the click will pick
it (tracking/clicks/creative_tests.py), from the link snapshot only: no PostgreSQL query.
Neither answer may be cached by anyone (each visitor has its own creative), and neither is
counted as an impression (the impression pixel /i/ is).
"""

from collections.abc import Mapping

from tracking.clicks.creative_tests import (
    PARAM,
    creative_test_arm,
    creative_test_id_read,
    frame_document,
)
from tracking.clicks.geo import client_ip
from tracking.clicks.redirect import MAX_TEXT, NO_STORE, ClickResponse, busy, not_found
from tracking.clicks.resolve import LinkUnavailable, link_key_for_code, link_resolve

PREFIX = "/ct/"
# The frame shows a sanitised snippet: no script runs in it, it may be framed anywhere, and its
# images come from anywhere over http(s).
FRAME_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    NO_STORE,
    (
        "Content-Security-Policy",
        "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; "
        "frame-ancestors *; base-uri 'none'; form-action 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
]


def creative_test_serve(*, environ: Mapping[str, str], rest: str) -> ClickResponse:
    """`rest`: the path after /ct/, "<link code>/<test id>/image" or ".../frame"."""
    code, _, tail = rest.partition("/")
    test_text, _, form = tail.partition("/")
    test_id = creative_test_id_read(test_text)
    key = link_key_for_code(code)
    if test_id is None or key is None or form not in ("image", "frame"):
        return not_found()
    try:
        snapshot = link_resolve(key=key)
    except LinkUnavailable:
        return busy()
    if snapshot is None:
        return not_found()
    arm = creative_test_arm(
        tests=snapshot.creative_tests,
        test_id=test_id,
        ip=client_ip(environ) or "",
        user_agent=environ.get("HTTP_USER_AGENT", "")[:MAX_TEXT],
    )
    if arm is None:
        return not_found()
    if form == "image":
        if not arm[2]:
            return not_found()  # a text or HTML creative has no image: its code is a frame
        return ClickResponse(302, [("Location", arm[2]), NO_STORE])
    return ClickResponse(
        200,
        FRAME_HEADERS,
        frame_document(code=arm[3], click_url=f"/c/{code}?{PARAM}={test_id}"),
    )
