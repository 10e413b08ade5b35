import pytest
import redis

from tracking.callbacks import limits


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test starts with no callback or pixel counted against its address or advertiser:
    the counters live in the Redis of the whole run, keyed by window, not by test."""
    limits.limits_reset()
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            keys = list(client.scan_iter(match=limits.KEY_PREFIX + "*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
    yield
    limits.limits_reset()
