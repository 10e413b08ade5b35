"""Writes the pages need that no app offers yet: firing a postback template once, as a test.

A test fire owes nothing and is not a delivery (deliveries belong to conversions): it fills the
template with sample values, goes through the same SSRF guard and the same HTTP call as real
postbacks (tracking.postbacks), and returns what happened for the page to show.
"""

from dataclasses import dataclass

from django.utils import timezone

from affiliates.models import PostbackTemplate
from core.macros import POSTBACK_MACRO_ALIASES, macros_fill
from tracking.postbacks.calls import target_call
from tracking.postbacks.targets import UnsafeTargetError, target_resolve

# Not a real click id (it cannot be one: real ids are ULIDs), so a publisher can tell it apart.
TEST_CLICK_ID = "TEST" + "0" * 22


@dataclass(frozen=True)
class TestFire:
    url: str
    outcome: str  # ok, http_error, timeout, connection_error, refused_<why>
    status_code: int | None
    excerpt: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def postback_template_test_fire(*, template: PostbackTemplate) -> TestFire:
    values = {
        "click_id": TEST_CLICK_ID,
        "sub1": "test-sub1",
        "sub2": "",
        "sub3": "",
        "sub4": "",
        "sub5": "",
        "source": "test",
        "offer_id": str(template.offer_id or 0),
        "goal": template.goal.ref if template.goal_id else "test",
        "payout": "1.00",
        "currency": template.publisher.payout_currency,
        "conversion_id": "0",
        "status": "test",
        "sale_amount": "",
        "event_time": timezone.now().replace(microsecond=0).isoformat(),
    }
    url = macros_fill(template.url, values, POSTBACK_MACRO_ALIASES)
    try:
        target = target_resolve(url)
    except UnsafeTargetError as exc:
        return TestFire(url, f"refused_{exc.reason}", None, "", 0)
    result = target_call(target=target, method=template.method)
    return TestFire(url, result.outcome, result.status_code, result.excerpt, result.duration_ms)
