#!/usr/bin/env python3
"""Run a command against real PostgreSQL and Redis.

When DATABASE_URL / REDIS_URL are set, they are used as they are. Otherwise this starts a
throwaway PostgreSQL (initdb into a temporary folder, as an unprivileged user when run as root)
and a throwaway redis-server (installing Debian's package when missing) on free loopback ports,
exports their URLs, runs the command and stops them afterwards, whatever happens.

    python scripts/with_services.py -- pytest -q
"""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def log(message: str) -> None:
    print(f"[with_services] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# How long a service may take to come up before we give up: generous, since the suite starts some
# on a loaded machine (the waits poll and return as soon as the service answers).
START_SECONDS = 300


def wait_for_port(port: int, seconds: float = START_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds}s")


def pg_bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if not candidates:
        raise RuntimeError("PostgreSQL binaries not found (pg_ctl); apt-get install postgresql")
    return candidates[0]


def as_user_prefix() -> list[str]:
    """initdb and postgres refuse to run as root: run them as `nobody` then."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "nobody", "--"]


@contextlib.contextmanager
def throwaway_postgres(workdir: Path) -> Iterator[str]:
    bindir = pg_bindir()
    datadir = workdir / "pg"
    datadir.mkdir()
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(workdir, nobody.pw_uid, nobody.pw_gid)
        os.chown(datadir, nobody.pw_uid, nobody.pw_gid)
    prefix = as_user_prefix()
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            options,
            "-l",
            str(workdir / "pg.log"),
            "-w",
            "-t",
            str(START_SECONDS),
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log(f"PostgreSQL on 127.0.0.1:{port} (data {datadir})")
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "affnet",
            ],
            check=True,
        )
        url = f"postgres://postgres@127.0.0.1:{port}/affnet"
        os.environ["PG_BINDIR"] = str(bindir)
        os.environ["PG_DATADIR"] = str(datadir)
        os.environ["PG_CTL_OPTIONS"] = options
        yield url
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def _has_c_utf8() -> bool:
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout
    return any(name.lower() in {"c.utf8", "c.utf-8"} for name in out.split())


def ensure_redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    log("redis-server missing: installing Debian's redis-server package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    # The package starts a system service we do not use; our own instance runs below.
    subprocess.run(
        [*sudo, "service", "redis-server", "stop"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("redis-server still missing after apt-get install")
    return found


@contextlib.contextmanager
def throwaway_redis(workdir: Path) -> Iterator[str]:
    binary = ensure_redis_server()
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "no",
            "--dir",
            str(workdir),
            "--maxmemory-policy",
            "noeviction",
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        log(f"Redis on 127.0.0.1:{port}")
        os.environ["REDIS_SERVER_BIN"] = binary
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="affnet-svc-")))
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = stack.enter_context(throwaway_postgres(workdir))
        if not os.environ.get("REDIS_URL"):
            redis_dir = workdir / "redis"
            redis_dir.mkdir()
            os.environ["REDIS_URL"] = stack.enter_context(throwaway_redis(redis_dir))
        os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
        # A fixed test-only Fernet key (urlsafe base64 of 32 bytes) for postback secrets.
        os.environ.setdefault(
            "CALLBACK_SECRET_KEYS", "dGVzdC1vbmx5LWNhbGxiYWNrLWtleS14eHh4eHh4eHg="
        )
        proc = subprocess.Popen(argv)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
