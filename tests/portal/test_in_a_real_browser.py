"""Pages in a real headless chromium against a live server: the issue's two journeys.

1. A publisher signs in, builds a link, follows it (the click is recorded: the test runs the
   click ingester, as the `clicks` worker would), the advertiser's callback converts it (the
   test runs attribution, as the `attribution` worker would), and the dashboard and its chart
   show the click and the conversion.
2. A finance user builds a batch and is not offered its approval (a forged approval from its
   page is refused); a second finance user approves, exports and marks it paid after confirming.
"""

import json
import re
import urllib.request
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest

from payouts.models import LedgerEntry, PayoutBatch
from tests.portal.browser import page_new, screenshot, sign_in
from tests.portal.conftest import ADVERTISER_SECRET, PASSWORD, network_build
from tracking.attribution.services import inbox_batch_attribute
from tracking.clicks import buffer, resolve
from tracking.clicks.ingest import clicks_ingest
from tracking.models import Click, Conversion

# Posts an approval form built in the page (as a forged one would be): the session's CSRF token
# from the page's sign-out form, the digest the page shows.
FORGED_APPROVAL = """([url, batch]) => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = url;
    const fields = {
        csrfmiddlewaretoken: document.querySelector("input[name=csrfmiddlewaretoken]").value,
        digest: document.querySelector("#batch-digest").innerText.trim(),
        expected_total: document.querySelector("#batch-total").innerText.trim(),
    };
    for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
}"""


@pytest.fixture
def net(transactional_db, settings, live_server):
    settings.TRACKING_BASE_URL = live_server.url
    settings.PAYOUT_HOLD_DAYS = 0
    resolve._local.clear()
    client = buffer.redis_client()
    if client is not None:
        client.delete(settings.CLICK_STREAM_KEY)  # leftovers of other tests are not ours
    network = network_build()
    network.publisher.minimum_payout = Decimal("5")
    network.publisher.save(update_fields=["minimum_payout"])
    return network


def test_a_publisher_builds_a_link_follows_it_and_sees_the_conversion(
    browser, landing, live_server, net
):
    net.offer.landing_url = "http://shop.example/land?cid={click_id}&s1={sub1}"
    net.offer.save(update_fields=["landing_url"])
    page = page_new(browser, live_server.url)
    page.goto("/login/")
    screenshot(page, "01-sign-in")
    sign_in(page, "blue", PASSWORD)
    assert page.url.endswith("/publisher/")

    page.click("text=Offers")
    screenshot(page, "03-publisher-offers")
    page.click(f"text={net.offer.name}")
    page.fill("#id_sub1", "spring-campaign")
    page.fill("#id_source", "newsletter")
    page.click("text=Build link")
    url = page.input_value("#built-url")
    assert url.startswith(f"{live_server.url}/c/") and "sub1=spring-campaign" in url
    page.click("button[data-copy=built-url]")
    page.wait_for_function(
        "document.querySelector('button[data-copy=built-url]').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == url
    screenshot(page, "04-publisher-link-builder")

    visitor = page.context.new_page()
    visitor.goto(url)
    assert visitor.inner_text("h1") == "Acme landing"
    visitor.close()
    clicks_ingest(max_seconds=5)
    click = Click.objects.get(publisher_id=net.publisher.id)
    assert landing["paths"][0] == f"/land?cid={click.click_id}&s1=spring-campaign"
    assert (click.sub1, click.source) == ("spring-campaign", "newsletter")

    params = {
        "click_id": click.click_id,
        "goal": "sale",
        "txn_id": "A-1",
        "token": ADVERTISER_SECRET,
    }
    with urllib.request.urlopen(f"{live_server.url}/postback?{urlencode(params)}") as answer:
        assert json.load(answer)["status"] == "accepted"
    inbox_batch_attribute(limit=100)
    assert Conversion.objects.get().status == "approved"

    page.click("text=Dashboard")
    today = page.locator("tr[data-period=Today]")
    assert today.locator(".clicks").inner_text() == "1"
    assert today.locator(".conversions").inner_text() == "1"
    assert today.locator(".payout").inner_text() == "7.00"
    drawn = page.evaluate(
        """() => Chart.getChart("daily").data.datasets.map(
            (set) => [set.metric, set.data[set.data.length - 1]])"""
    )
    assert ["clicks", 1] in drawn and ["conversions", 1] in drawn and ["payout", 7] in drawn
    screenshot(page, "02-publisher-dashboard")

    for path, name in [
        ("/publisher/postbacks/", "05-publisher-postbacks"),
        ("/reports/", "06-publisher-reports"),
        ("/publisher/payouts/", "07-publisher-payouts"),
    ]:
        page.goto(path)
        screenshot(page, name)
    assert re.search(r"7\.00", page.inner_text("#balances"))

    advertiser = page_new(browser, live_server.url)
    sign_in(advertiser, "acme", PASSWORD)
    screenshot(advertiser, "08-advertiser-offers")
    advertiser.goto("/advertiser/conversions/")
    screenshot(advertiser, "09-advertiser-conversions")
    advertiser.click(f"text={Conversion.objects.get().id}")
    screenshot(advertiser, "10-advertiser-conversion")
    advertiser.goto("/advertiser/postback/")
    screenshot(advertiser, "11-advertiser-postback-setup")

    manager = page_new(browser, live_server.url)
    sign_in(manager, "maria", PASSWORD)
    assert manager.url.endswith("/network/")
    top_offer = manager.locator("#top-offers tbody tr").first.inner_text()
    assert net.offer.name in top_offer and "7.00" in top_offer
    assert net.publisher.name in manager.locator("#top-publishers tbody tr").first.inner_text()
    money = manager.evaluate(
        """() => Chart.getChart("money").data.datasets.map(
            (set) => [set.metric, set.data[set.data.length - 1]])"""
    )
    assert ["payout", 7] in money
    screenshot(manager, "16-network-dashboard")


def test_finance_builds_a_batch_and_only_a_second_person_may_approve_it(browser, live_server, net):
    from tests import factories

    factories.LedgerEntryFactory(publisher=net.publisher, amount=Decimal("60.00"))
    factories.LedgerEntryFactory(publisher=net.other_publisher, amount=Decimal("75.50"))

    builder = page_new(browser, live_server.url)
    sign_in(builder, "fiona", PASSWORD)
    builder.fill("#id_currency", "USD")
    builder.click("text=Build draft")
    assert builder.inner_text("#batch-status") == "draft"
    assert builder.inner_text("#batch-total") == "135.50"
    # Its builder is one of its authors: the page offers no approval, and says why.
    assert builder.locator("#approve").count() == 0
    assert "another finance user approves it" in builder.inner_text("#approve-refused")
    assert builder.inner_text("#batch-status") == "draft"
    screenshot(builder, "13-finance-self-approval-refused")
    # A forged approval posted from the builder's own page (its session's CSRF token, the
    # digest it was shown) is refused by the money policy: the builder authored the batch.
    batch = PayoutBatch.objects.get()
    # Until the post's answer has loaded: wait_for_load_state() could return on the page the
    # form was submitted from, before the navigation began (seen once at load 5).
    with builder.expect_navigation():
        builder.evaluate(FORGED_APPROVAL, [f"/finance/batches/{batch.id}/approve/", batch.id])
    assert "Not allowed: the user authored none of it" in builder.inner_text(".messages")
    assert builder.inner_text("#batch-status") == "draft"
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by) == ("draft", None)

    approver = page_new(browser, live_server.url)
    sign_in(approver, "frank", PASSWORD)
    approver.click(f"#batches a >> text={batch.id}")
    approver.click("#approve")
    assert approver.inner_text("#batch-status") == "approved"
    assert "approved." in approver.inner_text(".messages")
    screenshot(approver, "14-finance-batch-approved")

    with approver.expect_download() as download:
        approver.click("#export")
    assert download.value.suggested_filename.endswith(".csv")
    exported = Path(download.value.path()).read_text()
    assert "60.00" in exported and "75.50" in exported
    approver.reload()
    assert approver.inner_text("#batch-status") == "exported"
    # Marking paid asks first: dismissed, nothing happens; accepted, the batch is paid.
    approver.once("dialog", lambda dialog: dialog.dismiss())
    approver.click("#mark-paid")
    assert approver.inner_text("#batch-status") == "exported"
    approver.once("dialog", lambda dialog: dialog.accept())
    approver.click("#mark-paid")
    approver.wait_for_selector("text=marked paid")
    assert approver.inner_text("#batch-status") == "paid"
    screenshot(approver, "30-finance-batch-paid")
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by, batch.paid_by) == (
        "paid",
        net.other_finance,
        net.other_finance,
    )
    assert LedgerEntry.objects.filter(kind="payment").count() == 2

    approver.goto("/reports/?group_by=offer&then_by=publisher&and_by=day&preset=last_7_days")
    headers = approver.locator("#report-table thead th").all_inner_texts()
    assert headers[:4] == ["Offer", "Publisher", "Day", "Currency"]
    screenshot(approver, "31-reports-by-offer-publisher-day")
    approver.goto("/finance/")
    screenshot(approver, "12-finance-batches")
    approver.goto("/finance/balances/")
    screenshot(approver, "15-finance-balances")
