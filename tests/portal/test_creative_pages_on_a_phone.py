"""The creative and smart link pages in a real headless chromium: each fits a 390 px wide phone
without scrolling sideways (a long tracking link and a code to copy included), starts with the
skip link, marks one header item current, and gives every table column header its scope (the
shared check, tests/portal/browser.py phone_problems)."""

import io

import pytest
from PIL import Image

from offers.creatives import Creative
from tests import factories
from tests.portal.browser import PHONE, page_new, phone_problems, sign_in
from tests.portal.conftest import PASSWORD, network_build
from tracking.models import SmartLink, SmartLinkOffer


@pytest.fixture
def net(transactional_db, settings, live_server):
    settings.TRACKING_BASE_URL = live_server.url
    network = network_build()
    out = io.BytesIO()
    Image.new("RGB", (728, 90), (20, 90, 200)).save(out, format="PNG")
    banner = Creative.objects.create(
        offer=network.offer, name="Leaderboard", kind="banner", approved=True
    )
    banner.image_file.save("banner.png", io.BytesIO(out.getvalue()), save=True)
    Creative.objects.create(
        offer=network.offer, name="Waiting", kind="text", text="Shop now", approved=False
    )
    link = SmartLink.objects.create(
        publisher=network.publisher, name="Every sale", code="phone-test-code-1"
    )
    SmartLinkOffer.objects.create(smart_link=link, offer=network.offer)
    factories.ClickFactory(
        offer_id=network.offer.id,
        publisher_id=network.publisher.id,
        smart_link_id=link.id,
        smart_choice=f"epc:explore|{network.offer.id}::0.5000|{network.other_offer.id}:schedule:",
    )
    network.link = link
    return network


def test_the_creative_and_smart_link_pages_fit_a_phone(browser, live_server, net):
    roles = [
        ("blue", ["/publisher/creatives/", "/publisher/smart-links/"]),
        ("blue", [f"/publisher/smart-links/{net.link.id}/"]),
        ("acme", ["/advertiser/creatives/"]),
        ("maria", ["/manager/creatives/"]),
    ]
    problems = {}
    for username, paths in roles:
        page = page_new(browser, live_server.url)
        page.set_default_timeout(90_000)
        sign_in(page, username, PASSWORD)
        page.set_viewport_size(PHONE)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            found = phone_problems(page)
            if found:
                problems[path] = found
        page.context.close()
    assert not problems, problems
