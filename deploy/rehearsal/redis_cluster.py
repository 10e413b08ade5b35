"""A three-primary Redis Cluster on loopback ports, for the click buffer and repeat markers
(CLICK_REDIS_MODE=cluster). Used by the rehearsal (`--redis-cluster`) and by the test that
appends clicks across shards (tests/tracking/clicks/test_redis_cluster_buffer.py).

Each node runs our production redis.conf (noeviction, AOF) plus cluster mode; its data and
nodes.conf live in its own folder, so a node restarted on the same folder rejoins with its
slots and its unacknowledged entries.
"""

import contextlib
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_CONF = ROOT / "deploy" / "redis.conf"


def _free_port() -> int:
    # Cluster nodes also listen on port + 10000 (the bus): pick ports that leave room for it.
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 < 65536:
            with contextlib.suppress(OSError), socket.socket() as bus:
                bus.bind(("127.0.0.1", port + 10000))
                return port


def _wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"Redis Cluster node on {port} did not start")


@dataclass
class RedisClusterNodes:
    """Three cluster primaries (no replicas) under `workdir`, started with `redis_server`."""

    workdir: Path
    redis_server: str
    count: int = 3
    ports: list[int] = field(default_factory=list)
    procs: dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def urls(self) -> list[str]:
        return [f"redis://127.0.0.1:{port}/0" for port in self.ports]

    def start(self) -> "RedisClusterNodes":
        self.ports = [_free_port() for _ in range(self.count)]
        for port in self.ports:
            self.node_start(port)
        subprocess.run(
            [
                str(Path(self.redis_server).with_name("redis-cli")),
                "--cluster",
                "create",
                *[f"127.0.0.1:{port}" for port in self.ports],
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.wait_ok()
        return self

    def node_start(self, port: int) -> None:
        folder = self.workdir / f"redis-cluster-{port}"
        folder.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / f"redis-cluster-{port}.log").open("ab")
        self.procs[port] = subprocess.Popen(
            [
                self.redis_server,
                str(REDIS_CONF),
                "--port",
                str(port),
                "--dir",
                str(folder),
                "--maxmemory",
                "256mb",
                "--save",
                "",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                # A dead primary is noticed in 2 s (the default 15 s is for real networks).
                "--cluster-node-timeout",
                "2000",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_for_port(port)

    def node_restart(self, port: int, *, down_seconds: float = 1.0) -> None:
        """SIGTERM (AOF fsynced), then the same node on the same data."""
        proc = self.procs[port]
        proc.terminate()
        proc.wait(30)
        time.sleep(down_seconds)
        self.node_start(port)
        self.wait_ok()

    def wait_ok(self, seconds: float = 60) -> None:
        """Until every node says cluster_state:ok (all slots served)."""
        cli = str(Path(self.redis_server).with_name("redis-cli"))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            states = [
                subprocess.run(
                    [cli, "-p", str(port), "cluster", "info"],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout
                for port in self.ports
            ]
            if all("cluster_state:ok" in state for state in states):
                return
            time.sleep(0.2)
        raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
            if proc.poll() is None:
                proc.kill()
