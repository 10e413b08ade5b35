"""A worker killed in the middle of a batch loses nothing and counts nothing twice.

A real `celery worker` process attributes a backlog and is SIGKILLed while busy; its open
transaction dies with it. A second worker (the periodic sweep) then finishes the backlog.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from ulid import ULID

from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import world_build
from tracking.models import CallbackInbox, Click, Conversion
from tracking.tasks.attribution import attribution_sweep

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]


def test_a_worker_killed_mid_batch_leaves_every_row_processed_once_in_effect():
    world = world_build()
    rows = 1500
    # The endpoint is tested elsewhere: write the backlog as it would have stored it. The clicks
    # are an hour old: a thousand conversions seconds after their clicks would be held by the
    # fast_conversion_share fraud rule (fraud/traffic.py), and this test is about a killed
    # worker, not about fraud.
    clicked_at = timezone.now() - timedelta(hours=1)
    clicks = Click.objects.bulk_create(
        [
            Click(
                click_id=str(ULID()),
                created_at=clicked_at,
                offer_id=world.offer.id,
                publisher_id=world.publisher.id,
            )
            for _ in range(1000)
        ]
    )
    CallbackInbox.objects.bulk_create(
        [
            CallbackInbox(
                method="GET",
                path="/postback",
                advertiser=world.advertiser,
                click_id=clicks[n % 1000].click_id,
                params={"click_id": clicks[n % 1000].click_id, "txn_id": f"T{n % 1200}"},
            )
            for n in range(rows)
        ]
    )
    assert CallbackInbox.objects.filter(state="received").count() == rows

    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "ATTRIBUTION_BATCH_SIZE": "100",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery",
            "worker",
            "--pool=solo",
            "-Q",
            "attribution",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from config.celery import app
        from tracking.tasks.attribution import attribution_drain

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("attribution")
        attribution_drain.delay()
        # Kill at the first committed batch, whenever it comes: a loaded machine may take a
        # minute to start the worker, but once it commits a batch it is straight into the next
        # one, with more than a thousand rows left.
        deadline = time.monotonic() + 240
        killed_after = 0
        while not killed_after and time.monotonic() < deadline and worker.poll() is None:
            killed_after = CallbackInbox.objects.filter(state="processed").count()
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert killed_after > 0, "the worker never committed a batch"
    processed = CallbackInbox.objects.filter(state="processed").count()
    assert processed < rows, "the kill should land while work is left"

    # The periodic sweep (here run in this process) takes every row the dead worker left; it
    # hands over after DRAIN_SECONDS, so it runs again until it finds nothing, as beat would.
    for _ in range(20):
        if not attribution_sweep():
            break
    connection.close()

    assert not CallbackInbox.objects.filter(state="received").exists()
    converted = CallbackInbox.objects.filter(result="approved").count()
    assert converted == Conversion.objects.filter(status="approved").count()
    assert Conversion.objects.count() == converted
    assert LedgerEntry.objects.count() == converted
    # Every txn id converted once; the clicks reused for a second txn did not convert again.
    assert Conversion.objects.values("advertiser_txn_id").distinct().count() == converted
    assert set(CallbackInbox.objects.values_list("result", flat=True)) <= {
        "approved",
        "duplicate_txn",
        "duplicate_conversion",
    }


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        if db.get("PASSWORD")
        else f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
