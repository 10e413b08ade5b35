#!/usr/bin/env python3
"""Payout builds as the ledger grows: does a build cost what is new since the last one?

    .venv/bin/python bench/payout_build.py [--entries 1000000] [--publishers 10000]
        [--more 10000] [--profile DIR]

Starts its own throwaway PostgreSQL and Redis (scripts/with_services.py), migrates, and writes
in SQL (generate_series, through the ledger's append-only rules: inserting is allowed):
`--publishers` publishers (one in a hundred with a minimum payout no one reaches, so their money
carries over; one in two hundred whose payout details were never confirmed, so they are held)
and `--entries` USD ledger entries plus a quarter as many in EUR (the other currency must cost
the USD build nothing), one in fifty a reversal, written in id order from 91 to 5 days ago (so
the last 30 days before the first cut-off, about a third of the entries, are inside the hold).

Then, timed, through the real service (`payout_batch_build`, USD, PAYOUT_HOLD_DAYS=30,
PAYABLE_AFTER_CLOSE_DAYS off so that no accounting period need be seeded):
  (a) a build over the 1 M entries, cut off 5 days ago;
  (b) a second build with nothing new (the expected answer is nothing_to_pay);
  (c) a build after `--more` new entries (written in the last 5 days, so inside the hold but
      for their reversals), cut off now: entries whose hold ended in the 5 days between the
      two cut-offs are due too.
Each prints wall time and CPU per unit of work from the process trees (this process, and
PostgreSQL's backends), and is checked: every batch total equals the sum of the entries its
lines claim, each line the sum of its own, and a from-scratch recomputation over the whole
ledger (the pre-incremental build's rules, in one query) finds nothing more a build could pay
at that cut-off: nothing lost, and the inclusion table's key (the entry) forbids doubling.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clicks import cpu_by_component, find_postgres_pid, in_process_services, machine  # noqa: E402


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


PUBLISHERS = """
INSERT INTO affiliates_publisher (name, status, payout_currency, minimum_payout, payout_method,
    payout_details, payout_details_changed_at, hold_days, created_at, updated_at)
SELECT 'Publisher ' || i, 'active', 'USD',
    CASE WHEN i % 100 = 0 THEN 1000000 ELSE 50 END,
    CASE WHEN i % 2 = 0 THEN 'paypal' ELSE 'wise' END,
    jsonb_build_object('email', 'pub' || i || '@pub.example'),
    CASE WHEN i % 200 = 7 THEN NULL ELSE now() - interval '60 days' END,
    NULL, now(), now()
FROM generate_series(1, {publishers}) AS i
"""

# Entry i: publisher first + (i / 3) % publishers; USD unless i % 5 = 0 (EUR); a reversal one
# in 50. Written in id order, as an append-only ledger is: entry `start` 91 days before the seed,
# the last one 5 days before (the `at` span is given per call).
ENTRIES = """
INSERT INTO payouts_ledgerentry (publisher_id, currency, kind, amount, idempotency_key, reason,
    created_at)
SELECT {first} + ((i / 3) % {publishers}),
    CASE WHEN i % 5 = 0 THEN 'EUR' ELSE 'USD' END,
    CASE WHEN i % 50 = 3 THEN 'reversal' ELSE 'earning' END,
    CASE WHEN i % 50 = 3 THEN -1 ELSE 1 END * (1 + (i * 7919) % 1999) / 100.0,
    'bench:' || i, '',
    now() - interval '1 day' * ({oldest} - ({oldest} - {newest}) * (i - {start})::float / {count})
FROM generate_series({start}::bigint, {start} + {count} - 1) AS i
"""

# What a build from scratch (every unbatched entry of the currency, the rules of
# payouts/services/build.py before it was incremental) would still pay at this cut-off.
LEFT_TO_PAY = """
SELECT count(*), COALESCE(sum(amount), 0) FROM (
    SELECT e.publisher_id, sum(e.amount) AS amount
    FROM payouts_ledgerentry e JOIN affiliates_publisher p ON p.id = e.publisher_id
    WHERE e.currency = %(currency)s AND e.kind <> 'payment' AND e.created_at < %(cut_off)s
      AND (NOT (e.amount > 0 AND e.kind = 'earning')
           OR e.created_at < %(cut_off)s - make_interval(days => COALESCE(p.hold_days, 30)))
      AND NOT EXISTS (SELECT 1 FROM payouts_payoutlineentry i WHERE i.entry_id = e.id)
      AND p.status NOT IN ('suspended', 'banned') AND p.payout_details_changed_at IS NOT NULL
    GROUP BY e.publisher_id, p.minimum_payout
    HAVING sum(e.amount) > 0 AND sum(e.amount) >= p.minimum_payout
) due
"""

# Every line with the sum and count of the entries it claims (one grouped join).
CLAIMS = """
SELECT l.batch_id, l.id, l.amount, sum(e.amount), count(*)
FROM payouts_payoutbatchline l
JOIN payouts_payoutlineentry i ON i.line_id = l.id
JOIN payouts_ledgerentry e ON e.id = i.entry_id
GROUP BY l.batch_id, l.id, l.amount
"""


def check(cursor, currency: str, cut_off) -> str:
    """Every batch total is its lines' sum, each line its entries' sum; nothing is left that a
    build from scratch would pay (the inclusion's key, the entry, forbids doubling)."""
    from payouts.models import PayoutBatch

    cursor.execute(CLAIMS)
    batches: dict[int, list] = {}
    for batch_id, line_id, amount, claimed, entries in cursor.fetchall():
        assert amount == claimed, (batch_id, line_id, amount, claimed)
        totals = batches.setdefault(batch_id, [Decimal(0), 0, 0])
        totals[0] += amount
        totals[1] += 1
        totals[2] += entries
    for batch in PayoutBatch.objects.all():
        got = batches.get(batch.id, [Decimal(0), 0, 0])
        assert [batch.total, batch.line_count, batch.entry_count] == got, (batch.id, got)
    cursor.execute(LEFT_TO_PAY, {"currency": currency, "cut_off": cut_off})
    due, amount = cursor.fetchone()
    assert due == 0, f"a build from scratch would still pay {due} publishers {amount} {currency}"
    return "checked: totals = entries claimed, nothing left a full build would pay"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000, help="USD entries")
    parser.add_argument("--publishers", type=int, default=10_000)
    parser.add_argument("--more", type=int, default=10_000, help="USD entries before build (c)")
    parser.add_argument("--profile", type=Path, help="py-spy the build process into this folder")
    parser.add_argument(
        "--explain", type=float, metavar="MS", help="print plans (auto_explain) slower than MS"
    )
    args = parser.parse_args()
    header = machine()
    with in_process_services(
        "affnet-payout-build-", PAYOUT_HOLD_DAYS="30", PAYABLE_AFTER_CLOSE_DAYS="off"
    ):
        return run(args, header)


def run(args, header: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import Role, User
    from core.errors import DomainError
    from payouts.services import payout_batch_build

    call_command("migrate", verbosity=0, skip_checks=True)
    # Every fifth entry is EUR: write enough for `--entries` USD ones.
    total_entries = args.entries * 5 // 4
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(PUBLISHERS.format(publishers=args.publishers))
        cursor.execute("SELECT min(id) FROM affiliates_publisher")
        first = cursor.fetchone()[0]
        cursor.execute(
            ENTRIES.format(
                first=first,
                publishers=args.publishers,
                start=1,
                count=total_entries,
                oldest=91,
                newest=5,
            )
        )
        cursor.execute("VACUUM ANALYZE")
    log(
        f"seeded {total_entries} entries ({args.entries} USD), {args.publishers} publishers "
        f"in {time.perf_counter() - started:.1f} s"
    )
    alice = User.objects.create(username="alice", role=Role.FINANCE)
    postgres = {"postgres": find_postgres_pid()}
    spy = None
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    def build(label: str, cut_off, unit: int, unit_name: str):
        nonlocal spy
        if args.profile:
            out = args.profile / f"{label.split()[0].strip('()')}.svg"
            spy = subprocess.Popen(
                ["py-spy", "record", "-r", "200", "-o", str(out), "-p", str(os.getpid())],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        cpu_before, own_before = cpu_by_component(postgres), os.times()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            try:
                result = payout_batch_build(currency="USD", cut_off=cut_off, built_by=alice)
            except DomainError as refused:
                result = refused
        seconds = time.perf_counter() - started
        cpu_after, own_after = cpu_by_component(postgres), os.times()
        if spy is not None:
            spy.send_signal(2)
            spy.wait()
        own = (own_after.user + own_after.system) - (own_before.user + own_before.system)
        pg = cpu_after["postgres"] - cpu_before["postgres"]
        what = (
            f"batch {result.id}: {result.line_count} lines, {result.entry_count} entries, "
            f"{result.total} USD"
            if not isinstance(result, DomainError)
            else f"refused {result.code}"
        )
        per = (
            f"; CPU per {unit_name}: {(own + pg) * 1e6 / unit:,.2f} us "
            f"(python {own * 1e6 / unit:,.2f}, postgres {pg * 1e6 / unit:,.2f})"
            if unit
            else ""
        )
        print(
            f"{label}: {seconds * 1000:,.1f} ms wall, CPU python {own * 1000:,.1f} ms + "
            f"postgres {pg * 1000:,.1f} ms, {len(queries)} queries; {what}{per}",
            flush=True,
        )
        return result

    if args.explain is not None:
        # EXPLAIN (ANALYZE, BUFFERS) of every statement slower than --explain ms, triggers' too.
        with connection.cursor() as cursor:
            cursor.execute("LOAD 'auto_explain'")
            for name, value in (
                ("log_min_duration", f"{args.explain}ms"),
                ("log_analyze", "on"),
                ("log_buffers", "on"),
                ("log_nested_statements", "on"),
                ("log_level", "notice"),
            ):
                cursor.execute(f"SET auto_explain.{name} = '{value}'")
        connection.connection.add_notice_handler(lambda notice: print(notice.message_primary))

    now = timezone.now()
    first_cut = now - timedelta(days=5)
    print(header)
    print(
        f"{args.entries} USD entries (+{total_entries - args.entries} EUR), "
        f"{args.publishers} publishers"
    )
    with connection.cursor() as cursor:
        a = build("(a) first build", first_cut, args.entries, "USD entry in the ledger")
        print(check(cursor, "USD", first_cut))
        build("(b) nothing new", first_cut, 0, "")
        print(check(cursor, "USD", first_cut))
        cursor.execute("SELECT max(id) FROM payouts_ledgerentry")
        start = cursor.fetchone()[0] + 1
        # `--more` USD entries, written in the last 5 days (every fifth i is EUR: 5/4 as many).
        more = args.more * 5 // 4
        cursor.execute(
            ENTRIES.format(
                first=first,
                publishers=args.publishers,
                start=start,
                count=more,
                oldest=5,
                newest=0,
            )
        )
        c = build("(c) after new entries", timezone.now(), args.more, "new USD entry")
        print(check(cursor, "USD", c.cut_off if not isinstance(c, DomainError) else now))
        cursor.execute(
            "SELECT count(*), sum(amount) FROM payouts_ledgerentry WHERE currency = 'USD'"
        )
        count, amount = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), COALESCE(sum(e.amount), 0) FROM payouts_payoutlineentry i"
            " JOIN payouts_ledgerentry e ON e.id = i.entry_id"
        )
        taken, taken_sum = cursor.fetchone()
        batches = Decimal(a.total) + (Decimal(c.total) if not isinstance(c, DomainError) else 0)
        assert taken_sum == batches, (taken_sum, batches)
        print(
            f"USD ledger: {count} entries, {amount}; in batches: {taken} entries, {taken_sum} "
            f"(= the batches' totals); carried: {count - taken} entries"
        )
    with contextlib.suppress(Exception):
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
