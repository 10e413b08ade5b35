#!/usr/bin/env python3
"""Payout batch benchmark: build, approve, export and pay one batch over 1,000,000 entries.

    .venv/bin/python bench/payouts.py [--entries 1000000] [--publishers 10000]

Starts a throwaway PostgreSQL (scripts/with_services.py: fsync and synchronous_commit off),
migrates, and writes with generate_series, in SQL: 10,000 publishers (one in a hundred with a
minimum payout no one reaches, so they carry over) and 1,000,000 approved-earning ledger
entries of 0.01 to 19.99 USD written 31 to 91 days before the cut-off, so all are past the
30-day hold (PAYOUT_HOLD_DAYS=30) and the batch takes 990,000 of them. The entries are
inserted directly, without conversion rows: `conversion_id` is nullable, and the build reads
only the ledger and publishers.

Then, timed, through the real services: build (set-based INSERT ... SELECT ... GROUP BY),
approve (a second finance user), export (the standard CSV), mark paid (one payment entry per
line), and a second build over the same ledger (nothing left to take: the cost of skipping
entries already in batches). The totals are checked against sums taken straight from SQL.
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from with_services import throwaway_postgres  # noqa: E402


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return f"{os.cpu_count()} cores ({model}), load before run {load[0]:.2f}"


def seed(entries: int, publishers: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO affiliates_publisher (name, status, payout_currency, minimum_payout,
                payout_method, payout_details, hold_days, created_at, updated_at)
            SELECT 'Publisher ' || i, 'active', 'USD',
                CASE WHEN i %% 100 = 0 THEN 1000000 ELSE 50 END,
                CASE WHEN i %% 2 = 0 THEN 'paypal' ELSE 'wise' END,
                jsonb_build_object('email', 'pub' || i || '@pub.example'),
                NULL, now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [publishers],
        )
        cursor.execute("SELECT min(id) FROM affiliates_publisher")
        first = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO payouts_ledgerentry (publisher_id, currency, kind, amount,
                idempotency_key, reason, created_at)
            SELECT %s + (i %% %s), 'USD', 'earning', (1 + (i * 7919) %% 1999) / 100.0,
                'bench:' || i, '',
                now() - interval '31 days' - interval '60 days' * ((i * 104729) %% 1000) / 1000.0
            FROM generate_series(1::bigint, %s) AS i
            """,
            [first, publishers, entries],
        )
        cursor.execute("ANALYZE")


def timed(label: str, results: dict, call):
    started = time.perf_counter()
    value = call()
    results[label] = time.perf_counter() - started
    log(f"{label}: {results[label]:.2f} s")
    return value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--publishers", type=int, default=10_000)
    args = parser.parse_args()
    log(machine())
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="affnet-bench-"))
        os.environ["DATABASE_URL"] = stack.enter_context(throwaway_postgres(Path(workdir)))
        os.environ.pop("REDIS_URL", None)
        os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
        os.environ.setdefault(
            "CALLBACK_SECRET_KEYS", "YmVuY2gtb25seS1jYWxsYmFjay1rZXkteHh4eHh4eHg="
        )
        os.environ["PAYOUT_HOLD_DAYS"] = "30"
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from accounts.models import Role, User
        from core.errors import DomainError
        from payouts.models import PayoutBatch
        from payouts.selectors import payout_batch_digest
        from payouts.services import (
            payout_batch_approve,
            payout_batch_build,
            payout_batch_export,
            payout_batch_mark_paid,
        )

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        seed(args.entries, args.publishers)
        log(
            f"seeded {args.entries} entries, {args.publishers} publishers "
            f"in {time.perf_counter() - started:.1f} s"
        )
        alice = User.objects.create(username="alice", role=Role.FINANCE)
        bob = User.objects.create(username="bob", role=Role.FINANCE)

        results: dict[str, float] = {}
        batch = timed("build", results, lambda: payout_batch_build(currency="USD", built_by=alice))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT count(*), sum(e.amount) FROM payouts_ledgerentry e
                JOIN affiliates_publisher p ON p.id = e.publisher_id
                WHERE e.created_at < %s - interval '30 days' AND p.minimum_payout < 1000000
                """,
                [batch.cut_off],
            )
            expected_entries, expected_total = cursor.fetchone()
        got = (batch.entry_count, batch.total)
        assert got == (expected_entries, Decimal(expected_total)), (
            got,
            expected_entries,
            expected_total,
        )
        log(
            f"batch {batch.id}: {batch.line_count} lines, {batch.entry_count} entries, "
            f"{batch.total} USD"
        )
        # The approver names the digest of the lines shown (computing it is part of approving).
        timed(
            "approve",
            results,
            lambda: payout_batch_approve(
                batch_id=batch.id,
                approved_by=bob,
                digest=payout_batch_digest(batch_id=batch.id),
            ),
        )
        _, text = timed(
            "export (standard CSV)",
            results,
            lambda: payout_batch_export(
                batch_id=batch.id, exported_by=alice, export_format="standard"
            ),
        )
        assert len(text.splitlines()) == batch.line_count + 1
        timed("mark paid", results, lambda: payout_batch_mark_paid(batch_id=batch.id, paid_by=bob))
        assert PayoutBatch.objects.get(id=batch.id).status == "paid"
        with connection.cursor() as cursor:
            cursor.execute("SELECT sum(amount) FROM payouts_ledgerentry WHERE kind = 'payment'")
            assert cursor.fetchone()[0] == -batch.total

        def build_again():
            try:
                return payout_batch_build(currency="USD", built_by=alice)
            except DomainError as refused:  # nothing_to_pay is the expected answer
                return refused

        again = timed("second build (nothing left)", results, build_again)
        log(f"second build: {getattr(again, 'code', again)}")
        print(
            " | ".join(f"{label} {seconds:.2f} s" for label, seconds in results.items())
            + f" ({args.entries} entries, {args.publishers} publishers, {batch.line_count} lines)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
