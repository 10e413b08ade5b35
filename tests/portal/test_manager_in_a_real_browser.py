"""The manager's journey in a real headless chromium against a live server: sign in, raise a
goal's payout on the offer page, then approve a conversion held for review, and the offer page
fits a 390 px wide phone without scrolling sideways."""

from decimal import Decimal

import pytest

from offers.models import Terms
from tests import factories
from tests.portal.browser import page_new, screenshot, sign_in
from tests.portal.conftest import PASSWORD, network_build
from tracking.models import Conversion


@pytest.fixture
def net(transactional_db, settings, live_server):
    settings.TRACKING_BASE_URL = live_server.url
    return network_build()


def test_a_manager_edits_an_offers_terms_and_decides_a_conversion(browser, live_server, net):
    held = factories.ConversionFactory(
        goal=net.goal,
        publisher=net.publisher,
        status=Conversion.Status.PENDING,
        reject_reason="amount_above_limit",
        advertiser_txn_id="ORDER-1001",
        explanation=[
            {"check": "window", "ok": True, "detail": "120s of 2592000s"},
            {"check": "amount_limit", "ok": False, "detail": "sale amount 5000, max 1000"},
        ],
    )
    page = page_new(browser, live_server.url)
    sign_in(page, "maria", PASSWORD)
    page.click("header nav >> text=Offers")
    screenshot(page, "17-manager-offers")
    page.click(f"#offers >> text={net.offer.name}")
    prefix = f"#id_goal-{net.goal.pk}"
    assert page.input_value(f"{prefix}-payout_amount") == "7.00"

    # Above revenue first: refused beside the field, nothing saved.
    page.fill(f"{prefix}-payout_amount", "12")
    page.click(f"#goal-{net.goal.pk} >> text=Save goal and terms")
    assert "above revenue" in page.inner_text(f"#goal-{net.goal.pk} .has-error")
    assert Terms.objects.get(goal=net.goal).payout_amount == Decimal("7")

    page.fill(f"{prefix}-payout_amount", "8.50")
    page.click(f"#goal-{net.goal.pk} >> text=Save goal and terms")
    assert "terms saved" in page.inner_text(".messages")
    assert page.url.endswith(f"#goal-{net.goal.pk}")
    assert Terms.objects.get(goal=net.goal).payout_amount == Decimal("8.5")
    screenshot(page, "18-manager-offer-terms")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 860})

    page.click("header nav >> text=Conversions")
    page.fill("#id_q", "ORDER-1001")
    page.click("form.filters >> text=Filter")
    screenshot(page, "19-manager-conversions")
    page.click(f'#conversions th a:text-is("{held.id}")')
    assert "Sale amount above the limit: held" in page.inner_text("#explanation")
    page.select_option("#id_action", "approve")
    page.fill("#id_reason", "order checked with the shop")
    page.click("#decide-submit")
    assert page.inner_text("#conversion-status") == "approved"
    assert "approved." in page.inner_text(".messages")
    assert "order checked with the shop" in page.inner_text("#history")
    screenshot(page, "20-manager-conversion-approved")
    held.refresh_from_db()
    assert held.status == Conversion.Status.APPROVED
