"""Finer targeting and scheduling at the redirect: OS, browser, language, day-parting, dates.

Everything is decided from the link snapshot (offers.OfferTargeting copied into it) and the
request; parsing is cached per header value, since a handful of user agents and language
headers make most traffic. A snapshot without finer targeting skips all of it.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracking.clicks.agents import user_agent_browser, user_agent_os
from tracking.models import Click

MAX_LANGUAGES = 12


@lru_cache(maxsize=4096)
def accept_languages(header: str) -> frozenset[str]:
    """The primary language subtags the visitor accepts (q above 0), lower case:
    "de-CH, fr;q=0.8, en;q=0" -> {"de", "fr"}. A "*" accepts nothing in particular."""
    found: set[str] = set()
    for part in header[:500].split(",")[:MAX_LANGUAGES]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().split("-")[0].lower()
        if not primary or primary == "*" or not primary.isalpha() or len(primary) > 8:
            continue
        quality = params.strip()
        if quality.startswith("q="):
            try:
                if float(quality[2:]) <= 0:
                    continue
            except ValueError:
                continue
        found.add(primary)
    return frozenset(found)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def schedule_reason(
    *,
    now: float,
    starts_at: float | None,
    ends_at: float | None,
    time_zone: str,
    hours: Mapping[str, Sequence[int]],
) -> str:
    """Why the offer does not run at `now` (a Unix time): not started, ended, or outside its
    day-parting read in its own time zone; empty when it runs."""
    if starts_at is not None and now < starts_at:
        return Click.Reason.NOT_STARTED
    if ends_at is not None and now >= ends_at:
        return Click.Reason.ENDED
    if hours:
        local = datetime.fromtimestamp(now, _zone(time_zone))
        if local.hour not in hours.get(str(local.weekday()), ()):
            return Click.Reason.SCHEDULE
    return Click.Reason.NONE


def audience_reason(
    *,
    user_agent: str,
    accept_language: str,
    oses: Sequence[str],
    browsers: Sequence[str],
    languages: Sequence[str],
) -> str:
    """Why this visitor's OS, browser or language is outside the offer's lists (empty: it is
    not, or the lists are empty)."""
    if oses and user_agent_os(user_agent) not in oses:
        return Click.Reason.OS
    if browsers and user_agent_browser(user_agent) not in browsers:
        return Click.Reason.BROWSER
    if languages and accept_languages(accept_language).isdisjoint(languages):
        return Click.Reason.LANGUAGE
    return Click.Reason.NONE


def region_reason(*, region: str, country: str, regions: Sequence[str]) -> str:
    """Why the visitor's region keeps them from the offer ("" when it does not). `regions`
    narrow only the countries they name; there the region must be known and listed."""
    prefix = f"{country}-"
    if not country or not any(code.startswith(prefix) for code in regions):
        return Click.Reason.NONE
    if not region:
        return Click.Reason.REGION_UNKNOWN
    return Click.Reason.NONE if region in regions else Click.Reason.REGION
