"""The Redis windows behind the velocity and repeat signals (fraud/counters.py): one script per
batch, yet each count is the one a pipeline of ZADD/ZCOUNT would give: every add of the batch
before any count, windows ending at each click's own time, a click claimed back counted once,
and a batch split across script calls counted as one."""

from datetime import UTC, datetime, timedelta

import pytest

from fraud import counters
from fraud.signals import ClickFacts

pytestmark = pytest.mark.usefixtures("fresh_redis")
AT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _click(n: int, seconds: float, ip: str = "203.0.113.7", agent: str = "UA") -> ClickFacts:
    return ClickFacts(
        click_id=f"click-{n}",
        created_at=AT + timedelta(seconds=seconds),
        offer_id=1,
        publisher_id=2,
        ip=ip,
        user_agent=agent,
    )


def test_each_click_counts_its_address_and_device_over_the_minute_and_the_day(db):
    clicks = [
        _click(1, -3600),  # an hour before: in the day, not the minute
        _click(2, -59.9),
        _click(3, 0),
        _click(4, 0.5, agent="other"),  # same address, another device
        _click(5, 0.5, ip="203.0.113.8"),  # another address
        ClickFacts(click_id="no-ip", created_at=AT, offer_id=1, publisher_id=2),
    ]
    counts = counters.click_counts(clicks=clicks)

    assert counts[2] == {"cip@60": 2, "cip@86400": 3, "cdev@60": 2, "cdev@86400": 3}
    # Each window ends at the click's own time: -59.9 s is out of the minute of +0.5 s.
    assert counts[3] == {"cip@60": 2, "cip@86400": 4, "cdev@60": 1, "cdev@86400": 1}
    assert counts[0] == {"cip@60": 1, "cip@86400": 1, "cdev@60": 1, "cdev@86400": 1}
    assert counts[4]["cip@86400"] == 1
    assert counts[5] == {}


def test_a_batch_claimed_back_counts_each_click_once(db):
    clicks = [_click(n, n) for n in range(5)]
    first = counters.click_counts(clicks=clicks)
    assert counters.click_counts(clicks=clicks) == first
    assert first[-1]["cip@60"] == 5


def test_uncounted_clicks_read_the_windows_and_add_nothing(db):
    counters.click_counts(clicks=[_click(1, 0)])
    test_click = _click(2, 1)
    assert (
        counters.click_counts(clicks=[test_click], uncounted=frozenset({"click-2"}))[0]["cip@60"]
        == 1
    )
    assert counters.click_counts(clicks=[_click(3, 2)])[0]["cip@60"] == 2


def test_a_batch_split_across_script_calls_counts_as_one_call(db, monkeypatch):
    clicks = [_click(n, -n * 7.3, ip=f"203.0.113.{n % 3}") for n in range(40)]
    whole = counters.click_counts(clicks=clicks)
    counters.counters_client().delete(*counters.counters_client().keys("fraud:*"))
    monkeypatch.setattr(counters, "CHUNK", 7)
    assert counters.click_counts(clicks=clicks) == whole
