"""Refusing unsafe postback targets (SSRF guard).

A publisher chooses the URL we call, so a careless or hostile one could point it at our own
network: a database, a cloud metadata service, an admin port. We resolve the host ourselves,
refuse the call if ANY address it resolves to is not a public unicast address, and then connect
to the address we checked (never resolving again, so DNS cannot change its answer in between),
while the Host header and TLS SNI keep the name. Redirects are never followed.

getaddrinfo also parses the odd IPv4 spellings (2130706433, 0x7f000001, 0177.0.0.1), so they are
judged by the address they really mean. IPv4-mapped, NAT64 and 6to4/Teredo IPv6 addresses are
judged by the IPv4 address they carry.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTargetError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str  # path and query, as sent on the request line

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """None when we may call this address, else why not."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            return address_refusal(inner, allow_loopback=allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link_local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not_global"
    return None


def target_resolve(url: str) -> Target:
    """Check `url` and pick the address to connect to. Raises UnsafeTargetError."""
    allow_loopback = settings.POSTBACK_ALLOW_LOOPBACK
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTargetError("bad_url") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeTargetError("bad_scheme")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeTargetError("bad_url")
    if parts.username or parts.password:
        raise UnsafeTargetError("credentials_in_url")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTargetError("unresolvable") from exc
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        reason = address_refusal(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise UnsafeTargetError(reason)
        addresses.append(address)
    if not addresses:
        raise UnsafeTargetError("unresolvable")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, address=str(addresses[0]), path=path)
