"""The advertiser's monthly validation in a real headless chromium: sign in, upload a CSV,
read the preview (nothing changed yet), apply it, see the result and download it."""

from decimal import Decimal

import pytest

from tests import factories
from tests.portal.browser import page_new, screenshot, sign_in
from tests.portal.conftest import PASSWORD, network_build
from tracking.models import Conversion

CSV = (
    "txn_id,decision,reason,sale_amount\n"
    "ORDER-1,approve,,\n"
    "ORDER-2,approve,partly returned,40\n"
    "ORDER-3,reject,cancelled order,\n"
    "ORDER-9,approve,,\n"
)


@pytest.fixture
def net(transactional_db, settings, live_server):
    settings.TRACKING_BASE_URL = live_server.url
    return network_build()


def test_an_advertiser_uploads_a_validation_csv_sees_the_preview_then_the_result(
    browser, live_server, net, tmp_path
):
    held = {"status": "pending", "reject_reason": "advertiser_approval"}
    terms = {"revenue_kind": "revshare", "revenue_percent": "10", "payout_kind": "revshare"}
    rows = {
        txn: factories.ConversionFactory(
            goal=net.goal, publisher=net.publisher, advertiser_txn_id=txn, **held, **extra
        )
        for txn, extra in [
            ("ORDER-1", {}),
            ("ORDER-2", {"sale_amount": Decimal("100"), "terms": {**terms, "payout_percent": "7"}}),
            ("ORDER-3", {}),
        ]
    }
    path = tmp_path / "march.csv"
    path.write_text(CSV)

    page = page_new(browser, live_server.url)
    sign_in(page, "acme", PASSWORD)
    page.click("header nav >> text=Validation")
    page.set_input_files("#id_file", str(path))
    page.click("#validation-upload >> text=Preview")
    assert "Nothing has changed yet. 3 rows would change." in page.inner_text("main")
    assert page.inner_text("#validation-counts dd[data-outcome=not_found]") == "1"
    assert "14.00" in page.inner_text("#validation-money")  # 10 + 4 (40 at 10%)
    assert "Payout" not in page.inner_text("main")
    screenshot(page, "24-advertiser-validation-preview")
    assert Conversion.objects.get(pk=rows["ORDER-1"].pk).status == "pending"

    page.check("#validation-confirm")
    page.click("#validation-apply-submit")
    assert "Validation applied: 3 changed, 0 refused." in page.inner_text(".messages")
    assert "/validation/" in page.url
    screenshot(page, "25-advertiser-validation-result")
    with page.expect_download() as download:
        page.click("#result-csv")
    result = download.value.path().read_text()
    assert "ORDER-9" in result and "not_found" in result
    statuses = {txn: Conversion.objects.get(pk=c.pk).status for txn, c in rows.items()}
    assert statuses == {"ORDER-1": "approved", "ORDER-2": "approved", "ORDER-3": "rejected"}
    assert Conversion.objects.get(pk=rows["ORDER-2"].pk).sale_amount == Decimal("40")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
