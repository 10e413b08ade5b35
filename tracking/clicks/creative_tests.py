"""Creative A/B tests on the click path: which creative a visitor is shown, from the snapshot.

A test's rotating code (tracking/creative_test_code.py) makes two requests of the same browser:
the image (or frame) on the publisher's page, /ct/<link code>/<test id>/image (or /frame), and
later perhaps the click, /c/<link code>?ct=<test id>. Both pick the arm with the same weighted
rendezvous hash of the visitor (address, user agent, test: tracking/clicks/variants.py, as the
landing variants and smart links do), so the click records the creative that was shown, with
no cookie, no stored assignment and no extra round trip; the same visitor keeps the same
creative for as long as the test's arms stay as they are (the repeat window and beyond).

Everything comes from the link snapshot (LinkSnapshot.creative_tests, rebuilt at most every
CLICK_LINK_CACHE_SECONDS): no PostgreSQL query on either request.
"""

import html
from collections.abc import Mapping, Sequence

from tracking.clicks.variants import variant_pick

# An arm in the snapshot: [creative id, weight, banner image URL ("" for text and HTML), the
# creative's code with LINK_SLOT where the click URL goes (escaped, sanitised HTML)].
Arm = Sequence
LINK_SLOT = "{tracking_link}"
# The query parameter naming the test on the click.
PARAM = "ct"


def creative_test_key(*, ip: str, user_agent: str, test_id: int) -> str:
    return f"ct|{ip}|{user_agent}|{test_id}"


def creative_test_arms(tests: Sequence[Sequence], test_id: int) -> Sequence[Arm]:
    for listed_id, arms in tests:
        if listed_id == test_id:
            return arms
    return []


def creative_test_arm(
    *, tests: Sequence[Sequence], test_id: int, ip: str, user_agent: str
) -> Arm | None:
    """The arm this visitor is shown by the test; None for a test the snapshot does not have."""
    return variant_pick(
        variants=creative_test_arms(tests, test_id),
        key=creative_test_key(ip=ip, user_agent=user_agent, test_id=test_id),
    )


def creative_test_id_read(value: str) -> int | None:
    if value.isascii() and value.isdigit() and 0 < len(value) <= 18:
        return int(value)
    return None


def creative_test_note(
    *,
    query: Mapping[str, str],
    malformed: set[str],
    tests: Sequence[Sequence],
    ip: str,
    user_agent: str,
    record: dict,
    bad: list[str],
) -> None:
    """On a click carrying `ct`: record the creative this visitor was shown (`cv`) and the test
    (`ctt`). A test the snapshot does not have (unknown, another offer's, pushed out, or every
    creative withdrawn) is dropped and flagged as `creative` in bad_params; the visitor is
    redirected anyway."""
    test_id = None if PARAM in malformed else creative_test_id_read(query.get(PARAM, ""))
    arm = (
        creative_test_arm(tests=tests, test_id=test_id, ip=ip, user_agent=user_agent)
        if test_id is not None
        else None
    )
    if arm is None:
        bad.append("creative")
        return
    record["cv"] = arm[0]
    record["ctt"] = test_id


def frame_document(*, code: str, click_url: str) -> bytes:
    """The page the frame form of a rotating code shows: one creative, its links opening the
    click in a new browsing context (as the plain codes do)."""
    filled = code.replace(LINK_SLOT, html.escape(click_url, quote=True))
    return (
        '<!doctype html><html><head><meta charset="utf-8"><base target="_blank">'
        "</head>"
        f'<body style="margin:0">{filled}</body></html>'
    ).encode()
