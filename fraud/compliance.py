"""Whether a click's traffic source is one its offer allows.

The source is the click's `source` parameter: a traffic type itself (`push`), or the key of one
of the publisher's declared sources (affiliates.TrafficSource), whose type it takes. A click
with no source is judged by what the publisher declared: forbidden when every declared type is
outside the offer's terms, allowed when every one is inside, unknown otherwise. An offer without
terms, or a source nobody declared, is unknown: the signal then says nothing.

The offer's current terms and the publisher's sources are kept per process for
FRAUD_POLICY_CACHE_SECONDS (the ingester asks for thousands of clicks of a few pairs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

from affiliates.models import TrafficSource
from core.traffic_types import TRAFFIC_TYPES
from offers.models import OfferTerms


class _TtlCache:
    def __init__(self, load: Callable[[int], Any]) -> None:
        self.load = load
        self.lock = threading.Lock()
        self.rows: dict[int, tuple[float, Any]] = {}

    def get(self, key: int) -> Any:
        now = time.monotonic()
        hit = self.rows.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = self.load(key)
        ttl = settings.FRAUD_POLICY_CACHE_SECONDS
        if ttl > 0:
            with self.lock:
                if len(self.rows) > 50_000:
                    self.rows.clear()
                self.rows[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        with self.lock:
            self.rows.clear()


def _offer_policy(offer_id: int) -> tuple[frozenset[str], frozenset[str], int] | None:
    terms = (
        OfferTerms.objects.filter(offer_id=offer_id)
        .order_by("-version")
        .values_list("allowed_traffic", "forbidden_traffic", "version")
        .first()
    )
    if terms is None:
        return None
    allowed, forbidden, version = terms
    return frozenset(allowed or ()), frozenset(forbidden or ()), version


def _publisher_sources(publisher_id: int) -> dict[str, str]:
    return dict(
        TrafficSource.objects.filter(publisher_id=publisher_id).values_list("key", "traffic_type")
    )


_policies = _TtlCache(_offer_policy)
_sources = _TtlCache(_publisher_sources)


def compliance_cache_clear() -> None:
    _policies.clear()
    _sources.clear()


def traffic_types_of(*, publisher_id: int, source: str) -> set[str]:
    """The traffic types a click stands for: one for a known source, the publisher's declared
    types for a click without one, none for a source nobody declared."""
    declared = _sources.get(publisher_id)
    key = (source or "").strip().lower()
    if key:
        if key in declared:
            return {declared[key]}
        return {key} if key in TRAFFIC_TYPES else set()
    return set(declared.values())


def type_allowed(traffic_type: str, allowed: frozenset[str], forbidden: frozenset[str]) -> bool:
    return traffic_type not in forbidden and (not allowed or traffic_type in allowed)


def traffic_source_forbidden(*, offer_id: int, publisher_id: int, source: str) -> bool | None:
    """True: the offer's terms do not allow this traffic; False: they do; None: unknown."""
    policy = _policies.get(offer_id)
    if policy is None:
        return None
    allowed, forbidden, _version = policy
    types = traffic_types_of(publisher_id=publisher_id, source=source)
    if not types:
        return None
    verdicts = {type_allowed(kind, allowed, forbidden) for kind in types}
    if verdicts == {False}:
        return True
    if verdicts == {True}:
        return False
    return None
