#!/usr/bin/env python3
"""A small mutation check over the money modules: does the suite notice when the money rules
are broken on purpose?

Each mutant below is one hand-picked change of the kind a slip makes (an operator swapped, a
boundary shifted by one, a rounding mode changed, a filter dropped), with the tests that
exercise its module. For each, one at a time: apply it to a snapshot of the code, run those
tests (stopping at the first failure), and count it KILLED (some test failed) or SURVIVED (all
passed: no test pins that rule). Nothing is mutated in the checkout: the snapshot is
`git archive HEAD` (or the working tree with --worktree) unpacked in a temporary folder, so
other work in this checkout, and other test runs, never see a mutant.

Why a fixed list and not a mutation tool: mutmut 3 mutates every expression of every function
it is pointed at, which over these modules is hundreds of mutants (most of them in messages and
logging) against database tests that take seconds each; a fixed list of the mutants that would
move money runs in minutes, reads as a specification, and a survivor is a named rule without a
test. Add a mutant when a money rule is added.

    make mutation                      # scripts/with_services.py gives it PostgreSQL and Redis
    python scripts/with_services.py -- python scripts/mutation_check.py --only M10,M32
    python scripts/mutation_check.py --list

Each run empties the Redis database named by REDIS_URL first (the throwaway one that
scripts/with_services.py starts; never point it at a Redis you keep). Mutants marked `sqlite`
run their tests on the embedded SQLite mode (-m sqlite), which has its own SQL for some rules.
Exit status: 0 when every mutant is killed, 1 when one survived, 2 when the unmutated tests
fail (a mutation score means nothing then).
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MONEY = [
    "tests/payouts/test_money_rounding.py",
    "tests/offers/test_terms_compute.py",
    "tests/tracking/conversions/test_payout_arithmetic.py",
]
LEDGER = [
    "tests/payouts/test_batch_build.py",
    "tests/payouts/test_database_guards.py",
    "tests/tracking/conversions/test_batch_ledger_append.py",
    "tests/payouts/test_adjustment_confirmation.py",
]
BUILD = [
    "tests/payouts/test_batch_build.py",
    "tests/payouts/test_held_publishers.py",
    "tests/payouts/test_batch_lifecycle.py",
    "tests/payouts/test_ledger_properties.py",
]
TERMS = [
    "tests/offers/test_terms_compute.py",
    "tests/tracking/conversions/test_payout_arithmetic.py",
]
CAPS = [
    "tests/tracking/conversions/test_cap_boundaries.py",
    "tests/tracking/conversions/test_reason_codes.py",
    "tests/tracking/clicks/test_cap_flags.py",
    "tests/tracking/clicks/test_cap_flag_reopens.py",
]
DECIDE = [
    "tests/tracking/conversions/test_cap_boundaries.py",
    "tests/tracking/conversions/test_cpc_terms_pay_nothing_per_conversion.py",
    "tests/tracking/conversions/test_reason_codes.py",
    "tests/tracking/conversions/test_amount_limits.py",
    "tests/tracking/conversions/test_hold_reasons.py",
    "tests/tracking/conversions/test_payout_arithmetic.py",
    "tests/tracking/conversions/test_a_callback_becomes_a_conversion.py",
]
SQLITE_PAYOUTS = ["tests/payouts"]


@dataclass(frozen=True)
class Mutant:
    id: str
    path: str
    before: str  # must occur exactly once in the file
    after: str
    what: str
    tests: tuple[str, ...]
    sqlite: bool = False


def m(id, path, before, after, what, tests, sqlite=False) -> Mutant:
    return Mutant(id, path, before, after, what, tuple(tests), sqlite)


MUTANTS = [
    # core/money.py: the one rounding rule.
    m(
        "M01",
        "core/money.py",
        "rounding=ROUND_HALF_UP)",
        "rounding=ROUND_HALF_EVEN)",
        "money_round rounds half-even (banker's) instead of half-up",
        MONEY,
    ),
    m(
        "M02",
        "core/money.py",
        "rounding=ROUND_HALF_UP)",
        "rounding=ROUND_DOWN)",
        "money_round truncates",
        MONEY,
    ),
    m(
        "M03",
        "core/money.py",
        "Decimal(1).scaleb(-currency_exponent(currency))",
        "Decimal(1).scaleb(-2)",
        "every currency rounds to cents (JPY, BHD wrong)",
        MONEY,
    ),
    m(
        "M04",
        "core/money.py",
        "    if not isinstance(amount, Decimal):\n        raise TypeError",
        "    if False:\n        raise TypeError",
        "money_round accepts floats",
        MONEY,
    ),
    m(
        "M05",
        "core/money.py",
        "    if shown != amount:\n",
        "    if False:\n",
        "money_str silently rounds an unrounded amount",
        [*MONEY, "tests/payouts/test_held_publishers.py"],
    ),
    # payouts/ledger.py: append-only, idempotent, rounded.
    m(
        "M06",
        "payouts/ledger.py",
        "    if money_round(amount, currency) != amount:\n        raise ValueError",
        "    if False:\n        raise ValueError",
        "ledger_entry_append stores an amount not rounded to the minor unit",
        LEDGER + MONEY,
    ),
    m(
        "M07",
        "payouts/ledger.py",
        "        return existing, False",
        "        return existing, True",
        "a replayed idempotency key reports a new entry",
        [*LEDGER, "tests/payouts/test_batch_lifecycle.py"],
    ),
    m(
        "M08",
        "payouts/ledger.py",
        "        if money_round(entry.amount, entry.currency) != entry.amount:\n            raise",
        "        if False:\n            raise",
        "ledger_entries_append stores unrounded amounts",
        LEDGER,
    ),
    m(
        "M09",
        "payouts/ledger.py",
        "ignore_conflicts=True",
        "ignore_conflicts=False",
        "a batch append with a key already in the ledger fails instead of skipping it",
        LEDGER,
    ),
    # payouts/services/build.py: what a build takes.
    m(
        "M10",
        "payouts/services/build.py",
        "        AND e.kind <> 'payment'\n",
        "",
        "a build takes payments",
        BUILD,
    ),
    m(
        "M11",
        "payouts/services/build.py",
        "WHERE s.amount > 0 AND s.amount >= p.minimum_payout",
        "WHERE s.amount > 0 AND s.amount > p.minimum_payout",
        "a publisher exactly at the minimum payout is carried over (PostgreSQL)",
        BUILD,
    ),
    m(
        "M12",
        "payouts/services/build.py",
        "WHERE s.amount > 0 AND s.amount >= p.minimum_payout",
        "WHERE s.amount >= 0 AND s.amount >= p.minimum_payout",
        "a zero balance makes a line (PostgreSQL)",
        BUILD,
    ),
    m(
        "M13",
        "payouts/services/build.py",
        "        AND e.created_at < %(cut_off)s\n",
        "        AND e.created_at <= %(cut_off)s\n",
        "an entry written at the cut-off is taken",
        BUILD,
    ),
    m(
        "M14",
        "payouts/services/build.py",
        "\n    \" OR (e.kind = 'adjustment' AND e.conversion_id IS NOT NULL))\"",
        '\n    ")"',
        "a raise of a conversion's payout skips the hold",
        BUILD,
    ),
    m(
        "M15",
        "payouts/services/build.py",
        '" - make_interval(days => COALESCE(p.hold_days, %(hold_days)s))"',
        '" - make_interval(days => %(hold_days)s)"',
        "the publisher's own hold days are ignored (PostgreSQL)",
        BUILD,
    ),
    m(
        "M16",
        "payouts/services/build.py",
        "p.status IN ('suspended', 'banned')",
        "p.status IN ('banned')",
        "a suspended publisher is paid",
        BUILD,
    ),
    m(
        "M17",
        "payouts/services/build.py",
        "    if cut_off > now:\n",
        "    if cut_off > now + timedelta(days=1):\n",
        "a cut-off in the future is accepted",
        BUILD,
    ),
    m(
        "M18",
        "payouts/services/build.py",
        "        if batch.line_count == 0:\n",
        "        if batch.line_count < 0:\n",
        "an empty batch is kept",
        BUILD,
    ),
    m(
        "M19",
        "payouts/services/build.py",
        "        HAVING sum(e.amount) > 0 AND sum(e.amount) >= p.minimum_payout\n"
        '        ORDER BY p.id\n    """  # noqa: S608\n    taken_sql',
        "        HAVING sum(e.amount) > 0 AND sum(e.amount) > p.minimum_payout\n"
        '        ORDER BY p.id\n    """  # noqa: S608\n    taken_sql',
        "a publisher exactly at the minimum payout is carried over (SQLite)",
        SQLITE_PAYOUTS,
        True,
    ),
    m(
        "M20",
        "payouts/services/build.py",
        '" < julianday(%(cut_off)s) - COALESCE(p.hold_days, %(hold_days)s)"',
        '" < julianday(%(cut_off)s) - %(hold_days)s"',
        "the publisher's own hold days are ignored (SQLite)",
        SQLITE_PAYOUTS,
        True,
    ),
    # offers/terms.py: what a conversion earns.
    m(
        "M21",
        "offers/terms.py",
        "percent / Decimal(100)",
        "percent / Decimal(10)",
        "a revenue share is a tenth instead of a hundredth",
        TERMS,
    ),
    m(
        "M22",
        "offers/terms.py",
        "Decimal(100)\n    return money_round(total, currency)\n",
        "Decimal(100)\n    return total\n",
        "figures are not rounded",
        TERMS,
    ),
    m(
        "M23",
        "offers/terms.py",
        "        amount=payout_amount,",
        "        amount=revenue_amount,",
        "the payout is computed from the revenue's amount",
        TERMS,
    ),
    m(
        "M24",
        "offers/terms.py",
        "FLAT_KINDS = frozenset({TermsKind.CPA_FLAT, TermsKind.CPA_PLUS_REVSHARE, TermsKind.CPC})",
        "FLAT_KINDS = frozenset({TermsKind.CPA_FLAT, TermsKind.CPC})",
        "CPA + revshare drops its flat part",
        TERMS,
    ),
    m(
        "M25",
        "offers/terms.py",
        "Q(valid_to__gt=at)",
        "Q(valid_to__gte=at)",
        "an override still counts at its valid_to (the end is exclusive)",
        TERMS,
    ),
    m(
        "M26",
        "offers/terms.py",
        "Q(valid_from__lte=at)",
        "Q(valid_from__lt=at)",
        "an override does not count yet at its valid_from",
        TERMS,
    ),
    m(
        "M27",
        "offers/terms.py",
        "        if override.goal_id is not None:\n            return override\n",
        "",
        "an offer-level override beats a goal-level one",
        TERMS,
    ),
    # tracking/caps.py: the redirect's flags.
    m(
        "M28",
        "tracking/caps.py",
        "reached=used >= cap.limit",
        "reached=used > cap.limit",
        "a recount leaves a cap filled exactly open",
        CAPS,
    ),
    m(
        "M29",
        "tracking/caps.py",
        "start = day - timedelta(days=day.weekday())",
        "start = day - timedelta(days=day.weekday() + 1)",
        "weeks start on Sunday",
        CAPS,
    ),
    m(
        "M30",
        "tracking/caps.py",
        "        used = used.filter(created_at__gte=period_start)\n    totals",
        "        used = used.filter(created_at__gt=period_start)\n    totals",
        "a conversion at the period's first instant is not counted",
        CAPS,
    ),
    # tracking/attribution (decide.py and the cap state it uses): money decided per conversion.
    m(
        "M31",
        "tracking/attribution/context.py",
        "return self.payout_total + payout > self.cap.limit",
        "return self.payout_total + payout >= self.cap.limit",
        "a conversion exactly filling a payout cap is refused",
        DECIDE,
    ),
    m(
        "M32",
        "tracking/attribution/context.py",
        "return self.count + 1 > self.cap.limit",
        "return self.count + 1 >= self.cap.limit",
        "the conversion filling a count cap is refused",
        DECIDE,
    ),
    m(
        "M33",
        "tracking/attribution/context.py",
        "self.filled = self.payout_total >= self.cap.limit",
        "self.filled = self.payout_total > self.cap.limit",
        "a payout cap filled exactly leaves the redirect open",
        DECIDE,
    ),
    m(
        "M34",
        "tracking/attribution/context.py",
        "self.filled = self.count >= self.cap.limit",
        "self.filled = self.count > self.cap.limit",
        "a count cap filled exactly leaves the redirect open",
        [*DECIDE, "tests/tracking/clicks/test_cap_flag_reopens.py"],
    ),
    m(
        "M35",
        "tracking/attribution/decide.py",
        "            fields.amount <= limit,",
        "            fields.amount < limit,",
        "a sale exactly at the amount limit is held",
        DECIDE,
    ),
    m(
        "M36",
        "tracking/attribution/decide.py",
        "    if terms.payout_kind == TermsKind.CPC:\n"
        "        payout = money_round(Decimal(0), offer.currency)\n",
        "",
        "a CPC payout is paid again on each conversion",
        [*DECIDE, "tests/tracking/clicks/test_cpc_money_in_reports.py"],
    ),
    m(
        "M37",
        "tracking/attribution/decide.py",
        "            if state.cap.action == Cap.Action.HOLD:\n"
        "                return Conversion.Status.PENDING",
        "            if False:\n                return Conversion.Status.PENDING",
        "a full cap with action hold rejects instead of holding",
        DECIDE,
    ),
    m(
        "M38",
        "tracking/attribution/decide.py",
        "    if status != Conversion.Status.REJECTED:\n        status, cap_reason",
        "    if True:\n        status, cap_reason",
        "a rejected conversion uses up a cap",
        DECIDE,
    ),
]


def snapshot(dest: Path, *, worktree: bool) -> None:
    """The code to mutate: HEAD (default) or the working tree, never the checkout itself."""
    if worktree:
        files = (
            subprocess.run(
                ["git", "ls-files", "-co", "--exclude-standard", "-z"],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            .stdout.decode()
            .split("\0")
        )
        for name in filter(None, files):
            source = ROOT / name
            if source.is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name)
        return
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")


def run_tests(tree: Path, tests: tuple[str, ...], *, sqlite: bool, timeout: int) -> tuple[str, str]:
    """('pass' | 'fail' | 'timeout', first failing test)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    if sqlite:
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        env["AFFNET_VAR_DIR"] = tempfile.mkdtemp(prefix="affnet-mutation-var-")
        command += ["-m", "sqlite"]
    else:
        # No mutant touches a migration: the test database is built once and kept between runs.
        command.append("--reuse-db")
        env["AFFNET_VAR_DIR"] = str(tree / "var")
        # Each run gets a fresh test database but the same Redis: flags and caches keyed by ids
        # that start again at 1 would leak from one run into the next.
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    try:
        done = subprocess.run(
            command, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout", ""
    failed = re.search(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.MULTILINE)
    if done.returncode == 0:
        return "pass", ""
    if done.returncode == 5:  # no tests collected: a selection error, not a kill
        raise SystemExit(f"no tests collected for {tests}: {done.stdout[-500:]}")
    return "fail", failed[1] if failed else done.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated mutant ids")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--worktree", action="store_true", help="mutate the working tree")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per test run")
    parser.add_argument("--report", type=Path, help="also write the table here (markdown)")
    args = parser.parse_args()
    chosen = MUTANTS
    if args.only:
        wanted = set(args.only.split(","))
        chosen = [mutant for mutant in MUTANTS if mutant.id in wanted]
    if args.list:
        for mutant in chosen:
            print(f"{mutant.id}  {mutant.path:34} {mutant.what}")
        return 0
    if not os.environ.get("DATABASE_URL") and not all(m.sqlite for m in chosen):
        print("DATABASE_URL is not set: run under scripts/with_services.py", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="affnet-mutation-") as folder:
        tree = Path(folder)
        snapshot(tree, worktree=args.worktree)
        for mutant in chosen:  # a mutant whose text moved is stale: say so before any run
            count = (tree / mutant.path).read_text().count(mutant.before)
            if count != 1:
                print(
                    f"{mutant.id}: its text occurs {count} times in {mutant.path}", file=sys.stderr
                )
                return 2
        baseline = {(m.tests, m.sqlite) for m in chosen}
        for tests, sqlite in sorted(baseline):
            outcome, first = run_tests(tree, tests, sqlite=sqlite, timeout=args.timeout)
            if outcome != "pass":
                print(
                    f"unmutated tests fail ({outcome} {first}): {' '.join(tests)}", file=sys.stderr
                )
                return 2
        print(f"baseline: {len(baseline)} test selections pass unmutated", flush=True)

        rows = []
        for mutant in chosen:
            path = tree / mutant.path
            original = path.read_text()
            path.write_text(original.replace(mutant.before, mutant.after))
            started = time.monotonic()
            try:
                outcome, first = run_tests(
                    tree, mutant.tests, sqlite=mutant.sqlite, timeout=args.timeout
                )
            finally:
                path.write_text(original)
            verdict = {"pass": "SURVIVED", "fail": "KILLED", "timeout": "KILLED (timeout)"}[outcome]
            seconds = time.monotonic() - started
            rows.append((mutant, verdict, first, seconds))
            print(
                f"{mutant.id} {verdict:16} {seconds:6.1f}s  {mutant.what}"
                + (f"  <- {first}" if first else ""),
                flush=True,
            )

    killed = sum(1 for _, verdict, _, _ in rows if verdict.startswith("KILLED"))
    lines = [
        f"Mutation score: {killed}/{len(rows)} killed",
        "",
        "| id | module | mutant | verdict | killed by |",
        "|---|---|---|---|---|",
    ]
    for mutant, verdict, first, _ in rows:
        lines.append(f"| {mutant.id} | {mutant.path} | {mutant.what} | {verdict} | {first} |")
    print("\n".join(lines))
    if args.report:
        args.report.write_text("\n".join(lines) + "\n")
    return 0 if killed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
