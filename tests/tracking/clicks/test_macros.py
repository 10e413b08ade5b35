from urllib.parse import parse_qs, urlsplit

import pytest

from core.macros import CLICK_MACRO_ALIASES, macros_fill
from tests import factories
from tests.tracking.clicks.visits import GB_IP, IPHONE_UA, only_click, visit


def test_every_click_macro_and_alias_is_filled_and_url_encoded():
    template = (
        "https://shop.example/l?c={click_id}&t={transaction_id}&o={offer_id}&a={affiliate_id}"
        "&s1={sub1}&as1={aff_sub}&s5={sub5}&as5={aff_sub5}&src={source}&cc={country}&dv={device}"
    )
    values = {
        "click_id": "01ABC",
        "offer_id": "7",
        "affiliate_id": "9",
        "sub1": "a b&c=d/e?f#g",
        "sub5": "été",
        "source": "{sub2}",
        "country": "GB",
        "device": "mobile",
    }
    filled = macros_fill(template, values, CLICK_MACRO_ALIASES)
    query = parse_qs(urlsplit(filled).query)
    assert query["c"] == query["t"] == ["01ABC"]
    assert query["o"] == ["7"] and query["a"] == ["9"]
    assert query["s1"] == query["as1"] == ["a b&c=d/e?f#g"]
    assert query["s5"] == query["as5"] == ["été"]
    assert query["src"] == ["{sub2}"]  # a value is never re-read as a macro
    assert "a%20b%26c%3Dd%2Fe%3Ff%23g" in filled
    assert query["cc"] == ["GB"] and query["dv"] == ["mobile"]


def test_missing_values_become_empty_and_unknown_macros_stay_as_written():
    filled = macros_fill("https://x.example/?a={sub3}&b={nope}", {}, CLICK_MACRO_ALIASES)
    assert filled == "https://x.example/?a=&b={nope}"


@pytest.mark.django_db
def test_the_redirect_fills_the_offer_url_with_the_visitors_values(client):
    offer = factories.OfferFactory(
        landing_url="https://shop.example/l?cid={click_id}&s2={sub2}&src={source}"
        "&cc={country}&dv={device}&o={offer_id}&a={affiliate_id}"
    )
    link = factories.TrackingLinkFactory(offer=offer)
    response = visit(
        client, f"/c/{link.code}?sub2=x%26y%3Dz&source=mail+list", ua=IPHONE_UA, ip=GB_IP
    )
    assert response.status_code == 302
    click = only_click()
    assert response["Location"] == (
        f"https://shop.example/l?cid={click.click_id}&s2=x%26y%3Dz&src=mail%20list"
        f"&cc=GB&dv=mobile&o={offer.id}&a={link.publisher_id}"
    )
