"""A web node started (or restarted by its supervisor) while Redis is away or still loading its
data serves its visitors all the same: the first click builds the buffer's client without
waiting for Redis to answer the eviction-policy check, and the click is written directly."""

from urllib.parse import parse_qs, urlsplit

import pytest

from scripts.with_services import free_port
from tests.tracking.clicks.visits import visit
from tracking.clicks import buffer
from tracking.models import Click

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def redis_away(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    buffer.redis_client_reset()
    # Only the click buffer's Redis is away here; Django's cache keeps the test run's Redis.
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    yield
    buffer.redis_client_reset()


def test_the_first_click_of_a_node_started_while_redis_is_away_is_redirected(
    client, link, redis_away
):
    response = visit(client, f"/c/{link.code}?sub1=first-after-start")
    assert response.status_code == 302
    click_id = parse_qs(urlsplit(response["Location"]).query)["cid"][0]
    assert Click.objects.get(click_id=click_id).sub1 == "first-after-start"
    # The check is still owed: it runs once Redis answers.
    assert buffer._policy_unchecked
