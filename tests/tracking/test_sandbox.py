"""The sandbox: a test link's traffic runs the whole chain (redirect, every callback dialect,
attribution with its caps and fraud rules, the publisher's postback with {is_test}=1) but never
reaches the ledger, the report rollups or the caps; each test click has a trace, scoped by side;
a test link's rows can be reset."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client, override_settings

from offers.models import Cap, Goal
from payouts.models import LedgerEntry
from reports.models import ConversionCounted, OfferDay, OfferHour, PairDay
from tests import factories
from tests.conftest import client_for
from tests.tracking.clicks.visits import ingest, visit
from tests.tracking.conversions.conftest import SECRET, drain, world_build
from tests.tracking.conversions.servers import scripted_http
from tests.tracking.conversions.signing import signed_v2
from tracking.clicks.ids import click_id_is_test, click_id_new, click_id_test_new, click_id_time
from tracking.clicks.resolve import link_cache_clear
from tracking.models import CallbackInbox, Click, Conversion, PostbackDelivery, SandboxTraceStep
from tracking.postbacks.services import deliveries_create, delivery_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    link_cache_clear()
    world = world_build()
    Goal.objects.filter(id=world.goal.id).update(pixel_enabled=True, pixel_domains=["shop.example"])
    # A cap of one conversion that rejects past it: a test conversion must not use it up.
    Cap.objects.create(
        offer=world.offer, metric="conversions", period="day", limit=1, action="reject"
    )
    publisher_user = factories.PublisherUserFactory(publisher=world.publisher)
    api = client_for(publisher_user)
    made = api.post("/api/v1/sandbox/links/", {"offer": world.offer.id}, format="json")
    assert made.status_code == 201, made.content
    world.link = made.json()
    world.api = api
    return world


def _click(world, sub1: str = "") -> str:
    query = f"?sub1={sub1}" if sub1 else ""
    response = visit(Client(), f"/c/{world.link['code']}{query}")
    assert response.status_code == 302
    ingest()
    step = SandboxTraceStep.objects.filter(step="redirect").order_by("-id").first()
    return step.click_id


def _untouched(offer_id: int) -> None:
    # Rollups are read for the sandbox's offer: the click stream is shared with earlier tests,
    # and an earlier test's leftover real click may be ingested here with its own rollup.
    assert not LedgerEntry.objects.exists()
    assert not OfferHour.objects.filter(offer_id=offer_id).exists()
    assert not OfferDay.objects.filter(offer_id=offer_id).exists()
    assert not PairDay.objects.filter(offer_id=offer_id).exists()
    assert not ConversionCounted.objects.exists()
    assert not Conversion.objects.exists(), "a test conversion is visible as a real one"


def test_a_test_click_id_keeps_the_time_and_starts_its_random_part_with_test():
    test_id, real_id = click_id_test_new(), click_id_new()
    assert len(test_id) == 26 and test_id[10:14] == "TEST"
    assert click_id_is_test(test_id) and not click_id_is_test(real_id)
    assert abs((click_id_time(test_id) - click_id_time(real_id)).total_seconds()) < 1
    assert not any(click_id_is_test(click_id_new()) for _ in range(2000))


@override_settings(POSTBACK_ALLOW_LOOPBACK=True)
def test_a_test_link_through_every_dialect_books_nothing_and_traces_every_step(sandbox):
    world = sandbox
    web = Client()
    clicks = {name: _click(world) for name in ("s2s", "tune", "everflow", "pixel")}
    assert all(click_id_is_test(c) for c in clicks.values())
    assert Click.objects.filter(click_id__in=clicks.values()).count() == 4
    # test clicks reach no click rollup either
    assert not OfferHour.objects.filter(offer_id=world.offer.id).exists()

    path = "/postback"
    params = {"click_id": clicks["s2s"], "goal": "sale", "amount": "40", "txn_id": "T-1"}
    assert web.get(path, params, **signed_v2(path, params, secret=SECRET)).status_code == 200
    tune = {"offer_id": world.offer.id, "transaction_id": clicks["tune"], "security_token": SECRET}
    assert web.get("/aff_lsr", tune).content == b"success=true;"
    everflow = {
        "nid": world.offer.id,
        "transaction_id": clicks["everflow"],
        "verification_token": SECRET,
    }
    assert web.post(settings.CALLBACK_EVERFLOW_PATH, everflow).status_code == 200
    web.cookies[settings.CLICK_COOKIE_NAME] = clicks["pixel"]
    web.get(f"/p/{world.goal.ref}.gif", HTTP_REFERER="https://shop.example/thanks")
    drain()

    conversions = list(Conversion.all_objects.order_by("id"))
    assert [c.is_test for c in conversions] == [True] * 4
    # The cap of one was checked each time but used by none: all four passed it.
    assert [c.reject_reason for c in conversions] == ["", "", "", "pixel"]
    _untouched(world.offer.id)

    # A real conversion after them still finds the cap empty, and earns.
    assert (
        web.get("/postback", {"click_id": world.click.click_id, "token": SECRET}).status_code == 200
    )
    drain()
    assert Conversion.objects.get().status == "approved"
    assert LedgerEntry.objects.count() == 1

    with scripted_http([(200, {}, b"ok")]) as server:
        factories.PostbackTemplateFactory(
            publisher=world.publisher,
            url=f"http://127.0.0.1:{server['port']}/pb?cid={{click_id}}&t={{is_test}}",
        )
        deliveries_create(conversion_ids=[conversions[0].pk])
        delivery_attempt(delivery_id=PostbackDelivery.objects.get().pk)
        assert [p for p, _ in server["requests"]] == [f"/pb?cid={clicks['s2s']}&t=1"]

    manager = client_for(factories.ManagerFactory())
    trace = manager.get(f"/api/v1/sandbox/traces/{clicks['s2s']}/").json()
    assert trace["redirect"]["decision"] == "offer"
    assert trace["redirect"]["macros"]["click_id"] == clicks["s2s"]
    assert trace["redirect"]["final_url"]
    assert trace["callbacks"][0]["dialect"] == "s2s"
    assert trace["callbacks"][0]["auth"] == "signature: ok"
    assert trace["callbacks"][0]["parameters"]["txn_id"] == "T-1"
    conversion = trace["conversions"][0]
    assert {"window", "currency", "cap", "fraud"} <= {c["check"] for c in conversion["checks"]}
    assert conversion["payout_arithmetic"]["rounded"] == "7.00"
    assert conversion["revenue_arithmetic"]["rounded"] == "10.00"
    attempt = trace["postbacks"][0]["attempts"][0]
    assert (attempt["status_code"], attempt["outcome"]) == (200, "ok")
    assert trace["postbacks"][0]["url"].endswith("&t=1")
    for dialect in ("tune", "everflow", "pixel"):
        other = manager.get(f"/api/v1/sandbox/traces/{clicks[dialect]}/").json()
        assert other["callbacks"][0]["dialect"] == dialect
        assert other["conversions"][0]["is_test"] is True


def test_a_test_conversion_sent_from_the_sandbox_is_signed_or_marked_as_the_network_s(sandbox):
    world = sandbox
    click_id = _click(world)
    sent = world.api.post(
        "/api/v1/sandbox/conversions/",
        {"click_id": click_id, "goal": "sale", "amount": "12.5"},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["signed"] is True and sent.json()["status"] == 200
    drain()
    assert Conversion.all_objects.get().is_test
    trace = world.api.get(f"/api/v1/sandbox/traces/{click_id}/").json()
    assert trace["sent_from_sandbox"][0]["credentials"] == "signature v2"
    assert trace["conversions"][0]["payout"] == "7.00"

    world.advertiser.postback_secret_encrypted = ""
    world.advertiser.save()
    from tracking.callbacks import selectors

    selectors._by_offer.clear()
    second = _click(world)
    sent = world.api.post("/api/v1/sandbox/conversions/", {"click_id": second}, format="json")
    assert sent.json()["signed"] is False and sent.json()["status"] == 200
    row = CallbackInbox.objects.get(click_id=second)
    assert row.headers["X-Affnet-Sent-By"] == "network"
    real = world.api.post(
        "/api/v1/sandbox/conversions/", {"click_id": world.click.click_id}, format="json"
    )
    assert real.status_code == 400
    _untouched(world.offer.id)


def test_reset_deletes_the_test_rows_of_that_link_only(sandbox):
    world = sandbox
    click_id = _click(world)
    world.api.post("/api/v1/sandbox/conversions/", {"click_id": click_id}, format="json")
    Client().get("/postback", {"click_id": world.click.click_id, "token": SECRET})
    drain()
    assert Conversion.all_objects.count() == 2

    stranger = client_for(factories.PublisherUserFactory())
    refused = stranger.post(f"/api/v1/sandbox/links/{world.link['id']}/reset/")
    assert refused.status_code in (403, 404)
    done = world.api.post(f"/api/v1/sandbox/links/{world.link['id']}/reset/")
    assert done.status_code == 200, done.content
    assert done.json()["conversions"] == 1
    assert Conversion.all_objects.get() == Conversion.objects.get()  # the real one stays
    assert not Click.objects.filter(click_id=click_id).exists()
    assert not CallbackInbox.objects.filter(click_id=click_id).exists()
    assert not SandboxTraceStep.objects.filter(click_id=click_id).exists()


def test_each_side_reads_only_its_part_of_a_trace(sandbox):
    world = sandbox
    click_id = _click(world, sub1="mine")
    world.api.post(
        "/api/v1/sandbox/conversions/", {"click_id": click_id, "amount": "3"}, format="json"
    )
    drain()
    url = f"/api/v1/sandbox/traces/{click_id}/"

    own = world.api.get(url).json()
    assert own["side"] == "publisher"
    assert {"redirect", "click", "conversions", "postbacks"} <= set(own)
    assert "callbacks" not in own and "revenue" not in own["conversions"][0]
    assert all("signals" not in str(c) for c in own["conversions"][0]["checks"])

    advertiser = client_for(factories.AdvertiserUserFactory(advertiser=world.advertiser)).get(url)
    seen = advertiser.json()
    assert seen["side"] == "advertiser"
    assert {"callbacks", "conversions"} <= set(seen)
    assert not {"redirect", "click", "postbacks"} & set(seen)
    assert "publisher_id" not in seen["link"]
    assert "payout" not in seen["conversions"][0]
    assert seen["conversions"][0]["revenue"] == "10.00"

    other_publisher = client_for(factories.PublisherUserFactory())
    assert other_publisher.get(url).status_code == 404
    other_advertiser = client_for(factories.AdvertiserUserFactory())
    assert other_advertiser.get(url).status_code == 404
    assert world.api.get(f"/api/v1/sandbox/traces/{world.click.click_id}/").status_code == 404


def test_a_publisher_mints_test_links_only_for_itself_and_offers_it_may_run(sandbox):
    world = sandbox
    private = factories.OfferFactory(advertiser=world.advertiser, visibility="private")
    refused = world.api.post("/api/v1/sandbox/links/", {"offer": private.id}, format="json")
    assert refused.status_code == 400
    other = factories.PublisherFactory()
    made = world.api.post(
        "/api/v1/sandbox/links/", {"offer": world.offer.id, "publisher": other.id}, format="json"
    )
    assert made.status_code == 403
    manager = client_for(factories.ManagerFactory())
    made = manager.post(
        "/api/v1/sandbox/links/", {"offer": world.offer.id, "publisher": other.id}, format="json"
    )
    assert made.status_code == 201
    assert Decimal("0") == sum(e.amount for e in LedgerEntry.objects.all())


def test_a_test_conversion_fired_as_the_advertiser_s_pixel_goes_through_the_pixel_s_own_entry(
    sandbox,
):
    world = sandbox
    click_id = _click(world)
    advertiser = client_for(factories.AdvertiserUserFactory(advertiser=world.advertiser))
    sent = advertiser.post(
        "/api/v1/sandbox/conversions/",
        {"click_id": click_id, "dialect": "pixel", "amount": "25", "txn_id": "P-1"},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    assert sent.json() == {
        "click_id": click_id,
        "dialect": "pixel",
        "signed": False,
        "status": 200,
        "answer": "GIF; callback stored",
    }
    # Stored as the pixel endpoint stores a pixel: the click id read from the cookie, the
    # Referer kept as its origin only, on the goal's pixel domain; no credential.
    row = CallbackInbox.objects.get(click_id=click_id)
    assert (row.dialect, row.method, row.path) == ("pixel", "GET", f"/p/{world.goal.ref}.gif")
    assert row.params == {
        "amount": "25.000000",
        "txn_id": "P-1",
        "goal": "sale",
        "click_id": click_id,
    }
    assert row.headers["Referer"] == "https://shop.example"
    assert row.headers["_click_from"] == "cookie"
    assert "X-Affnet-Sent-By" not in row.headers
    drain()
    conversion = Conversion.all_objects.get(click_id=click_id)
    assert conversion.is_test and conversion.status == "pending"
    assert conversion.reject_reason == "pixel"
    _untouched(world.offer.id)

    manager = client_for(factories.ManagerFactory())
    trace = manager.get(f"/api/v1/sandbox/traces/{click_id}/").json()
    assert trace["callbacks"][0]["dialect"] == "pixel"
    assert trace["callbacks"][0]["auth"] == "none (image pixel)"
    sent_step = trace["sent_from_sandbox"][0]
    assert sent_step["path"] == "/p/sale.gif"
    assert sent_step["cookie"] == {settings.CLICK_COOKIE_NAME: click_id}
    assert sent_step["credentials"].startswith("none")


def test_the_sandbox_fires_no_pixel_for_an_offer_whose_advertiser_does_not_integrate_by_pixel(
    sandbox,
):
    world = sandbox
    click_id = _click(world)
    Goal.objects.filter(id=world.goal.id).update(pixel_enabled=False)
    refused = world.api.post(
        "/api/v1/sandbox/conversions/", {"click_id": click_id, "dialect": "pixel"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "pixel_not_enabled"
    assert not CallbackInbox.objects.filter(click_id=click_id).exists()
    # A real click is still refused before anything is fired, pixel or not.
    Goal.objects.filter(id=world.goal.id).update(pixel_enabled=True)
    real = world.api.post(
        "/api/v1/sandbox/conversions/",
        {"click_id": world.click.click_id, "dialect": "pixel"},
        format="json",
    )
    assert real.status_code == 400
    assert not CallbackInbox.objects.exists()
    # Another publisher cannot fire a pixel for this publisher's test click.
    stranger = client_for(factories.PublisherUserFactory())
    forbidden = stranger.post(
        "/api/v1/sandbox/conversions/", {"click_id": click_id, "dialect": "pixel"}, format="json"
    )
    assert forbidden.status_code in (403, 404)
    assert not CallbackInbox.objects.exists()
