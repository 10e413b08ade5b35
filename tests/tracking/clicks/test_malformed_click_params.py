"""A resolvable link always redirects: a malformed sub id (a NUL, bytes that are not UTF-8 such
as a lone surrogate's, over 255 characters) is dropped and named in the click's `bad_params`,
and of a repeated parameter the first value wins.

Every case goes through both doors: the lean WSGI handler (config.wsgi, what production runs)
and the Django view (the test client).
"""

import io

import pytest

from offers.models import Offer
from tests.tracking.clicks.visits import BROWSER_UA, ingest, only_click
from tracking.models import Click

pytestmark = pytest.mark.django_db(transaction=True)

DOORS = ["wsgi", "django"]


def _wsgi(path: str, query: bytes) -> tuple[int, dict[str, str]]:
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query.decode("latin-1"),  # PEP 3333: the raw bytes, as latin-1
        "REMOTE_ADDR": "198.51.100.4",
        "HTTP_HOST": "testserver",
        "HTTP_USER_AGENT": BROWSER_UA,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    seen: dict = {}

    def start_response(status: str, headers: list) -> None:
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

    b"".join(application(environ, start_response))
    return seen["status"], seen["headers"]


def follow(door: str, client, path: str, query: bytes) -> tuple[int, str]:
    """(status, Location) of one visitor following `path?query` through `door`."""
    if door == "wsgi":
        status, headers = _wsgi(path, query)
        return status, headers.get("Location", "")
    response = client.get(
        path,
        QUERY_STRING=query.decode("latin-1"),
        HTTP_USER_AGENT=BROWSER_UA,
        REMOTE_ADDR="198.51.100.4",
    )
    return response.status_code, response.get("Location", "")


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    ("query", "sub1", "sub2", "source", "bad"),
    [
        (b"sub1=ok%00x&sub2=fine&source=web", "", "fine", "web", "sub1"),
        (b"sub1=%ED%A0%80&sub2=b&source=%FF", "", "b", "", "sub1,source"),
        (b"sub1=" + b"a" * 256 + b"&sub2=" + b"b" * 255, "", "b" * 255, "", "sub1"),
        (b"sub1=first&sub1=second&source=one&source=two", "first", "", "one", ""),
        (b"sub1=%00&sub1=good", "", "", "", "sub1"),
        ("sub1=é&sub2=%C3%A9+x".encode(), "é", "é x", "", ""),
    ],
    ids=["nul", "surrogate-and-bad-utf8", "over-long", "repeated", "repeated-first-bad", "utf8"],
)
def test_a_malformed_sub_id_is_dropped_and_flagged_and_the_visitor_is_redirected(
    door, client, link, query, sub1, sub2, source, bad
):
    status, location = follow(door, client, f"/c/{link.code}", query)
    assert status == 302
    click = only_click()
    assert location.isascii()
    assert location.startswith(f"https://shop.example/land?cid={click.click_id}&s1=")
    assert (click.sub1, click.sub2, click.source, click.bad_params) == (sub1, sub2, source, bad)


@pytest.mark.parametrize("door", DOORS)
def test_a_tune_link_with_a_malformed_aff_sub_redirects_and_flags_the_column_it_names(
    door, client, link
):
    query = f"offer_id={link.offer_id}&aff_id={link.publisher_id}&aff_sub3=%00&aff_sub=x"
    status, _ = follow(door, client, "/aff_c", query.encode())
    assert status == 302
    click = only_click()
    assert (click.sub1, click.sub3, click.bad_params) == ("x", "", "sub3")


@pytest.mark.parametrize("door", DOORS)
def test_a_non_ascii_digit_in_a_tune_link_s_ids_is_not_found_not_a_server_error(door, client, link):
    for query in (f"offer_id=%C2%B2&aff_id={link.publisher_id}", "offer_id=1&aff_id=%D9%A1"):
        assert follow(door, client, "/aff_c", query.encode())[0] == 404


@pytest.mark.parametrize("door", DOORS)
def test_a_deep_link_is_sent_percent_encoded_and_a_malformed_one_is_dropped_and_flagged(
    door, client, link
):
    Offer.objects.filter(id=link.offer_id).update(
        deep_links_allowed=True, deep_link_allowed_hosts=["shop.example"]
    )
    status, location = follow(
        door, client, f"/c/{link.code}", b"url=https%3A%2F%2Fshop.example%2F%E2%82%AC%20p"
    )
    assert (status, location) == (302, "https://shop.example/%E2%82%AC%20p")
    assert only_click().bad_params == ""
    status, location = follow(
        door, client, f"/c/{link.code}", b"url=https%3A%2F%2Fshop.example%2F%00&sub1=s"
    )
    assert status == 302
    assert location.startswith("https://shop.example/land?")
    ingest()
    assert [click.bad_params for click in Click.objects.order_by("created_at")] == ["", "url"]
