"""Behind our nginx, views see the visitor's address; nobody else can choose it."""

from django.http import JsonResponse
from django.test import override_settings
from django.urls import path


def whoami(request):
    return JsonResponse(
        {"ip": request.META["REMOTE_ADDR"], "peer": request.META.get("PROXY_PEER_ADDR")}
    )


urlpatterns = [path("whoami", whoami)]

behind_nginx = override_settings(
    ROOT_URLCONF="tests.deploy.test_trusted_proxy",
    CLICK_IP_HEADER="X-Real-IP",
    TRUSTED_PROXIES=["127.0.0.0/8", "10.0.0.0/8"],
)


@behind_nginx
def test_a_request_through_our_proxy_carries_the_visitors_address(client):
    body = client.get("/whoami", HTTP_X_REAL_IP="203.0.113.7", REMOTE_ADDR="10.0.1.5").json()
    assert body == {"ip": "203.0.113.7", "peer": "10.0.1.5"}


@behind_nginx
def test_a_visitor_talking_to_a_node_directly_cannot_pick_its_address(client):
    body = client.get("/whoami", HTTP_X_REAL_IP="203.0.113.7", REMOTE_ADDR="198.51.100.9").json()
    assert body == {"ip": "198.51.100.9", "peer": None}


@behind_nginx
def test_a_malformed_proxy_header_is_ignored(client):
    body = client.get("/whoami", HTTP_X_REAL_IP="not-an-ip", REMOTE_ADDR="127.0.0.1").json()
    assert body["ip"] == "127.0.0.1"


@override_settings(
    ROOT_URLCONF="tests.deploy.test_trusted_proxy",
    CLICK_IP_HEADER="X-Forwarded-For",
    TRUSTED_PROXIES=["127.0.0.0/8"],
)
def test_with_x_forwarded_for_the_address_our_proxy_appended_counts(client):
    body = client.get("/whoami", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7").json()
    assert body["ip"] == "203.0.113.7"


@override_settings(ROOT_URLCONF="tests.deploy.test_trusted_proxy", CLICK_IP_HEADER="")
def test_without_a_proxy_header_setting_the_socket_address_stands(client):
    body = client.get("/whoami", HTTP_X_REAL_IP="203.0.113.7").json()
    assert body["ip"] == "127.0.0.1"


# The country header (a CDN's CF-IPCountry, say) is believed on the same terms as the address.

behind_a_cdn = override_settings(
    CLICK_IP_HEADER="X-Real-IP",
    CLICK_COUNTRY_HEADER="CF-IPCountry",
    TRUSTED_PROXIES=["10.0.0.0/8"],
)
GB_IP = "81.2.69.142"


@behind_a_cdn
def test_the_country_header_from_our_proxy_is_believed():
    from tracking.clicks.geo import client_country, client_ip

    environ = {"REMOTE_ADDR": "10.0.1.5", "HTTP_X_REAL_IP": GB_IP, "HTTP_CF_IPCOUNTRY": "fr"}
    assert client_country(environ, client_ip(environ)) == "FR"


@behind_a_cdn
def test_a_visitor_talking_to_a_node_directly_cannot_pick_its_country():
    from tracking.clicks.geo import client_country, client_ip

    environ = {"REMOTE_ADDR": GB_IP, "HTTP_CF_IPCOUNTRY": "FR"}
    assert client_country(environ, client_ip(environ)) == "GB"  # GeoIP of the socket address


@behind_a_cdn
def test_after_the_middleware_the_country_still_needs_a_trusted_peer():
    # Django views see REMOTE_ADDR rewritten by TrustedProxyMiddleware; the peer is kept aside.
    from tracking.clicks.geo import client_country

    rewritten = {"REMOTE_ADDR": GB_IP, "PROXY_PEER_ADDR": "10.0.1.5", "HTTP_CF_IPCOUNTRY": "FR"}
    assert client_country(rewritten, GB_IP) == "FR"
    assert client_country({"REMOTE_ADDR": GB_IP, "HTTP_CF_IPCOUNTRY": "FR"}, GB_IP) == "GB"
