import pytest
from rest_framework.test import APIClient

from affiliates.keys import api_key_create
from tests import factories


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    """An API client authenticated by a fresh bearer key of `user`."""
    client = APIClient()
    minted = api_key_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {minted.raw_key}")
    return client


@pytest.fixture
def manager(db):
    return factories.ManagerFactory()


@pytest.fixture
def manager_client(manager) -> APIClient:
    return client_for(manager)
