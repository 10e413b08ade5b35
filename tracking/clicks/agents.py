"""A user agent reduced to its parsed parts: browser family, OS family, device kind.

What click retention keeps of a user agent once its days of full detail are over
(tracking/clicks/retention.py): enough for reports by browser or OS and for the fraud rules'
device grouping, not enough to single out a visitor by a rare build string. A few ordered
patterns, first match wins (Edge and Opera announce themselves as Chrome too, Chrome as Safari).
"""

import re
from functools import lru_cache

from tracking.clicks.bots import user_agent_is_bot
from tracking.clicks.device import device_from_user_agent

OTHER = "Other"

_BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Yandex", re.compile(r"YaBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Version/[\d.]+.*Safari/|Mobile/\w+ Safari")),
    ("Internet Explorer", re.compile(r"MSIE |Trident/")),
]
_SYSTEMS = [
    ("Windows", re.compile(r"Windows")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Android", re.compile(r"Android")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
]


def _first(patterns: list[tuple[str, re.Pattern[str]]], user_agent: str) -> str:
    return next((name for name, pattern in patterns if pattern.search(user_agent)), OTHER)


@lru_cache(maxsize=8192)
def user_agent_reduce(user_agent: str) -> str:
    """E.g. "Chrome; Android; mobile". Empty stays empty; a bot's kind is "bot"."""
    if not user_agent.strip():
        return ""
    kind = "bot" if user_agent_is_bot(user_agent) else device_from_user_agent(user_agent)
    return f"{_first(_BROWSERS, user_agent)}; {_first(_SYSTEMS, user_agent)}; {kind}"


@lru_cache(maxsize=8192)
def user_agent_os(user_agent: str) -> str:
    """The operating system family in lower case (offers.OfferTargeting.oses): "windows",
    "ios", "macos", "android", "chromeos", "linux" or "other"."""
    return _first(_SYSTEMS, user_agent).lower()


@lru_cache(maxsize=8192)
def user_agent_browser(user_agent: str) -> str:
    """The browser family in lower case (offers.OfferTargeting.browsers): "edge", "opera",
    "samsung internet", "yandex", "firefox", "chrome", "safari", "internet explorer", "other"."""
    return _first(_BROWSERS, user_agent).lower()
