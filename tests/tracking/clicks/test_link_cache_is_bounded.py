"""The in-process link cache holds at most CLICK_LINK_LOCAL_MAX links, forgetting the least
recently used first, and an entry is still fresh for LOCAL_SECONDS only."""

import pytest

from tracking.clicks import resolve
from tracking.clicks.resolve import LinkNotCached, link_resolve

pytestmark = pytest.mark.django_db


def test_the_least_recently_used_link_is_evicted_past_the_size(settings):
    settings.CLICK_LINK_LOCAL_MAX = 2
    for code in ("code-one", "code-two"):
        assert link_resolve(key=f"c:{code}") is None  # unknown links are cached too
    # Reading code-one makes code-two the least recently used.
    assert link_resolve(key="c:code-one", cached_only=True) is None
    assert link_resolve(key="c:code-three") is None

    assert len(resolve._local) == 2
    with pytest.raises(LinkNotCached):
        link_resolve(key="c:code-two", cached_only=True)
    assert link_resolve(key="c:code-one", cached_only=True) is None
    assert link_resolve(key="c:code-three", cached_only=True) is None


def test_a_flood_of_made_up_codes_never_grows_the_cache_past_its_size(settings):
    settings.CLICK_LINK_LOCAL_MAX = 50
    for n in range(300):
        link_resolve(key=f"c:madeup{n:04d}")
    assert len(resolve._local) == 50


def test_a_cached_entry_still_goes_stale_after_its_time(settings, monkeypatch, link):
    settings.CLICK_LINK_LOCAL_MAX = 10
    snapshot = link_resolve(key=f"c:{link.code}")
    assert snapshot is not None
    assert link_resolve(key=f"c:{link.code}", cached_only=True) == snapshot
    monotonic, wall = resolve._clock()
    monkeypatch.setattr(
        resolve, "_clock", lambda: (monotonic + resolve.LOCAL_SECONDS + 1, wall + 2)
    )
    with pytest.raises(LinkNotCached):
        link_resolve(key=f"c:{link.code}", cached_only=True)
    assert link_resolve(key=f"c:{link.code}") == snapshot
