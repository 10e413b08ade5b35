"""A callback is committed before the attribution kick goes out: a kick that cannot reach Redis
(a restart, a failover) leaves the answer a 200 and the row for the sweep."""

import pytest
from django.test import Client

from tests.tracking.conversions.conftest import SECRET, drain, world_build
from tracking.attribution import queue
from tracking.models import CallbackInbox, Conversion

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cache_unreachable(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    queue._last_kick = 0.0  # this process's throttle would skip the kick


def test_an_unsendable_kick_still_answers_200_and_the_row_is_attributed_later(cache_unreachable):
    world = world_build()
    response = Client().get(
        "/postback", {"click_id": world.click.click_id, "txn_id": "K-1", "token": SECRET}
    )
    assert response.status_code == 200, response.content
    inbox = CallbackInbox.objects.get(id=response.json()["id"])
    assert inbox.state == "received"
    drain()
    assert Conversion.objects.get(inbox=inbox).status == "approved"
