"""The faults the longer rehearsal injects while traffic flows.

- `Chaos`, a thread: SIGKILL a random worker every `worker_every` seconds and a web node every
  `web_every` seconds (the web nodes in turn), each restarted at once, as a supervisor would. A
  web kill falls due while the node killed before is still starting is postponed until it
  answers its liveness probe (counted): with two nodes, killing the only live one strands
  every visitor, which no deployment survives (found at load ~15, where a node took over 15 s
  to start: 5,126 of 20,000 clicks answered 502 "no live upstreams").
- `postgres_restart`: stop PostgreSQL (fast: sessions cut) and start it again on its data.

Restarting Redis lives in rehearse.py (it owns Redis's command line).
"""

import os
import random
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scripts.with_services import as_user_prefix


@dataclass
class FaultCounts:
    worker_kills: int = 0
    web_kills: int = 0
    web_kills_postponed: int = 0
    redis_restarts: int = 0
    cluster_node_restarts: int = 0
    postgres_restarts: int = 0
    killed: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kill_noted(self, name: str, *, web: bool) -> None:
        with self.lock:
            self.killed[name] = self.killed.get(name, 0) + 1
            if web:
                self.web_kills += 1
            else:
                self.worker_kills += 1


class Chaos(threading.Thread):
    """Kills and restarts processes on a clock until `stop()`.

    `kill(name)` SIGKILLs a process group and reaps it; `restart(name)` starts it again (a web
    node's restart waits for its port, so it runs in its own thread while the clock goes on).
    """

    def __init__(
        self,
        *,
        workers: list[str],
        webs: list[str],
        worker_every: float,
        web_every: float,
        kill: Callable[[str], None],
        restart: Callable[[str], None],
        counts: FaultCounts,
        say: Callable[[str], None],
        seed: int,
    ) -> None:
        super().__init__(name="chaos", daemon=True)
        self.workers, self.webs = workers, webs
        self.worker_every, self.web_every = worker_every, web_every
        self.kill, self.restart = kill, restart
        self.counts, self.say = counts, say
        self.random = random.Random(seed)
        self._halt = threading.Event()
        self._web_turn = 0
        self._restarting: list[threading.Thread] = []

    def run(self) -> None:
        started = time.monotonic()
        next_worker = started + self.worker_every if self.worker_every else float("inf")
        next_web = started + self.web_every if self.web_every else float("inf")
        while not self._halt.wait(0.1):
            now = time.monotonic()
            if now >= next_worker:
                next_worker += self.worker_every
                name = self.random.choice(self.workers)
                self.kill(name)
                self.counts.kill_noted(name, web=False)
                self.restart(name)
            if now >= next_web and any(thread.is_alive() for thread in self._restarting):
                self.counts.web_kills_postponed += 1
                next_web = now + 1.0  # retried each second until the other node listens
                continue
            if now >= next_web:
                next_web += self.web_every
                name = self.webs[self._web_turn % len(self.webs)]
                self._web_turn += 1
                self.kill(name)
                self.counts.kill_noted(name, web=True)
                thread = threading.Thread(target=self.restart, args=(name,), daemon=True)
                thread.start()
                self._restarting.append(thread)

    def stop(self) -> None:
        self._halt.set()
        self.join()
        for thread in self._restarting:
            thread.join(90)


def postgres_restart(*, down_seconds: float = 3.0) -> float:
    """Stop the rehearsal's PostgreSQL (`-m fast`: every session is cut) and start it again on
    the same data (scripts/with_services.py exported where it lives). Returns seconds down."""
    bindir = Path(os.environ["PG_BINDIR"])
    datadir = os.environ["PG_DATADIR"]
    prefix = as_user_prefix()
    started = time.monotonic()
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", datadir, "-m", "fast", "-w", "stop"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    time.sleep(down_seconds)
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            datadir,
            "-o",
            os.environ["PG_CTL_OPTIONS"],
            "-l",
            str(Path(datadir).parent / "pg.log"),
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started
