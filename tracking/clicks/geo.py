"""Who is clicking from where: the client address and its country.

Country comes from iptocc, an offline IP-to-country table shipped inside its PyPI wheel (a lookup
takes well under a microsecond), unless a trusted proxy in front of us already tells it
(CLICK_COUNTRY_HEADER, e.g. a CDN's country header, believed only from TRUSTED_PROXIES). The
client address is REMOTE_ADDR unless CLICK_IP_HEADER names the header our own proxy sets and the
request comes from one of TRUSTED_PROXIES (core/proxy.py).
"""

import ipaddress
from collections.abc import Mapping

import iptocc

from core.proxy import proxy_client_ip, proxy_country


def client_ip(environ: Mapping[str, str]) -> str | None:
    # core.proxy believes CLICK_IP_HEADER only from TRUSTED_PROXIES (our own nginx).
    raw = proxy_client_ip(environ) or environ.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def client_country(environ: Mapping[str, str], ip: str | None) -> str:
    # core.proxy believes CLICK_COUNTRY_HEADER only from TRUSTED_PROXIES; otherwise GeoIP.
    told = proxy_country(environ)
    if told:
        return told
    if ip is None:
        return ""
    return iptocc.country_code(ip) or ""
