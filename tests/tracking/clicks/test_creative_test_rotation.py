"""A creative A/B test's rotating code: each visitor is shown one creative, picked by weight
from a hash of the visitor, the same one on every request (the image or frame, then the click),
and the click records the creative shown and the test; no database query on either request."""

from collections import Counter

import pytest

from offers.creative_test_services import ArmAsked, creative_test_end, creative_test_start
from offers.creatives import Creative
from tests import factories
from tests.tracking.clicks.visits import BROWSER_UA, IPHONE_UA, ingest, only_click, visit
from tracking.clicks import buffer, resolve
from tracking.clicks.creative_tests import creative_test_arm
from tracking.models import Click

pytestmark = pytest.mark.django_db


def _banner(offer, name: str, **fields) -> Creative:
    return Creative.objects.create(
        offer=offer,
        name=name,
        kind=Creative.Kind.BANNER,
        image_url=f"https://cdn.example/{name}.png",
        width=300,
        height=250,
        approved=True,
        **fields,
    )


@pytest.fixture
def banners(link):
    return _banner(link.offer, "a"), _banner(link.offer, "b")


@pytest.fixture
def running_70_30(link, banners):
    a, b = banners
    return creative_test_start(
        offer=link.offer,
        name="spring",
        goal=None,
        arms=[ArmAsked(a, 70), ArmAsked(b, 30)],
        actor=factories.ManagerFactory(),
    )


def _ip(n: int) -> str:
    return f"10.{n // 62500}.{n // 250 % 250}.{n % 250 + 1}"


def test_weights_70_30_hold_within_two_points_over_20000_visitors():
    arms = [[11, 70, "https://a/", ""], [12, 30, "https://b/", ""]]
    tests = [[5, arms]]
    shown = Counter(
        creative_test_arm(tests=tests, test_id=5, ip=_ip(n), user_agent=BROWSER_UA)[0]
        for n in range(20_000)
    )
    assert abs(shown[11] / 20_000 - 0.70) < 0.02, shown
    assert abs(shown[12] / 20_000 - 0.30) < 0.02, shown


def test_the_same_visitor_is_shown_the_same_creative_each_time_and_other_tests_split_apart():
    arms = [[11, 1, "", ""], [12, 1, "", ""]]
    tests = [[5, arms], [6, arms]]
    first = [
        creative_test_arm(tests=tests, test_id=5, ip=_ip(n), user_agent="u")[0] for n in range(500)
    ]
    again = [
        creative_test_arm(tests=tests, test_id=5, ip=_ip(n), user_agent="u")[0] for n in range(500)
    ]
    other = [
        creative_test_arm(tests=tests, test_id=6, ip=_ip(n), user_agent="u")[0] for n in range(500)
    ]
    assert first == again
    assert first != other  # each test draws afresh: a visitor is not always "the first arm"


def test_the_image_and_the_click_agree_and_the_click_records_the_creative_shown(
    client, link, banners, running_70_30
):
    a, b = banners
    image_of = {"https://cdn.example/a.png": a.id, "https://cdn.example/b.png": b.id}
    shown = {}
    for n in range(40):
        ip = _ip(n)
        image = visit(client, f"/ct/{link.code}/{running_70_30.id}/image", ip=ip)
        assert image.status_code == 302
        assert image["Cache-Control"] == "no-store"
        again = visit(client, f"/ct/{link.code}/{running_70_30.id}/image", ip=ip)
        assert again["Location"] == image["Location"]  # sticky
        shown[ip] = image_of[image["Location"]]
        click = visit(client, f"/c/{link.code}?ct={running_70_30.id}&sub1=s{n}", ip=ip)
        assert click.status_code == 302
        assert click["Location"].startswith("https://shop.example/land")
    ingest()
    clicks = Click.objects.all()
    assert len(clicks) == 40
    assert {str(c.ip): c.creative_id for c in clicks} == shown
    assert {c.creative_test_id for c in clicks} == {running_70_30.id}
    assert {c.bad_params for c in clicks} == {""}
    assert set(shown.values()) == {a.id, b.id}


def test_a_different_browser_on_the_same_address_may_be_shown_another_creative(
    client, link, banners, running_70_30
):
    locations = {
        visit(client, f"/ct/{link.code}/{running_70_30.id}/image", ip=_ip(n), ua=ua)["Location"]
        for n in range(30)
        for ua in (BROWSER_UA, IPHONE_UA)
    }
    assert len(locations) == 2


def test_a_test_of_text_links_is_a_frame_showing_the_visitors_creative(client, link):
    offer = link.offer
    texts = [
        Creative.objects.create(
            offer=offer, name=n, kind=Creative.Kind.TEXT, text=f"Buy <{n}>", approved=True
        )
        for n in ("x", "y")
    ]
    test = creative_test_start(
        offer=offer,
        name="words",
        goal=None,
        arms=[ArmAsked(texts[0], 1), ArmAsked(texts[1], 1)],
        actor=factories.ManagerFactory(),
    )
    frame = visit(client, f"/ct/{link.code}/{test.id}/frame", ip="10.9.9.9")
    assert frame.status_code == 200
    assert "default-src 'none'" in frame["Content-Security-Policy"]
    assert "X-Frame-Options" not in frame  # publishers' pages frame it
    body = frame.content.decode()
    assert f'href="/c/{link.code}?ct={test.id}"' in body
    assert "<script" not in body
    text = "x" if "Buy &lt;x&gt;" in body else "y"
    assert f"Buy &lt;{text}&gt;" in body
    visit(client, f"/c/{link.code}?ct={test.id}", ip="10.9.9.9")
    click = only_click()
    assert click.creative_id == Creative.objects.get(offer=offer, name=text).id
    # A text test has no image to redirect to.
    assert visit(client, f"/ct/{link.code}/{test.id}/image").status_code == 404


@pytest.mark.parametrize("value", ["999999", "abc", "", "-1"])
def test_a_click_naming_no_test_of_the_offer_is_redirected_and_flagged(
    client, link, running_70_30, value
):
    response = visit(client, f"/c/{link.code}?ct={value}")
    assert response["Location"].startswith("https://shop.example/land")
    click = only_click()
    assert (click.creative_id, click.creative_test_id, click.bad_params) == (
        None,
        None,
        "creative",
    )


@pytest.mark.parametrize(
    "path", ["/ct/{code}/999999/image", "/ct/{code}/{test}/logo", "/ct/nosuchcode/{test}/image"]
)
def test_an_unknown_rotating_code_is_not_found(client, link, running_70_30, path):
    path = path.format(code=link.code, test=running_70_30.id)
    assert visit(client, path).status_code == 404


def test_an_ended_test_shows_its_winner_to_everyone(client, link, banners, running_70_30):
    _a, b = banners
    creative_test_end(test=running_70_30, winner=b, actor=factories.ManagerFactory())
    resolve.link_cache_clear()
    locations = {
        visit(client, f"/ct/{link.code}/{running_70_30.id}/image", ip=_ip(n))["Location"]
        for n in range(30)
    }
    assert locations == {"https://cdn.example/b.png"}
    visit(client, f"/c/{link.code}?ct={running_70_30.id}", ip=_ip(3))
    assert only_click().creative_id == b.id


def test_the_image_and_the_click_are_served_from_the_cached_snapshot_without_the_database(
    client, link, running_70_30, django_assert_num_queries
):
    if buffer.redis_client() is None:
        pytest.skip("embedded mode has no shared snapshot")
    visit(client, f"/ct/{link.code}/{running_70_30.id}/image", ip="10.4.4.4")  # builds the snapshot
    resolve._local.clear()  # the Redis copy serves
    with django_assert_num_queries(0):
        image = visit(client, f"/ct/{link.code}/{running_70_30.id}/image", ip="10.4.4.5")
        click = visit(client, f"/c/{link.code}?ct={running_70_30.id}", ip="10.4.4.5")
    assert (image.status_code, click.status_code) == (302, 302)


def test_the_lean_wsgi_handler_serves_the_rotating_code_without_django(
    link, banners, running_70_30, settings
):
    import io

    from tracking.clicks import wsgi as click_wsgi

    settings.ALLOWED_HOSTS = ["testserver"]
    click_wsgi._HOSTS_KNOWN.clear()

    def django_app(environ, start_response):
        raise AssertionError(f"Django was asked for {environ['PATH_INFO']}")

    def get(path: str, method: str = "GET") -> tuple[str, dict]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "HTTP_HOST": "testserver",
            "HTTP_USER_AGENT": BROWSER_UA,
            "REMOTE_ADDR": "10.7.7.7",
            "wsgi.input": io.BytesIO(b""),
        }
        seen: list = []
        b"".join(
            click_wsgi.click_paths_first(django_app)(
                environ, lambda status, headers: seen.append((status, dict(headers)))
            )
        )
        return seen[0]

    status, headers = get(f"/ct/{link.code}/{running_70_30.id}/image")
    assert status == "302 Found"
    assert headers["Location"] in {"https://cdn.example/a.png", "https://cdn.example/b.png"}
    assert get(f"/ct/{link.code}/{running_70_30.id}/image", "POST")[0].startswith("405")
    click_wsgi._HOSTS_KNOWN.clear()
