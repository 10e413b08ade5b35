#!/usr/bin/env python3
"""`make restore-drill`: prove a backup restores to the same books.

1. A throwaway PostgreSQL with WAL archiving as deploy/postgresql/ sets it up (archive_mode on,
   archive_command copying each segment to an archive folder), plus a throwaway Redis.
2. The demo network (manage.py migrate, seed_demo) and traffic through the real code: clicks
   through the redirect and ingester, conversion callbacks, attribution (ledger earnings), a payout
   batch built by finance.
3. A base backup with pg_basebackup, as deploy/postgresql/affnet-basebackup.sh takes it.
4. More traffic after the backup (more clicks, conversions, earnings), so only WAL replay from
   the archive brings it back; the current segment is switched out and archived.
5. The backup is restored into a fresh data folder with restore_command reading the archive and
   started on loopback (another port); it replays to the end of the archive and promotes.
6. Ledger totals, batch totals and conversion counts of the source and the restored instance are
   printed and compared; any difference exits 1.

Steps 2 to 4 run in one Django process (migrate, seed, traffic, batch, the backup, more
traffic), so Django starts once, and it starts (loading the code and the migrations) while
step 1 sets the database up; the output ends with the seconds each step took.

Not part of `make test` (about a minute). The pieces are tested in
tests/deploy/test_restore_drill_pieces.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PROCESS_STARTED = time.monotonic()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from with_services import (  # noqa: E402
    _has_c_utf8,
    as_user_prefix,
    free_port,
    log,
    pg_bindir,
    throwaway_redis,
)

# The figures compared: what a restore must bring back to the cent.
FIGURES = {
    "ledger": (
        "SELECT currency, kind, count(*), sum(amount) FROM payouts_ledgerentry "
        "GROUP BY currency, kind ORDER BY currency, kind"
    ),
    "batches": (
        "SELECT currency, status, count(*), sum(total), sum(line_count) FROM payouts_payoutbatch "
        "GROUP BY currency, status ORDER BY currency, status"
    ),
    "conversions": (
        "SELECT status, count(*), sum(revenue), sum(payout) FROM tracking_conversion "
        "GROUP BY status ORDER BY status"
    ),
}


def archive_command(archive_dir: Path) -> str:
    """Copy a finished WAL segment into the archive, never over an existing one (PostgreSQL's
    documented pattern: a non-zero exit makes it retry the segment later)."""
    return f"test ! -f {archive_dir}/%f && cp %p {archive_dir}/%f"


def restore_command(archive_dir: Path) -> str:
    return f"cp {archive_dir}/%f %p"


def server_options(*, port: int, socket_dir: Path, archive_dir: Path | None) -> str:
    # fsync off: a drill's instances are never crashed, and migrate runs twice as fast.
    options = (
        f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=50"
        " -c fsync=off -c synchronous_commit=off"
    )
    if archive_dir is not None:
        options += (
            f" -c wal_level=replica -c archive_mode=on -c archive_timeout=60"
            f" -c archive_command='{archive_command(archive_dir)}'"
        )
    return options


def recovery_prepare(*, datadir: Path, archive_dir: Path) -> None:
    """Make a restored base backup replay the archive to its end, then open for writes."""
    with (datadir / "postgresql.auto.conf").open("a") as conf:
        conf.write(f"restore_command = '{restore_command(archive_dir)}'\n")
        conf.write("recovery_target_timeline = 'latest'\n")
        conf.write("recovery_target_action = 'promote'\n")
        conf.write("archive_mode = off\n")
    (datadir / "recovery.signal").touch()


class Steps:
    """The seconds each step of the drill takes, printed at its end (where the time goes)."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.taken.append((name, time.monotonic() - started))

    def print(self) -> None:
        print("  seconds per step")
        for name, seconds in self.taken:
            print(f"    {seconds:6.1f}  {name}")


def figures_of(cursor) -> dict[str, list[tuple]]:
    result = {}
    for name, sql in FIGURES.items():
        cursor.execute(sql)
        result[name] = [tuple(str(v) for v in row) for row in cursor.fetchall()]
    return result


def figures_read(url: str) -> dict[str, list[tuple]]:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        return figures_of(cursor)


def figures_print(title: str, figures: dict[str, list[tuple]]) -> None:
    print(f"  {title}")
    for name, rows in figures.items():
        for row in rows or [("(none)",)]:
            print(f"    {name:<12} {' '.join(row)}")


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "nobody", "nogroup")


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*as_user_prefix(), *args], check=True, **kwargs)


@contextlib.contextmanager
def postgres(datadir: Path, options: str, log_path: Path) -> Iterator[None]:
    bindir = pg_bindir()
    _run(
        str(bindir / "pg_ctl"),
        "-D",
        str(datadir),
        "-o",
        options,
        "-l",
        str(log_path),
        "-w",
        "-t",
        "120",
        "start",
        stdout=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        subprocess.run(
            [*as_user_prefix(), str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def _psql(port: int, sql: str, db: str = "affnet") -> str:
    out = _run(
        str(pg_bindir() / "psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        "postgres",
        "-d",
        db,
        "-Atc",
        sql,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def base_backup(*, port: int, backup: Path) -> None:
    """As deploy/postgresql/affnet-basebackup.sh takes it (WAL from the archive, not streamed)."""
    _run(
        str(pg_bindir() / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        "postgres",
        "-D",
        str(backup),
        "-X",
        "none",
        "-c",
        "fast",
        "--no-sync",
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def drill() -> int:
    started = time.monotonic()
    bindir = pg_bindir()
    steps = Steps()
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="affnet-drill-")))
        _chown(work)
        source, backup, restored, archive = (
            work / n for n in ("source", "backup", "restored", "archive")
        )
        for folder in (source, archive):
            folder.mkdir()
            _chown(folder)
        locale = "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C"
        port = free_port()
        source_url = f"postgres://postgres@127.0.0.1:{port}/affnet"
        redis_dir = work / "redis"
        redis_dir.mkdir()
        env = {
            **os.environ,
            "DATABASE_URL": source_url,
            "REDIS_URL": stack.enter_context(throwaway_redis(redis_dir)),
            "SECRET_KEY": os.environ.get("SECRET_KEY", "restore-drill-only-" + "x" * 40),
            "CALLBACK_SECRET_KEYS": "dGVzdC1vbmx5LWNhbGxiYWNrLWtleS14eHh4eHh4eHg=",
            # The drill's traffic is paid the moment it is earned: no hold, no period close.
            "PAYOUT_HOLD_DAYS": "0",
            "PAYABLE_AFTER_CLOSE_DAYS": "off",
            "DEBUG": "off",
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            # For the Django phase: where the base backup goes, what it reports back.
            "DRILL_PORT": str(port),
            "DRILL_BACKUP": str(backup),
            "DRILL_REPORT": str(work / "phase.json"),
            "DRILL_DB_READY": str(work / "db-ready"),
        }
        # Django starts (and loads the code and the migrations) while the database is set up:
        # it waits for DRILL_DB_READY before it touches it.
        phase = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--phase", "books"], env=env, cwd=ROOT
        )
        stack.callback(_stop, phase)
        with steps.step("initdb, start the source, createdb (Django starting beside)"):
            _run(
                str(bindir / "initdb"),
                "-D",
                str(source),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                locale,
                "--no-sync",  # a throwaway cluster: nothing to flush to disk
                stdout=subprocess.DEVNULL,
            )
            stack.enter_context(
                postgres(
                    source,
                    server_options(port=port, socket_dir=work, archive_dir=archive),
                    work / "source.log",
                )
            )
            _run(
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "affnet",
            )
        log(f"source PostgreSQL on 127.0.0.1:{port}, WAL archived to {archive}")
        Path(env["DRILL_DB_READY"]).touch()
        with steps.step("Django phase, once the database is ready (its steps below)"):
            if phase.wait() != 0:
                raise subprocess.CalledProcessError(phase.returncode, phase.args)
        report = json.loads((work / "phase.json").read_text())
        steps.taken.extend((f"  {name}", seconds) for name, seconds in report["steps"])
        at_backup = {
            name: [tuple(row) for row in rows] for name, rows in report["at_backup"].items()
        }

        with steps.step("switch and archive the last WAL segment"):
            # Close the current WAL segment so the rows written after the backup are archived.
            segment = _psql(port, "SELECT pg_walfile_name(pg_switch_wal())")
            deadline = time.monotonic() + 60
            while not (archive / segment).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"WAL segment {segment} was not archived within 60 s")
                time.sleep(0.1)
            expected = figures_read(source_url)

        log("restoring the base backup and replaying the archive")
        restored_port = free_port()
        with steps.step("restore the backup, replay the archive, promote"):
            shutil.copytree(backup, restored)
            recovery_prepare(datadir=restored, archive_dir=archive)
            if os.geteuid() == 0:
                subprocess.run(["chown", "-R", "nobody:nogroup", str(restored)], check=True)
            restored.chmod(0o700)
            stack.enter_context(
                postgres(
                    restored,
                    server_options(port=restored_port, socket_dir=work, archive_dir=None),
                    work / "restored.log",
                )
            )
            deadline = time.monotonic() + 60
            while _psql(restored_port, "SELECT pg_is_in_recovery()") != "f":
                if time.monotonic() > deadline:
                    raise RuntimeError("the restored instance did not finish recovery within 60 s")
                time.sleep(0.1)
            got = figures_read(f"postgres://postgres@127.0.0.1:{restored_port}/affnet")

        print("Restore drill")
        figures_print("at the base backup:", at_backup)
        figures_print(f"source after more traffic (127.0.0.1:{port}):", expected)
        figures_print(f"restored from backup + WAL (127.0.0.1:{restored_port}):", got)
        replayed = at_backup != expected
        same = got == expected
        print(
            f"  WAL replay mattered: {'yes' if replayed else 'NO'}; "
            f"restored equals source: {'yes' if same else 'NO'}; "
            f"{time.monotonic() - started:.0f} s"
        )
        steps.print()
        return 0 if same and replayed else 1


# --- Phases run inside Django (a subprocess with the source's DATABASE_URL) -------------------

DRILL_SECRET = "restore-drill-postback-secret"
# Visits per demo link before the backup (enough for a batch per currency) and after it (one is
# enough to make the restored figures differ from the backup's, so WAL replay must bring them).
SEED_VISITS_PER_LINK = 2
MORE_VISITS_PER_LINK = 1


def _traffic(visits_per_link: int, tag: str) -> None:
    from django.test import Client

    from offers.models import Advertiser
    from offers.services import advertiser_postback_secret_set
    from tracking.clicks.ingest import clicks_ingest
    from tracking.models import Click, TrackingLink
    from tracking.tasks.attribution import attribution_drain

    for advertiser in Advertiser.objects.all():
        advertiser_postback_secret_set(advertiser=advertiser, raw=DRILL_SECRET)
    web = Client()
    seen = set(Click.objects.values_list("click_id", flat=True))
    for n, link in enumerate(TrackingLink.objects.order_by("id")):
        for v in range(visits_per_link):
            web.get(
                f"/c/{link.code}",
                HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
                REMOTE_ADDR=f"8.8.{n % 250}.{v + 1}",
            )
    clicks_ingest(max_seconds=5)
    for click in Click.objects.exclude(click_id__in=seen).filter(fallback_reason=""):
        web.get(
            "/postback",
            {
                "click_id": click.click_id,
                "amount": "25.00",
                "txn_id": f"{tag}-{click.click_id}",
                "token": DRILL_SECRET,
            },
        )
    attribution_drain()


def phase_seed() -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from affiliates.models import Publisher
    from core.errors import DomainError
    from payouts.services import payout_batch_build

    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    # Stand in for the payout details confirmation flow (its cooling-off long past) and a low
    # minimum, so the demo publishers are paid and the drill has batch totals to compare.
    Publisher.objects.update(
        payout_details_changed_at=timezone.now() - timedelta(days=30), minimum_payout=1
    )
    _traffic(SEED_VISITS_PER_LINK, "seed")
    finance = User.objects.get(username="finance")
    for currency in ("USD", "EUR"):
        try:
            batch = payout_batch_build(currency=currency, built_by=finance)
            print(f"[drill] batch {batch.id}: {batch.currency} {batch.total}", file=sys.stderr)
        except DomainError as exc:
            print(f"[drill] no {currency} batch: {exc}", file=sys.stderr)


def phase_more() -> None:
    _traffic(MORE_VISITS_PER_LINK, "more")


def phase_books() -> None:
    """Steps 2 to 4 in this one process: the schema, the demo network and its traffic, the base
    backup (taken from here, between the two rounds of traffic) and more traffic. Reports the
    figures at the backup and its steps' seconds to DRILL_REPORT."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    import config.urls  # noqa: F401  (the first request would import it)

    MigrationLoader(None, ignore_no_migrations=True)  # imports every migration module
    steps = Steps()
    steps.taken.append(
        ("start Django, load the code and migrations", time.monotonic() - PROCESS_STARTED)
    )
    ready = Path(os.environ["DRILL_DB_READY"])
    with steps.step("wait for the database"):
        deadline = time.monotonic() + 300
        while not ready.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the source database was not ready within 300 s")
            time.sleep(0.1)
    with steps.step("migrate"):
        call_command("migrate", verbosity=0)
    with steps.step("seed_demo, traffic, payout batches"):
        phase_seed()
    log("base backup (pg_basebackup)")
    with steps.step("base backup (pg_basebackup)"):
        base_backup(port=int(os.environ["DRILL_PORT"]), backup=Path(os.environ["DRILL_BACKUP"]))
        with connection.cursor() as cursor:
            at_backup = figures_of(cursor)
    with steps.step("more traffic after the backup"):
        phase_more()
    Path(os.environ["DRILL_REPORT"]).write_text(
        json.dumps({"at_backup": at_backup, "steps": steps.taken})
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["--phase"]:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        {"books": phase_books, "seed": phase_seed, "more": phase_more}[argv[1]]()
        return 0
    return drill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
