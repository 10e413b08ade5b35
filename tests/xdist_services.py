"""Each pytest-xdist worker on services of its own (`make test` runs the suite as `-n 2`).

Under `pytest -n N` the controller starts, before any worker, one throwaway PostgreSQL and one
throwaway redis-server per worker (scripts/with_services.py, free loopback ports) and a var
folder of its own, and hands them to that worker as its DATABASE_URL, REDIS_URL and
AFFNET_VAR_DIR (execnet sets them before the worker imports Django). So no two workers share a
database, a Redis key (click streams, caches, the Celery broker, rate limiters, fraud windows),
a port or a file, and a test that stops or restarts its services touches only its own worker.
They are stopped when the run ends. Without `-n` (or with `-n 0`) this does nothing.

`--dist loadfile` sends whole files to a worker, but the in-suite schemathesis file holds a test
per role of minutes each: its role tests go to the workers one at a time (SPLIT_BY_TEST), so the
two workers finish together instead of one waiting on that file. Biggest units go first, and
files of a few long tests (SLOW_FILES) before the many short ones.

Workers always get throwaway services of their own, even when DATABASE_URL and REDIS_URL name
real ones (two workers on one Redis would share its keys): to run the suite on given services,
run it in one process (`make test TEST_WORKERS=0`).

The embedded (SQLite) run of `make test` has neither URL set: its workers, if any, only get
var folders of their own.
"""

import contextlib
import importlib.util
import os
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
from xdist.scheduler import LoadFileScheduling

ROOT = Path(__file__).resolve().parents[1]
# Files scheduled one test function (all its parameters) at a time instead of as a whole file.
SPLIT_BY_TEST = {"tests/api/test_schemathesis.py"}
# xdist hands out the units with the most tests first, so a file of one long test went out near
# the end and one worker ran it alone while the other had finished (16 s of a quiet run). These
# take seconds per test (a quiet run's figures, 2026-12-02): they go out first, longest first.
SLOW_FILES = {
    "tests/payouts/test_ledger_properties.py": 51,
    "tests/portal/test_in_a_real_browser.py": 23,
    "tests/tracking/clicks/test_postgres_down.py": 20,
    "tests/portal/test_header_fits_every_role.py": 19,
    "tests/portal/test_touched_pages_on_a_phone.py": 15,
    "tests/api/test_reads_take_only_the_values_each_role_s_schema_lists.py": 15,
    "tests/deploy/test_deploy_checks.py": 13,
    "tests/tracking/conversions/test_worker_killed_mid_batch.py": 12,
    "tests/portal/test_creative_pages_on_a_phone.py": 11,
    "tests/portal/test_getting_in_in_a_real_browser.py": 10,
    "tests/portal/test_manager_in_a_real_browser.py": 10,
    "tests/api/test_each_role_is_served_its_own_schema.py": 9,
    "tests/portal/test_validation_in_a_real_browser.py": 8,
}
_services = contextlib.ExitStack()


def _with_services() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "with_services", ROOT / "scripts" / "with_services.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs) -> None:
    embedded = not os.environ.get("DATABASE_URL")
    services = None if embedded else _with_services()
    # throwaway_postgres exports its own PG_* variables: the controller keeps the run's.
    kept = {name: os.environ.get(name) for name in ("PG_BINDIR", "PG_DATADIR", "PG_CTL_OPTIONS")}
    try:
        for spec in specs:
            workdir = Path(_services.enter_context(tempfile.TemporaryDirectory(prefix="affnet-w-")))
            env = {"AFFNET_VAR_DIR": str(workdir / "var")}
            (workdir / "var").mkdir()
            if services is not None:
                env["DATABASE_URL"] = _services.enter_context(services.throwaway_postgres(workdir))
                env.update({name: os.environ[name] for name in kept})
                (workdir / "redis").mkdir()
                env["REDIS_URL"] = _services.enter_context(
                    services.throwaway_redis(workdir / "redis")
                )
            spec.env.update(env)
    finally:
        for name, value in kept.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pytest_unconfigure(config) -> None:
    _services.close()


class LoadFileSplittingSlowFiles(LoadFileScheduling):
    """`--dist loadfile`, except that the files of SPLIT_BY_TEST are split by test function."""

    def _split_scope(self, nodeid: str) -> str:
        path, _, test = nodeid.partition("::")
        if path in SPLIT_BY_TEST:
            return f"{path}::{test.split('[', 1)[0]}"
        return path

    def schedule(self) -> None:
        """As xdist's, then the units still waiting are reordered: the SLOW_FILES first, longest
        first, then the rest as xdist ordered them (most tests first)."""
        super().schedule()
        waiting = list(self.workqueue.items())
        waiting.sort(key=lambda unit: -SLOW_FILES.get(unit[0], 0))  # stable: ties keep order
        self.workqueue.clear()
        self.workqueue.update(waiting)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadfile":
        return LoadFileSplittingSlowFiles(config, log)
    return None
