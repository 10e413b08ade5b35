import pytest

from tests import factories
from tests.tracking.clicks.visits import only_click, visit
from tracking.clicks.ids import click_id_is_valid, click_id_time

pytestmark = pytest.mark.django_db


def test_a_canonical_link_redirects_and_records_sub_ids_source_and_a_ulid(client, link):
    response = visit(client, f"/c/{link.code}?sub1=a&sub2=b&sub3=c&sub4=d&sub5=e&source=s")
    assert response.status_code == 302
    click = only_click()
    assert click_id_is_valid(click.click_id) and len(click.click_id) == 26
    assert click.created_at == click_id_time(click.click_id)
    assert (click.offer_id, click.publisher_id, click.link_id) == (
        link.offer_id,
        link.publisher_id,
        link.id,
    )
    assert [click.sub1, click.sub2, click.sub3, click.sub4, click.sub5, click.source] == list(
        "abcdes"
    )
    assert response["Location"].startswith(f"https://shop.example/land?cid={click.click_id}")


def test_a_tune_link_maps_aff_sub_to_sub1_and_aff_sub5_to_sub5(client, link):
    response = visit(
        client,
        f"/aff_c?offer_id={link.offer_id}&aff_id={link.publisher_id}"
        "&aff_sub=one&aff_sub2=two&aff_sub5=five&source=tune",
    )
    assert response.status_code == 302
    click = only_click()
    assert (click.sub1, click.sub2, click.sub5, click.source) == ("one", "two", "five", "tune")
    assert click.link_id == link.id


def test_a_tune_link_works_for_a_pair_that_has_no_link_row_yet(client, offer, publisher):
    response = visit(client, f"/aff_c?offer_id={offer.id}&aff_id={publisher.id}")
    assert response.status_code == 302
    assert only_click().link_id is None


def test_the_click_id_is_set_as_a_first_party_cookie(client, link):
    response = visit(client, f"/c/{link.code}")
    click = only_click()
    cookie = response.cookies["affnet_click"]
    assert cookie.value == click.click_id
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] == "2592000"


@pytest.mark.parametrize(
    "path",
    [
        "/c/doesNotExist1",
        "/c/ab",  # too short to be a code
        "/c/has%20space",
        "/c/x" + "y" * 40,
        "/aff_c?offer_id=999999&aff_id=1",
        "/aff_c?offer_id=abc&aff_id=1",
        "/aff_c?aff_id=1",
    ],
)
def test_an_unknown_or_malformed_link_answers_a_small_404_page_and_no_redirect(client, path):
    response = visit(client, path)
    assert response.status_code == 404
    assert "Location" not in response
    assert b"Link not found" in response.content
    assert "affnet_click" not in response.cookies


def test_a_tune_link_naming_an_unknown_publisher_is_not_found(client, offer):
    assert visit(client, f"/aff_c?offer_id={offer.id}&aff_id=987654").status_code == 404


def test_a_post_to_a_click_path_is_refused(client, link):
    assert client.post(f"/c/{link.code}").status_code == 405


def test_the_lean_wsgi_handler_serves_click_paths_and_hands_the_rest_to_django(link):
    from config.wsgi import application

    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": f"/c/{link.code}",
        "QUERY_STRING": "sub1=x",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_USER_AGENT": "Mozilla/5.0",
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "8000",
    }
    body = b"".join(application(environ, start_response))
    assert seen["status"] == "302 Found" and body == b""
    assert seen["headers"]["Location"].startswith("https://shop.example/land?cid=")
    assert seen["headers"]["Set-Cookie"].startswith("affnet_click=")

    import io

    environ = {
        **environ,
        "PATH_INFO": "/api/v1/links/",
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "HTTP_HOST": "testserver",
    }
    b"".join(application(environ, start_response))
    assert seen["status"].startswith(("401", "403"))  # Django answered: authentication needed


def test_a_known_offer_with_a_second_publisher_records_that_publisher(client, offer):
    other = factories.TrackingLinkFactory(offer=offer)
    visit(client, f"/c/{other.code}")
    assert only_click().publisher_id == other.publisher_id
