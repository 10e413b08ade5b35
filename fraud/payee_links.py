"""Links between publishers that should be strangers: one payee behind several accounts.

- The same payout identifier (a PayPal or Wise e-mail, an IBAN or account number, a wallet) on
  more than one publisher, in the details in force or any confirmed change: one person paid
  for several publishers is how a banned affiliate comes back, and how caps and per-publisher
  checks are split across accounts.
- A publisher linked to a banned one by the e-mail domain of a user (never a webmail domain:
  strangers share gmail.com), by the sign-up address, or by a payout identifier.

Reads only; computed per publisher and kept per process for FRAUD_POLICY_CACHE_SECONDS, since
a conversion batch asks about the same few publishers many times.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from accounts.models import User
from affiliates.models import PayoutDetailsChange, Publisher

WEBMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "ymail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
        "tutanota.com",
        "fastmail.com",
        "hey.com",
        "example.com",
    }
)

# Detail keys that name one payee; bank codes (BIC, routing, sort code) are shared by every
# customer of a bank, and holder names by namesakes, so they link nobody.
_IDENTIFIER_KEY = re.compile(r"email|account|iban|wallet|number|paypal|wise", re.I)
_NOT_IDENTIFIER_KEY = re.compile(r"name|holder|swift|bic|routing|sort|bank|country|currency", re.I)


def webmail_domains() -> frozenset[str]:
    extra = {domain.strip().lower() for domain in settings.FRAUD_WEBMAIL_DOMAINS_EXTRA}
    return WEBMAIL_DOMAINS | extra


def email_domain(email: str | None) -> str:
    _, at, domain = (email or "").strip().lower().rpartition("@")
    return domain.strip(".") if at else ""


def payout_identifiers(details: Mapping[str, Any] | None) -> set[str]:
    """The payee identifiers in payout details, normalised: e-mails lower-cased without a
    `+tag`, account numbers upper-cased without spaces, dashes or dots."""
    found: set[str] = set()
    if not isinstance(details, Mapping):
        return found
    for key, value in details.items():
        if not isinstance(value, str) or not value.strip():
            continue
        key = str(key)
        if not _IDENTIFIER_KEY.search(key) or _NOT_IDENTIFIER_KEY.search(key):
            continue
        text = value.strip().lower()
        if "@" in text:
            local, _, domain = text.rpartition("@")
            found.add(f"email:{local.split('+', 1)[0]}@{domain}")
            continue
        compact = re.sub(r"[\s.\-/]", "", text).upper()
        if len(compact) >= 6:  # shorter is a branch code or a typo, not a payee
            found.add(f"account:{compact}")
    return found


@dataclass(frozen=True)
class Link:
    publisher_id: int
    via: str  # payout_details, email_domain, signup_ip
    value: str

    def as_dict(self) -> dict[str, Any]:
        return {"publisher": self.publisher_id, "via": self.via, "value": self.value}


@dataclass(frozen=True)
class PayeeLinks:
    """What links one publisher to others: the evidence behind the two signals."""

    publisher_id: int
    shared_payout: tuple[Link, ...] = ()
    banned: tuple[Link, ...] = field(default=())

    @property
    def shared_payout_publishers(self) -> list[int]:
        return sorted({link.publisher_id for link in self.shared_payout})

    def evidence(self) -> dict[str, Any]:
        return {
            "shared_payout": [link.as_dict() for link in self.shared_payout],
            "banned": [link.as_dict() for link in self.banned],
        }


def _identifiers_by_publisher(publisher_ids: Iterable[int] | None = None) -> dict[int, set[str]]:
    """Every payee identifier each publisher was paid to, or asked to be and was confirmed."""
    publishers = Publisher.objects.all()
    changes = PayoutDetailsChange.objects.filter(state=PayoutDetailsChange.State.CONFIRMED)
    if publisher_ids is not None:
        publishers = publishers.filter(id__in=list(publisher_ids))
        changes = changes.filter(publisher_id__in=list(publisher_ids))
    found: dict[int, set[str]] = {}
    for publisher_id, details in publishers.values_list("id", "payout_details"):
        found.setdefault(publisher_id, set()).update(payout_identifiers(details))
    for publisher_id, old, new in changes.values_list(
        "publisher_id", "old_payout_details", "new_payout_details"
    ):
        found.setdefault(publisher_id, set()).update(payout_identifiers(old))
        found[publisher_id].update(payout_identifiers(new))
    return found


def _shared_payout(publisher_id: int) -> list[Link]:
    own = _identifiers_by_publisher([publisher_id]).get(publisher_id, set())
    if not own:
        return []
    # Every publisher's identifiers, compared in Python: JSON text search differs per database,
    # and the answer is cached per publisher.
    links = []
    for other_id, identifiers in _identifiers_by_publisher().items():
        if other_id == publisher_id:
            continue
        for value in sorted(own & identifiers):
            links.append(Link(other_id, "payout_details", value))
    return links


def _banned_links(publisher_id: int, shared: list[Link]) -> list[Link]:
    banned_ids = set(
        Publisher.objects.filter(status=Publisher.Status.BANNED)
        .exclude(id=publisher_id)
        .values_list("id", flat=True)
    )
    if not banned_ids:
        return []
    links = [link for link in shared if link.publisher_id in banned_ids]
    webmail = webmail_domains()
    own_domains = (
        {
            email_domain(email)
            for email in User.objects.filter(publisher_id=publisher_id).values_list(
                "email", flat=True
            )
        }
        - webmail
        - {""}
    )
    if own_domains:
        for other_id, email in User.objects.filter(publisher_id__in=banned_ids).values_list(
            "publisher_id", "email"
        ):
            domain = email_domain(email)
            if domain in own_domains:
                links.append(Link(other_id, "email_domain", domain))
    own_ip = Publisher.objects.filter(id=publisher_id).values_list("signup_ip", flat=True).first()
    if own_ip:
        for other_id in Publisher.objects.filter(id__in=banned_ids, signup_ip=own_ip).values_list(
            "id", flat=True
        ):
            links.append(Link(other_id, "signup_ip", own_ip))
    return sorted(set(links), key=lambda link: (link.publisher_id, link.via, link.value))


def payee_links_of(*, publisher_id: int) -> PayeeLinks:
    """What links this publisher to others (uncached: the evidence a manager reads)."""
    shared = _shared_payout(publisher_id)
    return PayeeLinks(
        publisher_id=publisher_id,
        shared_payout=tuple(shared),
        banned=tuple(_banned_links(publisher_id, shared)),
    )


class _TimedCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: dict[int, tuple[float, PayeeLinks]] = {}

    def get(self, publisher_id: int) -> PayeeLinks:
        ttl = settings.FRAUD_POLICY_CACHE_SECONDS
        now = time.monotonic()
        hit = self.rows.get(publisher_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        links = payee_links_of(publisher_id=publisher_id)
        if ttl > 0:
            with self.lock:
                if len(self.rows) > 10_000:
                    self.rows.clear()
                self.rows[publisher_id] = (now + ttl, links)
        return links

    def clear(self) -> None:
        with self.lock:
            self.rows.clear()


_cache = _TimedCache()


def payee_links_cached(*, publisher_id: int) -> PayeeLinks:
    return _cache.get(publisher_id)


def payee_links_cache_clear() -> None:
    _cache.clear()


# Signal values ---------------------------------------------------------------------------------


def payout_details_shared(*, publisher_id: int) -> int:
    """How many other publishers share a payee identifier with this one (0: none)."""
    return len(payee_links_cached(publisher_id=publisher_id).shared_payout_publishers)


def banned_publisher_linked(*, publisher_id: int) -> bool:
    """Whether an e-mail domain, the sign-up address or a payee links it to a banned publisher."""
    return bool(payee_links_cached(publisher_id=publisher_id).banned)
