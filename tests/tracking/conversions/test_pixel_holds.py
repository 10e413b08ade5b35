"""The image pixel carries no credential: off unless its goal enables it, counted only from the
goal's pixel domains, and its conversions always wait for a manager (hold reason `pixel`),
whatever amount they name. Through the Django view and the lean WSGI handler alike."""

import time

import pytest
from django.conf import settings
from django.core.cache import cache

from offers.models import Goal
from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import drain, world_build
from tests.tracking.conversions.test_callback_fast_wsgi import serve
from tracking.attribution import queue
from tracking.attribution.queue import KICK_KEY
from tracking.callbacks.views import PIXEL_GIF
from tracking.callbacks.wsgi import callback_paths_first
from tracking.models import CallbackInbox, Conversion

SHOP = "https://www.shop.example/thanks?order=77&email=a@b.example"


def _pixels_on(world, domains=("shop.example",)) -> None:
    Goal.objects.filter(id=world.goal.id).update(pixel_enabled=True, pixel_domains=list(domains))


def _fire(web, world, referer: str = SHOP, **params):
    web.cookies[settings.CLICK_COOKIE_NAME] = world.click.click_id
    headers = {"HTTP_REFERER": referer} if referer else {}
    response = web.get(f"/p/{world.goal.ref}.gif", params, **headers)
    assert (response.status_code, response.content) == (200, PIXEL_GIF)
    return response


def _wait_for(predicate, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_visitor_s_pixel_with_a_huge_amount_is_held_and_earns_nothing(celery_worker_thread):
    # The attack: click a link, then fire the sale pixel with the click cookie and any amount,
    # here even from the advertiser's own pages. A real worker attributes it.
    cache.delete(KICK_KEY)
    queue._last_kick = 0.0
    world = world_build(revenue_kind="revshare", revenue_percent="20", payout_kind="revshare")
    from offers.models import Terms

    Terms.objects.filter(goal=world.goal).update(payout_percent=15)
    _pixels_on(world)
    from django.test import Client

    _fire(Client(), world, amount="999999999")
    _wait_for(lambda: Conversion.objects.exists())
    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.reject_reason) == ("pending", "amount_above_limit")
    held = {item["check"]: item["ok"] for item in conversion.explanation}
    assert (held["amount_limit"], held["pixel"]) == (False, False)
    assert CallbackInbox.objects.get().result == "pending"
    assert not LedgerEntry.objects.exists()


def test_a_pixel_is_off_by_default_and_converts_nothing(world, web):
    _fire(web, world, amount="3")
    drain()
    assert CallbackInbox.objects.get().result == "pixel_disabled"
    assert not Conversion.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_a_pixel_from_a_foreign_referer_converts_nothing(world, web):
    _pixels_on(world)
    _fire(web, world, referer="https://evil.example/shop.example/page", amount="3")
    _fire(web, world, referer="https://notshop.example/", amount="3")
    _fire(web, world, referer="", amount="3")
    drain()
    assert set(CallbackInbox.objects.values_list("result", flat=True)) == {
        "pixel_domain_not_allowed"
    }
    assert not Conversion.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_an_origin_header_decides_over_the_referer(world, web):
    _pixels_on(world)
    web.cookies[settings.CLICK_COOKIE_NAME] = world.click.click_id
    web.get(f"/p/{world.goal.ref}.gif", HTTP_REFERER=SHOP, HTTP_ORIGIN="https://evil.example")
    drain()
    assert CallbackInbox.objects.get().result == "pixel_domain_not_allowed"


def test_a_pixel_from_an_allowed_domain_is_a_pending_pixel_conversion(world, web):
    _pixels_on(world)
    _fire(web, world, amount="3")
    drain()
    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.reject_reason) == ("pending", "pixel")
    assert not LedgerEntry.objects.exists()
    # Only the origin of the Referer is kept: the thank-you page's query may name the buyer.
    assert CallbackInbox.objects.get().headers["Referer"] == "https://www.shop.example"


def test_a_pixel_on_a_manual_goal_is_still_the_network_s_pixel_hold(world, web):
    Goal.objects.filter(id=world.goal.id).update(approval=Goal.Approval.MANUAL)
    _pixels_on(world, domains=["www.shop.example"])
    _fire(web, world)
    drain()
    assert Conversion.objects.get().reject_reason == "pixel"


def test_a_pixel_naming_a_click_id_without_a_cookie_is_only_pending(world, web):
    _pixels_on(world)
    response = web.get(
        f"/p/{world.goal.ref}.gif", {"click_id": world.click.click_id}, HTTP_REFERER=SHOP
    )
    assert response.content == PIXEL_GIF
    drain()
    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.reject_reason) == ("pending", "pixel")
    detail = next(item["detail"] for item in conversion.explanation if item["check"] == "pixel")
    assert "parameter" in detail
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_lean_handler_holds_and_refuses_pixels_as_the_view_does():
    def django_app(environ, start_response):
        raise AssertionError("the lean handler serves the pixel itself")

    lean = callback_paths_first(django_app)
    world = world_build()
    _pixels_on(world)
    cookie = f"{settings.CLICK_COOKIE_NAME}={world.click.click_id}"
    path = f"/p/{world.goal.ref}.gif"
    foreign = world.new_click()
    assert serve(lean, path, {"amount": "5"}, HTTP_COOKIE=cookie, HTTP_REFERER=SHOP)[2] == PIXEL_GIF
    serve(
        lean,
        path,
        {"click_id": foreign.click_id},
        HTTP_REFERER="https://evil.example/",
    )
    drain()
    results = dict(CallbackInbox.objects.values_list("click_id", "result"))
    assert results == {
        world.click.click_id: "pending",
        foreign.click_id: "pixel_domain_not_allowed",
    }
    assert Conversion.objects.get().reject_reason == "pixel"


def test_the_click_cookie_is_first_party_and_same_site_lax(world, web):
    from tests import factories

    link = factories.TrackingLinkFactory(offer=world.offer, publisher=world.publisher)
    response = web.get(f"/c/{link.code}")
    cookie = response.cookies[settings.CLICK_COOKIE_NAME]
    # Lax: a page the visitor opens later on another site cannot fire the pixel with it.
    assert (cookie["samesite"], cookie["httponly"], cookie["path"]) == ("Lax", True, "/")
    assert not cookie["domain"]
