import pytest

from tests.tracking.clicks.visits import visit
from tracking.clicks.impressions import impressions_flush
from tracking.models import Click, Impression

pytestmark = pytest.mark.django_db


def _total(offer_id: int, publisher_id: int) -> int:
    return sum(
        Impression.objects.filter(offer_id=offer_id, publisher_id=publisher_id).values_list(
            "count", flat=True
        )
    )


def test_the_pixel_answers_a_one_by_one_gif_and_counts_an_impression(client, link, settings):
    for _ in range(3):
        response = visit(client, f"/i/{link.code}")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
        assert response.content.startswith(b"GIF89a") and len(response.content) < 64
    visit(client, f"/aff_i?offer_id={link.offer_id}&aff_id={link.publisher_id}")
    impressions_flush()
    assert _total(link.offer_id, link.publisher_id) == 4
    assert not Click.objects.exists()  # an impression is not a click


def test_a_flush_retried_after_it_committed_adds_nothing_twice(client, link, settings):
    from tracking.clicks import buffer
    from tracking.clicks.impressions import COUNTS_KEY, FLUSH_PREFIX

    if not settings.REDIS_URL:
        pytest.skip("embedded mode counts directly")
    visit(client, f"/i/{link.code}")
    impressions_flush()
    client_redis = buffer.redis_client()
    # A flush that died after its commit leaves its renamed hash behind, token recorded.
    from tracking.models import ImpressionFlush

    token = ImpressionFlush.objects.get().token
    client_redis.hset(FLUSH_PREFIX + token, f"{0}:{link.offer_id}:{link.publisher_id}", 5)
    visit(client, f"/i/{link.code}")
    impressions_flush()
    assert _total(link.offer_id, link.publisher_id) == 2
    assert not client_redis.exists(FLUSH_PREFIX + token) and not client_redis.exists(COUNTS_KEY)


def test_an_unknown_pixel_is_not_found(client):
    assert visit(client, "/i/doesNotExist9").status_code == 404
