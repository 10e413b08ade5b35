"""The sandbox as pages: a publisher makes a test link, clicks it, sends a test conversion from
the trace page and reads every step of its side; the advertiser reads its side of the same
click, a manager all of it, and a stranger nothing. The page reads the API's selector, so the
sides are the API's."""

import re

import pytest
from django.test import Client, override_settings

from offers.models import Goal
from payouts.models import LedgerEntry
from tests import factories
from tests.portal.conftest import client_as
from tests.tracking.clicks.visits import ingest, visit
from tests.tracking.conversions.conftest import drain
from tests.tracking.conversions.servers import scripted_http
from tracking.clicks.resolve import link_cache_clear
from tracking.models import CallbackInbox, Conversion, PostbackDelivery, SandboxLink
from tracking.postbacks.services import deliveries_create, delivery_attempt


@pytest.fixture
def clicked(net):
    """A test link minted from the page by the publisher, and one click through it."""
    link_cache_clear()
    Goal.objects.filter(id=net.goal.id).update(
        pixel_enabled=True, pixel_domains=["shop.example"], is_default=True
    )
    publisher = client_as(net.publisher_user)
    made = publisher.post("/sandbox/links/new/", {"offer": net.offer.id})
    assert made.status_code == 302, made.content.decode()[:2000]
    link = SandboxLink.objects.get()
    assert (link.offer_id, link.publisher_id) == (net.offer.id, net.publisher.id)
    assert visit(Client(), f"/c/{link.code}?sub1=spring").status_code == 302
    ingest()
    listing = publisher.get("/sandbox/").content.decode()
    click_id = re.search(r"/sandbox/traces/([0-9A-Z]{26})/", listing).group(1)
    return publisher, link, click_id


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@override_settings(POSTBACK_ALLOW_LOOPBACK=True)
def test_a_publisher_sends_a_test_conversion_from_the_trace_page_and_sees_every_step(net, clicked):
    publisher, _link, click_id = clicked
    with scripted_http([(200, {}, b"ok")]) as server:
        factories.PostbackTemplateFactory(
            publisher=net.publisher,
            url=f"http://127.0.0.1:{server['port']}/pb?cid={{click_id}}&t={{is_test}}",
        )
        sent = publisher.post(
            f"/sandbox/traces/{click_id}/send/",
            {"dialect": "s2s", "goal": "sale", "amount": "40", "txn_id": "T-9"},
        )
        assert sent.status_code == 302
        assert sent["Location"] == f"/sandbox/traces/{click_id}/"
        drain()
        conversion = Conversion.all_objects.get(click_id=click_id)
        deliveries_create(conversion_ids=[conversion.pk])
        delivery_attempt(delivery_id=PostbackDelivery.objects.get().pk)

    page = publisher.get(f"/sandbox/traces/{click_id}/")
    text = _text(page)
    assert page.status_code == 200
    # The redirect: decision, macros filled, final URL.
    assert "to the offer" in text
    assert f"https://shop.example/land?cid={click_id}&amp;s1=spring" in text
    assert "sub1=spring" in text
    # The test conversion sent from here, then attribution with its checks and arithmetic.
    assert "sent by the network" in text and "txn_id = T-9" in text
    assert "the goal&#x27;s own terms" in text
    assert "7.00 USD" in text and "half-up to the minor unit of USD" in text
    assert re.search(r"<td>window</td><td>passed</td><td>detail: 0s of \d+s</td>", text)
    # The publisher's postback, URL after macros, and its answer.
    assert f"/pb?cid={click_id}&amp;t=1" in text
    assert re.search(r"<td>1</td><td>[\d:]+</td><td>200</td><td>ok</td>", text)
    # Never the advertiser's side: no callback as received, no revenue.
    assert "Callbacks as received" not in text and "10.00" not in text
    # Nothing of it is money.
    assert not LedgerEntry.objects.exists() and not Conversion.objects.exists()


def test_each_role_reads_its_side_of_the_trace_page_and_a_stranger_nothing(net, clicked):
    publisher, _link, click_id = clicked
    publisher.post(f"/sandbox/traces/{click_id}/send/", {"dialect": "s2s", "amount": "5"})
    drain()
    url = f"/sandbox/traces/{click_id}/"

    advertiser = _text(client_as(net.advertiser_user).get(url))
    assert "Callbacks as received" in advertiser and "10.00 USD" in advertiser
    assert "The redirect" not in advertiser and "spring" not in advertiser
    assert "Your postbacks" not in advertiser and "7.00" not in advertiser
    assert click_id in _text(client_as(net.advertiser_user).get("/sandbox/"))

    manager = _text(client_as(net.manager).get(url))
    assert "The redirect" in manager and "Callbacks as received" in manager
    assert "10.00 USD" in manager and "7.00 USD" in manager

    for stranger in (net.other_publisher_user, net.other_advertiser_user):
        assert client_as(stranger).get(url).status_code == 404
        refused = client_as(stranger).post(f"{url}send/", {"dialect": "s2s"})
        assert refused.status_code == 404
        assert click_id not in _text(client_as(stranger).get("/sandbox/"))
    assert client_as(net.finance).get(url).status_code == 403
    assert CallbackInbox.objects.filter(click_id=click_id).count() == 1


def test_the_pixel_is_fired_from_the_trace_page_and_a_refusal_is_shown_beside_its_field(
    net, clicked
):
    publisher, _link, click_id = clicked
    sent = publisher.post(f"/sandbox/traces/{click_id}/send/", {"dialect": "pixel"})
    assert sent.status_code == 302
    row = CallbackInbox.objects.get(click_id=click_id)
    assert row.dialect == "pixel" and row.headers["_click_from"] == "cookie"

    Goal.objects.filter(id=net.goal.id).update(pixel_enabled=False)
    refused = publisher.post(f"/sandbox/traces/{click_id}/send/", {"dialect": "pixel"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["dialect"]
    assert 'id="dialect-errors"' in refused.content.decode()
    assert CallbackInbox.objects.filter(click_id=click_id).count() == 1


def test_a_publisher_mints_test_links_only_for_offers_it_may_run_and_resets_its_own(net, clicked):
    publisher, link, click_id = clicked
    refused = publisher.post("/sandbox/links/new/", {"offer": net.private_offer.id})
    assert refused.status_code == 400
    assert refused.context["form"].errors["offer"]
    assert SandboxLink.objects.count() == 1
    assert (
        client_as(net.other_publisher_user).post(f"/sandbox/links/{link.id}/reset/").status_code
        == 404
    )
    assert (
        client_as(net.advertiser_user).post(f"/sandbox/links/{link.id}/reset/").status_code == 403
    )
    done = publisher.post(f"/sandbox/links/{link.id}/reset/")
    assert done.status_code == 302
    assert click_id not in _text(publisher.get("/sandbox/"))
