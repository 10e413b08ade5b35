"""Polish: /api/v1/docs/ is Swagger UI with its try-it console served from our own static files
(drf-spectacular-sidecar, no CDN), ReDoc beside it; partners' headers link to it; every page
starts with a skip link and marks the header item it is under."""

import re

from django.contrib.staticfiles import finders
from django.test import Client

from portal.templatetags.portal_nav import _hrefs, nav_current
from tests.portal.conftest import client_as


def test_the_api_docs_load_nothing_from_another_site():
    for path in ("/api/v1/docs/", "/api/v1/docs/redoc/"):
        page = Client().get(path).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert sources, path
        assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
        for source in sources:
            if source.startswith("/static/"):
                assert finders.find(source.removeprefix("/static/")), source
    assert "swagger-ui-bundle.js" in Client().get("/api/v1/docs/").content.decode()


def test_publishers_and_advertisers_find_the_api_docs_in_their_header(net):
    for user in (net.publisher_user, net.advertiser_user):
        page = client_as(user).get("/", follow=True).content.decode()
        assert '<a href="/api/v1/docs/">API</a>' in page


def test_pages_start_with_a_skip_link_and_mark_the_current_header_item(net):
    page = client_as(net.advertiser_user).get("/advertiser/conversions/").content.decode()
    assert page.index('class="skip-link" href="#main"') < page.index("<header")
    assert '<main id="main"' in page
    assert '<a href="/advertiser/conversions/" aria-current="page">Conversions</a>' in page
    assert '<a href="/advertiser/">Offers</a>' in page  # a shorter prefix is not current


def test_on_each_header_links_page_that_link_alone_is_current():
    """The candidates are read from the header itself: a link added to it (the advertiser's
    Invoices, the manager's Review queue) never leaves a shorter one (Offers, Network) current
    beside it."""
    hrefs = _hrefs()
    assert {"/advertiser/", "/advertiser/invoices/", "/network/", "/network/review-queue/"} <= set(
        hrefs
    )
    for path in hrefs:
        for page in (path, f"{path}1/"):
            assert [h for h in hrefs if nav_current(path=page, href=h)] == [path], page


def test_the_header_menu_holding_the_current_page_alone_is_marked(net):
    """The manager's links are grouped in <details> menus: on the tax forms page the Finance
    menu is marked (and still closed), no other; on a top-level link's page none is."""
    page = client_as(net.manager).get("/finance/tax-forms/").content.decode()
    assert page.count('<details class="menu current">') == 1
    current = page.index('<details class="menu current">')
    assert page.index("<summary>Finance", current) < page.index('aria-current="page"', current)
    assert page.count('aria-current="page"') == 1
    offers = client_as(net.manager).get("/network/offers/").content.decode()
    assert "menu current" not in offers
    assert '<a href="/network/offers/" aria-current="page">Offers</a>' in offers
