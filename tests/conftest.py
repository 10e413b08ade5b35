import os
from collections.abc import Iterator
from typing import TypeVar

import pytest
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.two_factor import two_factor_required
from affiliates.keys import api_key_create
from tests import factories
from tests.xdist_services import (  # noqa: F401  (pytest-xdist hooks: services per worker)
    pytest_unconfigure,
    pytest_xdist_make_scheduler,
    pytest_xdist_setupnodes,
)

C = TypeVar("C", bound=Client)


def pytest_ignore_collect(collection_path, config) -> bool | None:
    """The embedded run of `make test` (`-m sqlite`, no PostgreSQL) imports only the test files
    that mark tests `sqlite`: importing the other two hundred only to deselect every test in them
    took a third of that run (the in-suite schemathesis file alone builds every role's schema and
    908 items). A file marks its tests with `pytest.mark.sqlite`, so its text names the mark."""
    embedded = not os.environ.get("DATABASE_URL", "").startswith("postgres")
    name = collection_path.name
    if embedded and config.option.markexpr == "sqlite" and name.startswith("test_"):
        return (name.endswith(".py") and "mark.sqlite" not in collection_path.read_text()) or None
    return None


@pytest.fixture(autouse=True, scope="session")
def suite_settings(tmp_path_factory) -> Iterator[None]:
    """Settings every test runs with, set once for the session (a test's own `settings` changes
    are undone back to these), so no test pays for them again:
    - Factories set passwords on every user; PBKDF2's real cost would dominate the suite. So
      rows built once per module (a test file's world) hash fast too.
    - Most tests pay money earned today, in a month nobody can close yet; the tests of period
      close (tests/payouts/test_period_close.py) turn PAYABLE_AFTER_CLOSE_DAYS back on.
    - Uploaded documents (tax forms) are written by the storage API, never into var/."""
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        PAYABLE_AFTER_CLOSE_DAYS=None,
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
    ):
        yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    """An API client authenticated by a fresh bearer key of `user`."""
    client = APIClient()
    minted = api_key_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {minted.raw_key}")
    return client


def two_factor_device(user) -> TOTPDevice:
    """The user's confirmed authenticator (made once)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test app", confirmed=True)


def signed_in(client: C, user, *, verified: bool = True) -> C:
    """`client` with a session of `user`, for the pages and the admin.

    Finance users and superusers open no page (nor the admin) before giving a two-factor code;
    unless `verified=False`, their session is marked as having given one, as django-otp does
    after a code (the device's id in the session)."""
    client.force_login(user)
    if verified and two_factor_required(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = two_factor_device(user).persistent_id
        session.save()
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
