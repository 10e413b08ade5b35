"""API keys are rate-limited per key, across web nodes (the counters live in Redis)."""

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from tests.conftest import client_for
from tests.factories import PublisherUserFactory


class Ping(APIView):
    """A minimal authenticated endpoint with the project's default throttles."""

    def get(self, request):
        return Response({"pong": True})


urlpatterns = [path("ping", Ping.as_view())]

pytestmark = pytest.mark.urls("tests.deploy.test_api_key_rate_limit")


@override_settings(API_KEY_THROTTLE_RATE="3/min")
def test_a_key_over_its_rate_is_answered_429_in_the_error_shape(db):
    client = client_for(PublisherUserFactory())
    assert [client.get("/ping").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/ping")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response


@override_settings(API_KEY_THROTTLE_RATE="3/min")
def test_another_key_of_the_same_user_keeps_its_own_allowance(db):
    user = PublisherUserFactory()
    first, second = client_for(user), client_for(user)
    for _ in range(3):
        first.get("/ping")
    assert first.get("/ping").status_code == 429
    assert second.get("/ping").status_code == 200


def test_the_default_rate_is_generous_enough_for_normal_use(db):
    client = client_for(PublisherUserFactory())
    assert all(client.get("/ping").status_code == 200 for _ in range(20))
