"""Device kind from the user agent: mobile, tablet or desktop (the offer's `devices` targeting).

A few anchored substrings, cached per user agent: the redirect asks on every click and the same
handful of user agents make most traffic.
"""

import re
from functools import lru_cache

DESKTOP = "desktop"
MOBILE = "mobile"
TABLET = "tablet"

_TABLET = re.compile(r"iPad|Tablet|Kindle|Silk/|PlayBook|Nexus (?:7|9|10)|SM-T\d|Android(?!.*Mobi)")
_MOBILE = re.compile(
    r"Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|BB10|Opera Mini|IEMobile|webOS"
)


@lru_cache(maxsize=8192)
def device_from_user_agent(user_agent: str) -> str:
    if _TABLET.search(user_agent):
        return TABLET
    if _MOBILE.search(user_agent):
        return MOBILE
    return DESKTOP
