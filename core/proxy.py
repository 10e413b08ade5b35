"""The visitor's address behind our own proxy, for every Django view.

Behind nginx, REMOTE_ADDR is nginx. The callback endpoints check advertisers' IP allowlists,
DRF throttles anonymous callers by address, and logs name the caller: all need the address nginx
saw. nginx puts it in the header named by CLICK_IP_HEADER (deploy/nginx sets X-Real-IP and
overwrites whatever the client sent). This middleware believes that header only when the
request really comes from one of TRUSTED_PROXIES, so a visitor talking to a node directly
cannot pick its own address (nor its country: CLICK_COUNTRY_HEADER is believed on the same
terms). The click redirect reads the same headers in its own lean handler (tracking/clicks/geo.py).
"""

import ipaddress
from collections.abc import Callable, Mapping
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def proxy_peer_trusted(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def proxy_client_ip(meta: dict) -> str | None:
    """The address our proxy reports, or None when it is not to be believed."""
    header = settings.CLICK_IP_HEADER
    if not header or not proxy_peer_trusted(meta.get("REMOTE_ADDR", "")):
        return None
    raw = meta.get("HTTP_" + header.upper().replace("-", "_"), "")
    # X-Forwarded-For: the last address is the one our proxy appended.
    raw = raw.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def proxy_peer(meta: Mapping[str, str]) -> str:
    """The address that really connected: after TrustedProxyMiddleware it is kept aside in
    PROXY_PEER_ADDR (a key no HTTP header can set), before it, REMOTE_ADDR."""
    return meta.get("PROXY_PEER_ADDR") or meta.get("REMOTE_ADDR", "")


def proxy_country(meta: Mapping[str, str]) -> str | None:
    """The two-letter country our proxy (or CDN) reports in CLICK_COUNTRY_HEADER, or None when
    there is none or it is not to be believed: from anyone but TRUSTED_PROXIES the header is the
    visitor's own choice, and offer targeting would follow it."""
    header = settings.CLICK_COUNTRY_HEADER
    if not header or not proxy_peer_trusted(proxy_peer(meta)):
        return None
    told = meta.get("HTTP_" + header.upper().replace("-", "_"), "").strip().upper()
    return told if len(told) == 2 and told.isalpha() else None


class TrustedProxyMiddleware:
    """Replaces REMOTE_ADDR with the proxy-reported address; the peer stays in PROXY_PEER_ADDR."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        client = proxy_client_ip(request.META)
        if client is not None:
            request.META["PROXY_PEER_ADDR"] = request.META["REMOTE_ADDR"]
            request.META["REMOTE_ADDR"] = client
        return self.get_response(request)
