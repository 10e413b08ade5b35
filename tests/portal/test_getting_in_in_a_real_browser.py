"""Getting in, in a real headless chromium: a new publisher signs up, cannot sign in until a
manager approves it on the sign-ups page, then signs in and builds a tracking link."""

import pytest

from accounts.models import User
from affiliates.models import Publisher
from tests.portal.browser import page_new, screenshot, sign_in
from tests.portal.conftest import PASSWORD, network_build

NEW_PASSWORD = "green coupons passphrase"


@pytest.fixture
def net(transactional_db, settings, live_server):
    settings.TRACKING_BASE_URL = live_server.url
    return network_build()


def test_a_new_publisher_signs_up_is_approved_and_builds_a_link(browser, live_server, net):
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
