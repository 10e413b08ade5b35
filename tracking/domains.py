"""Tracking domains: the hosts links are minted on, and who may choose which.

A network domain (`publisher` NULL) is open to every publisher; a publisher's own domain only
to that publisher. Every host must pass the same ALLOWED_HOSTS test the click handler applies
(tracking/clicks/wsgi.py), checked when a domain is created and again when a link is minted on
it, so a link never points at a host whose clicks would get a 400.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http.request import split_domain_port, validate_host

from accounts.models import User
from accounts.policy import Action, policy_require
from affiliates.models import Publisher
from core.errors import DomainError
from tracking.models import TrackingDomain

# Django's own fallback when DEBUG is on and ALLOWED_HOSTS is empty (HttpRequest.get_host).
_DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]


def tracking_host_is_allowed(host: str) -> bool:
    """Whether a request with this Host header would pass ALLOWED_HOSTS, as Django judges it."""
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = _DEBUG_HOSTS
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


def tracking_domains_of(*, publisher_id: int) -> QuerySet[TrackingDomain]:
    """The domains a publisher may mint its links on: the network's and its own."""
    return TrackingDomain.objects.filter(Q(publisher__isnull=True) | Q(publisher_id=publisher_id))


def tracking_domains_visible_to(*, user: User) -> QuerySet[TrackingDomain]:
    if user.is_manager or user.is_finance:
        return TrackingDomain.objects.select_related("publisher")
    if user.publisher_id is not None:
        return tracking_domains_of(publisher_id=user.publisher_id)
    return TrackingDomain.objects.none()


def tracking_domain_default() -> TrackingDomain | None:
    return TrackingDomain.objects.filter(is_default=True).first()


def tracking_domain_url(domain: TrackingDomain | None) -> str:
    """The base URL of links on `domain`: TRACKING_BASE_URL's scheme on the domain's host."""
    if domain is None:
        return settings.TRACKING_BASE_URL
    scheme = urlsplit(settings.TRACKING_BASE_URL).scheme or "https"
    return f"{scheme}://{domain.host}"


def _host_clean(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    domain, port = split_domain_port(host)
    if not domain or port or "/" in host or "*" in host:
        raise DomainError.for_field(
            "host", "invalid", "A host name only, e.g. clicks.example.com (no scheme or port)."
        )
    return host


def tracking_domain_create(
    *, user: User, host: str, publisher_id: int | None = None, is_default: bool = False
) -> TrackingDomain:
    """A new tracking domain, by a manager (accounts.policy: tracking_domain.create)."""
    policy_require(action=Action.TRACKING_DOMAIN_CREATE, user=user, facts={})
    host = _host_clean(host)
    if not tracking_host_is_allowed(host):
        raise DomainError.for_field(
            "host",
            "host_not_allowed",
            f"{host} is not in ALLOWED_HOSTS: the click handler would refuse its clicks. Add it "
            "to ALLOWED_HOSTS (docs/deploy.md, Tracking domains) first.",
        )
    if publisher_id is not None:
        if is_default:
            raise DomainError.for_field(
                "is_default", "invalid", "Only a network domain can be the default."
            )
        if not Publisher.objects.filter(id=publisher_id).exists():
            raise DomainError.for_field("publisher", "does_not_exist", "No such publisher.")
    try:
        with transaction.atomic():
            if is_default:
                TrackingDomain.objects.filter(is_default=True).update(is_default=False)
            return TrackingDomain.objects.create(
                host=host, publisher_id=publisher_id, is_default=is_default, created_by=user
            )
    except IntegrityError as exc:
        raise DomainError.for_field(
            "host", "duplicate", f"The tracking domain {host} exists already."
        ) from exc


def tracking_domain_for_link(*, publisher_id: int, domain_id: int | None) -> TrackingDomain | None:
    """The domain a publisher's link is minted on: the one named (it must be the network's or
    the publisher's own, and allowed), else the default (None: TRACKING_BASE_URL)."""
    if domain_id is None:
        return tracking_domain_default()
    # Another publisher's domain and a missing one get the same answer.
    domain = tracking_domains_of(publisher_id=publisher_id).filter(id=domain_id).first()
    if domain is None:
        raise DomainError.for_field(
            "domain", "not_allowed", "No tracking domain with this id that this publisher may use."
        )
    if not tracking_host_is_allowed(domain.host):
        raise DomainError.for_field(
            "domain",
            "host_not_allowed",
            f"{domain.host} is not in ALLOWED_HOSTS: its clicks would be refused.",
        )
    return domain
