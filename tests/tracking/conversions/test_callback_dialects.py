"""The TUNE and Everflow dialects and the image pixel land in the same inbox and convert."""

from django.conf import settings

from offers.models import Goal
from tests.tracking.conversions.conftest import SECRET, drain
from tracking.callbacks.views import PIXEL_GIF
from tracking.models import CallbackInbox, Conversion


def test_a_tune_callback_answers_success_true_and_converts(world, web):
    response = web.get(
        "/aff_lsr",
        {
            "offer_id": world.offer.id,
            "transaction_id": world.click.click_id,
            "amount": "12.50",
            "adv_sub": "ORDER-1",
            "goal_id": world.goal.id,
            "security_token": SECRET,
        },
    )
    assert (response.status_code, response.content) == (200, b"success=true;")
    drain()
    conversion = Conversion.objects.get()
    assert (conversion.advertiser_txn_id, str(conversion.sale_amount)) == ("ORDER-1", "12.500000")


def test_a_tune_callback_without_transaction_id_answers_success_false(world, web):
    response = web.get("/aff_lsr", {"offer_id": world.offer.id, "security_token": SECRET})
    assert response.status_code == 400
    assert response.content.decode().startswith("success=false; err_msg=")
    assert not CallbackInbox.objects.exists()


def test_an_everflow_callback_converts_at_the_configured_path(world, web):
    response = web.post(
        settings.CALLBACK_EVERFLOW_PATH,
        {
            "nid": world.offer.id,
            "transaction_id": world.click.click_id,
            "order_id": "EF-7",
            "adv1": "a",
            "verification_token": SECRET,
        },
    )
    assert response.status_code == 200, response.content
    drain()
    assert Conversion.objects.get().advertiser_txn_id == "EF-7"
    assert CallbackInbox.objects.get().params["adv1"] == "a"


def test_a_json_post_is_read_like_a_form(world, web):
    response = web.post(
        "/postback",
        {"click_id": world.click.click_id, "token": SECRET, "txn_id": "J-1"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    drain()
    assert Conversion.objects.get().advertiser_txn_id == "J-1"


def test_the_pixel_holds_a_conversion_of_the_click_in_the_cookie_and_answers_a_gif(world, web):
    # Pixels carry no credential: off unless the goal enables them for its domains, and then
    # never approved by themselves (tests/tracking/conversions/test_pixel_holds.py).
    Goal.objects.filter(id=world.goal.id).update(pixel_enabled=True, pixel_domains=["shop.example"])
    web.cookies[settings.CLICK_COOKIE_NAME] = world.click.click_id
    response = web.get(
        f"/p/{world.goal.ref}.gif", {"amount": "3"}, HTTP_REFERER="https://shop.example/thanks"
    )
    assert (response.status_code, response["Content-Type"]) == (200, "image/gif")
    assert response.content == PIXEL_GIF
    drain()
    assert (Conversion.objects.get().status, Conversion.objects.get().reject_reason) == (
        "pending",
        "pixel",
    )


def test_the_pixel_without_a_cookie_still_answers_a_gif_and_stores_nothing(world, web):
    response = web.get("/p/sale.gif")
    assert (response.status_code, response.content) == (200, PIXEL_GIF)
    web.cookies[settings.CLICK_COOKIE_NAME] = "garbage"
    assert web.get("/p/sale.gif").content == PIXEL_GIF
    assert not CallbackInbox.objects.exists()
