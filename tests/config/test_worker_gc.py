"""Celery worker processes freeze their start-up objects out of the cyclic collector."""

import gc

from celery.signals import worker_process_init, worker_ready

import config.celery  # noqa: F401  (connects the receivers)


def _frozen_after(signal) -> int:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        signal.send(sender=None)
        return gc.get_freeze_count()
    finally:
        gc.unfreeze()


def test_a_prefork_child_freezes_its_start_up_objects():
    assert _frozen_after(worker_process_init) > 1000


def test_a_solo_worker_freezes_its_start_up_objects_when_ready():
    assert _frozen_after(worker_ready) > 1000
