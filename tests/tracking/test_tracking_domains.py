"""Tracking domains: the lean click handler (config.wsgi, in front of Django) serves only the
hosts of ALLOWED_HOSTS, as Django itself would; any other Host header gets a 400."""

import io

import pytest

from tracking.clicks import wsgi as click_wsgi
from tracking.clicks.wsgi import click_paths_first

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
    settings.ALLOWED_HOSTS = ["track.example.com", ".clicks.example.net"]
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
