"""Redis going away under a running web process (a restart, a failover): the visitor is still
redirected, the link resolves from PostgreSQL and the click is written directly."""

from urllib.parse import parse_qs, urlsplit

import pytest
import redis

from tests.tracking.clicks.visits import visit
from tracking.clicks import buffer
from tracking.clicks.resp import GroupCommit, RespClient, RespScript
from tracking.models import Click

NOTHING_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_gone(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    buffer.redis_client()  # made while Redis was up, as in a running web process
    buffer._client = redis.Redis.from_url(NOTHING_LISTENS, socket_connect_timeout=0.5)
    buffer._hot = RespClient(NOTHING_LISTENS)
    buffer._append = RespScript(GroupCommit(buffer._hot), buffer.APPEND_LUA)
    yield
    buffer._client = buffer._hot = buffer._append = None
    buffer.redis_client_reset()


def test_a_click_while_redis_is_down_is_redirected_and_written_directly(client, link, redis_gone):
    response = visit(client, f"/c/{link.code}?sub1=during-restart")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.netloc == "shop.example"
    click_id = parse_qs(location.query)["cid"][0]
    click = Click.objects.get(click_id=click_id)
    assert click.sub1 == "during-restart"


def test_an_unknown_link_while_redis_is_down_is_still_a_404(client, link, redis_gone):
    assert visit(client, "/c/NoSuchLink0").status_code == 404
    assert not Click.objects.exists()
