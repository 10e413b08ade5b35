import pytest
from rest_framework.test import APIClient

from affiliates.keys import api_key_create
from tests import factories


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Factories set passwords on every user; PBKDF2's real cost would dominate the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def payable_without_period_close(settings) -> None:
    """Most tests pay money earned today, in a month nobody can close yet; the tests of period
    close (tests/payouts/test_period_close.py) turn PAYABLE_AFTER_CLOSE_DAYS back on."""
    settings.PAYABLE_AFTER_CLOSE_DAYS = None


@pytest.fixture(scope="session")
def _media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def media_in_a_temporary_directory(settings, _media_dir) -> None:
    """Uploaded documents (tax forms) are written by the storage API, never into var/."""
    settings.MEDIA_ROOT = str(_media_dir)


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


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker (solo pool, in a thread) consuming every queue on the real broker.

    Needs `transactional_db`: the worker runs in another thread with its own connection, so it
    must see committed rows. Queues are purged first so a previous test's leftovers do not run.
    """
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from config.celery import app

    queues = settings.CELERY_ALL_QUEUES.split(",")
    with app.connection_for_write() as conn:
        for queue in queues:
            conn.default_channel.queue_purge(queue)
    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=30, queues=queues
    ) as worker:
        yield worker
