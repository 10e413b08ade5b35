"""System check: every tracking domain's host is in ALLOWED_HOSTS.

A link minted on a host the click handler refuses (tracking/clicks/wsgi.py answers 400 to any
Host not allowed) loses every click. Creating a domain and minting a link check the host too
(tracking/domains.py); this check catches the other way round: a host taken out of
ALLOWED_HOSTS while domains and printed links still use it. It reads the database, so it runs
only when the command names databases (`manage.py check --database default`, `migrate`).
"""

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from tracking.domains import tracking_host_is_allowed
from tracking.models import TrackingDomain


@register(Tags.database)
def check_tracking_domains_allowed(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    if not databases:
        return []
    try:
        hosts = list(TrackingDomain.objects.values_list("host", flat=True))
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    return [
        Error(
            f"Tracking domain {host} is not in ALLOWED_HOSTS: the click handler refuses its "
            "clicks, and no link can be minted on it.",
            hint="Add it to ALLOWED_HOSTS (docs/deploy.md, Tracking domains), or drop the domain.",
            obj=host,
            id="tracking.E001",
        )
        for host in hosts
        if not tracking_host_is_allowed(host)
    ]
