"""Concurrent callers and concurrent workers: over real HTTP (a live server) and with several
attribution batches racing on their own database connections."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests
from django.db import connection

from offers.models import Cap
from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import SECRET, world_build
from tracking.attribution.services import inbox_batch_attribute
from tracking.models import CallbackInbox, Conversion

pytestmark = pytest.mark.django_db(transaction=True)


def _drain_in_threads(*, threads: int, batch: int) -> None:
    """Run attribution from several threads at once, each on its own connection, until empty."""
    start = threading.Barrier(threads)

    def work() -> None:
        try:
            start.wait()
            while inbox_batch_attribute(limit=batch).claimed:
                pass
        finally:
            connection.close()

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(work) for _ in range(threads)]:
            future.result()


def test_100_identical_callbacks_from_20_clients_make_1_conversion_and_1_ledger_entry(
    live_server,
):
    world = world_build()
    params = {"click_id": world.click.click_id, "amount": "25", "txn_id": "SAME", "token": SECRET}

    def send(_: int) -> int:
        with requests.Session() as session:
            return session.get(f"{live_server.url}/postback", params=params, timeout=30).status_code

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(send, range(100)))
    assert codes == [200] * 100
    assert CallbackInbox.objects.filter(state="received").count() == 100

    _drain_in_threads(threads=4, batch=7)

    assert Conversion.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    results = list(CallbackInbox.objects.values_list("result", flat=True))
    assert results.count("approved") == 1
    assert results.count("duplicate_txn") == 99


def _send_same_txn_id_twice(live_server) -> tuple[str, str]:
    """Two callbacks, 10 then 500, on two clicks under one advertiser txn id."""
    world = world_build()
    second = world.new_click()
    sent = ((world.click.click_id, "10"), (second.click_id, "500"))
    for click_id, amount in sent:
        response = requests.get(
            f"{live_server.url}/postback",
            params={"click_id": click_id, "amount": amount, "txn_id": "T", "token": SECRET},
            timeout=30,
        )
        assert response.status_code == 200
    return world.click.click_id, second.click_id


@pytest.mark.parametrize("batch", [1, 10])
def test_one_worker_keeps_the_first_received_of_a_reused_txn_id(live_server, batch):
    first, second = _send_same_txn_id_twice(live_server)
    _drain_in_threads(threads=1, batch=batch)
    conversion = Conversion.objects.get()
    assert (conversion.click_id, conversion.sale_amount) == (first, Decimal("10"))
    duplicate = CallbackInbox.objects.get(click_id=second)
    assert (duplicate.state, duplicate.result) == ("processed", "duplicate_txn")
    assert duplicate.params["amount"] == "500"


def test_two_racing_workers_make_one_conversion_of_a_reused_txn_id(live_server):
    # Each worker claims one row; whichever commits first wins (no ordering across workers),
    # and the loser is kept as a duplicate with its own amount, never merged into the winner.
    first, second = _send_same_txn_id_twice(live_server)
    _drain_in_threads(threads=2, batch=1)
    conversion = Conversion.objects.get()
    amounts = {first: "10", second: "500"}
    assert conversion.sale_amount == Decimal(amounts[conversion.click_id])
    assert LedgerEntry.objects.get().conversion_id == conversion.pk
    loser = CallbackInbox.objects.exclude(click_id=conversion.click_id).get()
    assert (loser.state, loser.result) == ("processed", "duplicate_txn")
    assert loser.params["amount"] == amounts[loser.click_id]


def test_a_cap_of_10_against_50_concurrent_callbacks_approves_exactly_10(live_server):
    """50 senders released at once by a barrier, over real HTTP, while 5 attribution workers
    drain the inbox as the callbacks land: the cap's lock and count hold under both."""
    world = world_build()
    Cap.objects.create(offer=world.offer, limit=10, period="day", action="reject")
    clicks = [world.new_click() for _ in range(50)]
    start = threading.Barrier(50 + 5)
    all_sent = threading.Event()
    spans: list[tuple[float, float]] = []

    def send(click_id: str) -> int:
        with requests.Session() as session:
            start.wait()
            began = time.monotonic()
            response = session.get(
                f"{live_server.url}/postback",
                params={"click_id": click_id, "token": SECRET},
                timeout=60,
            )
            spans.append((began, time.monotonic()))
            return response.status_code

    def attribute() -> None:
        try:
            start.wait()
            while True:
                finished = all_sent.is_set()
                if not inbox_batch_attribute(limit=3).claimed:
                    if finished:
                        return
                    time.sleep(0.01)
        finally:
            connection.close()

    with ThreadPoolExecutor(5) as workers, ThreadPoolExecutor(50) as senders:
        drains = [workers.submit(attribute) for _ in range(5)]
        codes = list(senders.map(send, [click.click_id for click in clicks]))
        all_sent.set()
        for drain in drains:
            drain.result()

    assert codes == [200] * 50
    # They were in flight together, not one after another.
    most_at_once = max(sum(1 for b, e in spans if b <= began < e) for began, _ in spans)
    assert most_at_once >= 5, most_at_once
    assert CallbackInbox.objects.filter(state="processed").count() == 50
    assert Conversion.objects.filter(status="approved").count() == 10
    assert Conversion.objects.filter(status="rejected", reject_reason="cap_reached").count() == 40
    assert LedgerEntry.objects.count() == 10
