import pytest

from tests import factories
from tracking.clicks import buffer, resolve


def _clear_redis(settings) -> None:
    client = buffer.redis_client()
    if client is None:
        return
    keys = [
        *client.scan_iter(match="*affnet:*", count=1000),
        *client.scan_iter(match=f"{settings.CLICK_STREAM_KEY}*", count=1000),
        *client.scan_iter(match="*cap:*", count=1000),
    ]
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def fresh_click_state(settings):
    """Each test starts with no cached link snapshots, cap flags, or buffered clicks."""
    from django.core.cache import cache

    resolve._local.clear()
    _clear_redis(settings)
    if not settings.REDIS_URL:
        cache.clear()
    yield
    resolve._local.clear()


@pytest.fixture
def offer(db):
    return factories.OfferFactory(
        landing_url="https://shop.example/land?cid={click_id}&s1={sub1}&src={source}",
        fallback_url="https://fallback.example/sorry?cid={click_id}",
    )


@pytest.fixture
def publisher(db):
    return factories.PublisherFactory()


@pytest.fixture
def link(offer, publisher):
    return factories.TrackingLinkFactory(offer=offer, publisher=publisher)
