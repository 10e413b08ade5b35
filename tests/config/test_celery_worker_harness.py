"""The test harness runs real Celery tasks through the real broker."""

import time

from celery import shared_task

from accounts.models import User


@shared_task(name="tests.create_user")
def create_user(username: str) -> None:
    User.objects.create(username=username, role="manager")


def test_a_task_sent_to_the_broker_is_run_by_the_worker(celery_worker_thread):
    create_user.delay("made-by-worker")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if User.objects.filter(username="made-by-worker").exists():
            break
        time.sleep(0.05)
    assert User.objects.filter(username="made-by-worker").exists()
