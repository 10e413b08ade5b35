"""Tracking domains: the lean click handler (config.wsgi, in front of Django) serves only the
hosts of ALLOWED_HOSTS, as Django itself would; any other Host header gets a 400. Managers add
domains (the network's or a publisher's own), publishers mint links on the ones allowed to
them, and a system check names any domain whose host is not allowed."""

import io

import pytest

from tests import factories
from tests.conftest import client_for
from tests.portal.conftest import client_as, saved
from tracking.checks import check_tracking_domains_allowed
from tracking.clicks import wsgi as click_wsgi
from tracking.clicks.wsgi import click_paths_first
from tracking.models import TrackingDomain, TrackingLink

pytestmark = pytest.mark.django_db


def _get(host: str, path: str = "/c/nosuchcode") -> tuple[str, bytes]:
    def django_app(environ, start_response):
        raise AssertionError(f"Django was asked for {environ['PATH_INFO']}")

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "HTTP_HOST": host,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "8.8.8.8",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    status = []
    body = b"".join(click_paths_first(django_app)(environ, lambda s, headers: status.append(s)))
    return status[0], body


@pytest.fixture(autouse=True)
def _hosts(settings):
    # "testserver": the host of the test client's API requests.
    settings.ALLOWED_HOSTS = ["track.example.com", ".clicks.example.net", "testserver"]
    settings.TRACKING_BASE_URL = "https://track.example.com"
    click_wsgi._HOSTS_KNOWN.clear()
    yield
    click_wsgi._HOSTS_KNOWN.clear()


def test_a_click_on_a_configured_domain_is_served():
    status, _ = _get("track.example.com")
    assert not status.startswith("400"), status
    status, _ = _get("pub7.clicks.example.net")  # a publisher's domain under a wildcard entry
    assert not status.startswith("400"), status


def test_a_click_on_an_unknown_host_is_refused_without_reaching_the_redirect():
    status, body = _get("evil.example.org")
    assert status == "400 Bad Request"
    assert body == b"Unknown tracking domain."


def test_the_impression_pixel_and_the_tune_paths_check_the_host_too():
    for path in ("/i/nosuchcode", "/aff_c", "/aff_i"):
        assert _get("evil.example.org", path)[0] == "400 Bad Request"


@pytest.fixture
def two_publishers():
    return factories.PublisherUserFactory(), factories.PublisherUserFactory()


def _domain(host: str, publisher=None, is_default: bool = False) -> TrackingDomain:
    return TrackingDomain.objects.create(host=host, publisher=publisher, is_default=is_default)


def test_a_manager_adds_a_publishers_domain_and_the_network_default_over_the_api():
    manager = factories.ManagerFactory()
    publisher = factories.PublisherFactory()
    api = client_for(manager)
    own = api.post(
        "/api/v1/tracking-domains/",
        {"host": "Pub7.Clicks.Example.net", "publisher": publisher.id},
        format="json",
    )
    assert own.status_code == 201, own.content
    assert own.json()["host"] == "pub7.clicks.example.net"
    assert own.json()["publisher"] == publisher.id
    default = api.post(
        "/api/v1/tracking-domains/",
        {"host": "track.example.com", "is_default": True},
        format="json",
    )
    assert default.status_code == 201 and default.json()["is_default"] is True


def test_a_domain_whose_host_is_not_allowed_is_refused_at_creation():
    api = client_for(factories.ManagerFactory())
    response = api.post("/api/v1/tracking-domains/", {"host": "evil.example.org"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "host_not_allowed"
    assert not TrackingDomain.objects.exists()


def test_a_publisher_may_not_add_a_domain(two_publishers):
    api = client_for(two_publishers[0])
    response = api.post(
        "/api/v1/tracking-domains/", {"host": "a.clicks.example.net"}, format="json"
    )
    assert response.status_code == 403
    assert not TrackingDomain.objects.exists()


def test_a_link_is_minted_on_the_chosen_domain(two_publishers):
    user, _ = two_publishers
    own = _domain("mine.clicks.example.net", publisher=user.publisher)
    offer = factories.OfferFactory()
    api = client_for(user)
    response = api.post("/api/v1/links/", {"offer": offer.id, "domain": own.id}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["domain"] == own.id
    assert body["url"] == f"https://mine.clicks.example.net/c/{body['code']}"
    assert body["impression_url"] == f"https://mine.clicks.example.net/i/{body['code']}"
    assert body["tune_url"].startswith("https://mine.clicks.example.net/aff_c?")


def test_a_new_link_goes_on_the_default_domain_and_moves_when_another_is_chosen(two_publishers):
    user, _ = two_publishers
    _domain("track.example.com", is_default=True)
    network = _domain("go.clicks.example.net")
    offer = factories.OfferFactory()
    api = client_for(user)
    first = api.post("/api/v1/links/", {"offer": offer.id}, format="json").json()
    assert first["url"] == f"https://track.example.com/c/{first['code']}"
    moved = api.post("/api/v1/links/", {"offer": offer.id, "domain": network.id}, format="json")
    assert moved.status_code == 200
    assert moved.json()["code"] == first["code"]
    assert moved.json()["url"] == f"https://go.clicks.example.net/c/{first['code']}"
    listed = api.get("/api/v1/links/").json()["results"][0]
    assert listed["url"] == moved.json()["url"]


def test_a_publisher_cannot_mint_on_another_publishers_domain(two_publishers):
    user, other = two_publishers
    theirs = _domain("theirs.clicks.example.net", publisher=other.publisher)
    offer = factories.OfferFactory()
    response = client_for(user).post(
        "/api/v1/links/", {"offer": offer.id, "domain": theirs.id}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_allowed"
    assert not TrackingLink.objects.exists()


def test_a_publisher_lists_the_networks_domains_and_its_own_only(two_publishers):
    user, other = two_publishers
    _domain("track.example.com", is_default=True)
    _domain("mine.clicks.example.net", publisher=user.publisher)
    _domain("theirs.clicks.example.net", publisher=other.publisher)
    hosts = {d["host"] for d in client_for(user).get("/api/v1/tracking-domains/").json()["results"]}
    assert hosts == {"track.example.com", "mine.clicks.example.net"}


def test_a_link_is_not_minted_on_a_domain_taken_out_of_allowed_hosts(two_publishers, settings):
    user, _ = two_publishers
    stale = _domain("old.example.org")
    offer = factories.OfferFactory()
    response = client_for(user).post(
        "/api/v1/links/", {"offer": offer.id, "domain": stale.id}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "host_not_allowed"


def test_the_system_check_names_a_domain_whose_host_is_not_allowed():
    _domain("track.example.com")
    _domain("pub7.clicks.example.net")
    _domain("old.example.org")
    errors = check_tracking_domains_allowed(databases=["default"])
    assert [(e.id, e.obj) for e in errors] == [("tracking.E001", "old.example.org")]
    assert check_tracking_domains_allowed(databases=None) == []


def test_the_system_check_passes_when_every_domain_is_allowed():
    _domain("track.example.com")
    assert check_tracking_domains_allowed(databases=["default"]) == []


def test_the_portal_link_builder_mints_on_the_chosen_domain(two_publishers):
    user, other = two_publishers
    own = _domain("mine.clicks.example.net", publisher=user.publisher)
    _domain("theirs.clicks.example.net", publisher=other.publisher)
    offer = factories.OfferFactory()
    client = client_as(saved(user))
    page = client.get(f"/publisher/offers/{offer.id}/").content.decode()
    assert "mine.clicks.example.net" in page and "theirs.clicks.example.net" not in page
    response = client.post(f"/publisher/offers/{offer.id}/", {"sub1": "a", "domain": own.id})
    link = TrackingLink.objects.get()
    assert f"https://mine.clicks.example.net/c/{link.code}?sub1=a" in response.content.decode()
