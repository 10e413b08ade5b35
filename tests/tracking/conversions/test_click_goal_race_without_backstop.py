"""Two attribution workers on the same click and goal, with the database's backstop (the partial
unique index `conversion_once_per_click_and_goal`) removed: the application's own guard (the
per-click lock of tracking/attribution/locks.py, taken before `seen_click_goal` is read) still
makes one conversion.

The race is forced, not hoped for: a third connection holds a SHARE lock on the conversion
table, so the first worker claims its row, takes the click's lock, reads what is converted
(nothing yet), decides, and waits at its INSERT; the second claims its row and waits for the
click's lock (without that lock it would read "nothing yet" too and wait at its INSERT). The
table lock is released only once both are waiting.
"""

import threading
import time

import psycopg
import pytest
from django.db import connection

from payouts.models import LedgerEntry
from tests.tracking.conversions.conftest import SECRET, world_build
from tracking.attribution.services import inbox_batch_attribute
from tracking.models import CallbackInbox, Conversion

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="forces the race with pg locks"),
]

CONSTRAINT = "conversion_once_per_click_and_goal"


def _connect() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        host=db["HOST"],
        port=db["PORT"] or None,
        user=db["USER"],
        password=db["PASSWORD"] or None,
    )


@pytest.fixture
def without_the_backstop():
    """Drop the unique index for this test; put it back afterwards, whatever happens."""
    constraint = next(c for c in Conversion._meta.constraints if c.name == CONSTRAINT)
    with connection.schema_editor() as editor:
        editor.remove_constraint(Conversion, constraint)
    try:
        yield
    finally:
        # Rows the index would refuse are set aside (it skips rejected ones); the ledger refuses
        # DELETE, and the test's flush empties every table anyway.
        Conversion.objects.update(status=Conversion.Status.REJECTED)
        with connection.schema_editor() as editor:
            editor.add_constraint(Conversion, constraint)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = %s", [CONSTRAINT])
            assert cursor.fetchone()[0] >= 1, "the unique index was not put back"


def _workers_waiting(probe: psycopg.Connection) -> int:
    """Workers blocked at the conversion table (their INSERT) or at an advisory (click) lock."""
    return probe.execute(
        "SELECT count(DISTINCT l.pid) FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation"
        " WHERE NOT l.granted"
        " AND (c.relname LIKE 'tracking_conversion%%' OR l.locktype = 'advisory')"
    ).fetchone()[0]


def _race_two_workers_on_one_click_and_goal(client) -> tuple[int, int]:
    """Two callbacks of one click and goal, attributed by two workers forced to overlap.
    Returns (conversions of the click, ledger entries)."""
    world = world_build()
    for txn in ("first", "second"):  # no txn-id guard involved: two ids, one click and goal
        response = client.get(
            "/postback", {"click_id": world.click.click_id, "txn_id": txn, "token": SECRET}
        )
        assert response.status_code == 200, response.content
    assert CallbackInbox.objects.filter(state="received").count() == 2

    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            assert inbox_batch_attribute(limit=1).claimed == 1
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    with _connect() as gate, _connect() as probe:
        probe.autocommit = True
        gate.execute("LOCK TABLE tracking_conversion IN SHARE MODE")
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while _workers_waiting(probe) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        both_waited = _workers_waiting(probe) >= 2
        gate.commit()  # release: the first inserts and commits, then the second goes on
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors
    assert both_waited, "the two workers never raced (test harness problem, not a finding)"
    assert CallbackInbox.objects.filter(state="processed").count() == 2
    conversions = Conversion.objects.filter(click_id=world.click.click_id)
    return conversions.exclude(status="rejected").count(), LedgerEntry.objects.count()


def test_with_the_index_two_racing_workers_make_one_conversion(client):
    """The harness forces the race, and the database's backstop wins it."""
    assert _race_two_workers_on_one_click_and_goal(client) == (1, 1)
    results = sorted(CallbackInbox.objects.values_list("result", flat=True))
    assert results == ["approved", "duplicate_conversion"]


def test_two_racing_workers_make_one_conversion_of_a_click_and_goal_without_the_index(
    client, without_the_backstop
):
    """The click's lock alone serializes them: the second sees the first's conversion."""
    assert _race_two_workers_on_one_click_and_goal(client) == (1, 1)
    results = sorted(CallbackInbox.objects.values_list("result", flat=True))
    assert results == ["approved", "duplicate_conversion"]
