"""Getting in, in a real headless chromium: a new publisher signs up, cannot sign in until a
manager approves it on the sign-ups page, then signs in, builds a tracking link, a visitor
follows it, the advertiser's postback converts, and the publisher sees the money."""

import json
import urllib.request
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from accounts.models import User
from affiliates.models import Publisher
from tests.portal.browser import page_new, screenshot, sign_in
from tests.portal.conftest import ADVERTISER_SECRET, PASSWORD, network_build
from tracking.attribution.services import inbox_batch_attribute
from tracking.clicks import buffer, resolve
from tracking.clicks.ingest import clicks_ingest
from tracking.models import Click, Conversion

NEW_PASSWORD = "green coupons passphrase"


@pytest.fixture
def net(transactional_db, settings, live_server):
    settings.TRACKING_BASE_URL = live_server.url
    settings.PAYOUT_HOLD_DAYS = 0
    resolve._local.clear()
    client = buffer.redis_client()
    if client is not None:
        client.delete(settings.CLICK_STREAM_KEY)  # leftovers of other tests are not ours
    return network_build()


def test_a_new_publisher_signs_up_is_approved_builds_a_link_and_sees_the_money(
    browser, landing, live_server, net
):
    net.offer.landing_url = "http://shop.example/land?cid={click_id}&s1={sub1}"
    net.offer.save(update_fields=["landing_url"])
    page = page_new(browser, live_server.url)
    page.goto("/login/")
    page.click("text=Sign up")
    page.fill("#id_company", "Green Coupons")
    page.fill("#id_email", "owner@green.example")
    page.fill("#id_username", "green")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "short")
    page.click("button:text('Sign up')")
    assert page.locator("#password1-errors").is_visible()  # beside its field
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    screenshot(page, "21-publisher-sign-up")
    page.click("button:text('Sign up')")
    assert page.locator("#sign-up-sent").is_visible()

    sign_in(page, "green", NEW_PASSWORD)
    assert "waiting for a manager" in page.inner_text(".errorlist")

    manager = page_new(browser, live_server.url)
    sign_in(manager, "maria", PASSWORD)
    manager.click("header nav summary:text('Partners')")  # the header menu holding it
    manager.click("nav >> text=Sign-ups")
    row = manager.locator("#sign-ups tr", has_text="Green Coupons")
    assert "owner@green.example" in row.inner_text()
    screenshot(manager, "22-manager-sign-ups")
    row.locator("button:text('Approve')").click()
    assert "approved" in manager.inner_text(".messages")
    assert Publisher.objects.get(name="Green Coupons").status == Publisher.Status.ACTIVE

    sign_in(page, "green", NEW_PASSWORD)
    assert page.url.endswith("/publisher/")
    page.click("nav >> text=Offers")
    page.click(f"text={net.offer.name}")
    page.fill("#id_sub1", "first-post")
    page.click("text=Build link")
    url = page.input_value("#built-url")
    assert url.startswith(f"{live_server.url}/c/") and "sub1=first-post" in url
    assert User.objects.get(username="green").publisher.name == "Green Coupons"
    screenshot(page, "23-new-publisher-link")

    visitor = page.context.new_page()
    visitor.goto(url)
    assert visitor.inner_text("h1") == "Acme landing"
    visitor.close()
    clicks_ingest(max_seconds=5)
    green = Publisher.objects.get(name="Green Coupons")
    click = Click.objects.get(publisher_id=green.id)
    assert click.sub1 == "first-post"

    params = {
        "click_id": click.click_id,
        "goal": "sale",
        "txn_id": "G-1",
        "token": ADVERTISER_SECRET,
    }
    with urllib.request.urlopen(f"{live_server.url}/postback?{urlencode(params)}") as answer:
        assert json.load(answer)["status"] == "accepted"
    inbox_batch_attribute(limit=100)
    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.payout) == ("approved", Decimal("7.00"))

    page.click("nav >> text=Dashboard")
    today = page.locator("tr[data-period=Today]")
    assert today.locator(".clicks").inner_text() == "1"
    assert today.locator(".conversions").inner_text() == "1"
    assert today.locator(".payout").inner_text() == "7.00"
    screenshot(page, "26-new-publisher-first-money")
