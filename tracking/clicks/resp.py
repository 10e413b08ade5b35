"""A minimal Redis client for the redirect's one round trip per click.

redis-py spends about 70 microseconds of CPU per command here (connection pool, retries,
observability hooks), five times a bare socket's cost, and the redirect makes one command per
click: at thousands of clicks a second that is most of a core (docs/performance.md). This speaks
just enough RESP2 for EVALSHA and HINCRBY over one persistent socket per thread, and raises
redis-py's own error types so callers handle one family of errors. Everything else uses redis-py.
"""

import hashlib
import socket
import threading
from collections.abc import Sequence

import redis

from tracking import group_commit

Reply = int | bytes | None | list


class RespClient:
    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        kwargs = redis.Redis.from_url(url).connection_pool.connection_kwargs
        if "ssl_cert_reqs" in kwargs or url.startswith("rediss://"):
            raise ValueError("RespClient speaks plain TCP only")
        self.host = kwargs.get("host", "127.0.0.1")
        self.port = int(kwargs.get("port", 6379))
        self.db = int(kwargs.get("db", 0) or 0)
        self.username = kwargs.get("username")
        self.password = kwargs.get("password")
        self.timeout = timeout
        self._local = threading.local()

    # -- connection -------------------------------------------------------------------------

    def _connect(self) -> tuple[socket.socket, bytearray]:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise redis.ConnectionError(f"cannot connect to Redis: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        state = (sock, bytearray())
        self._local.conn = state
        if self.password:
            auth = (
                [b"AUTH", self.password]
                if not self.username
                else [b"AUTH", self.username, self.password]
            )
            self._roundtrip(state, auth)
        if self.db:
            self._roundtrip(state, [b"SELECT", str(self.db)])
        return state

    def close(self) -> None:
        state = getattr(self._local, "conn", None)
        if state is not None:
            state[0].close()
            self._local.conn = None

    def call(self, *args: bytes | str | int) -> Reply:
        """Send one command, return its reply. One reconnect on a dropped connection."""
        state = getattr(self._local, "conn", None)
        fresh = state is None
        if state is None:
            state = self._connect()
        try:
            return self._roundtrip(state, args)
        except (OSError, redis.ConnectionError):
            self.close()
            if fresh:
                raise
        return self._roundtrip(self._connect(), args)

    def call_many(self, commands: Sequence[Sequence]) -> list["Reply | redis.ResponseError"]:
        """Send several commands in one write and read their replies (a pipeline). An error
        reply is returned in its place; a lost connection raises for all."""
        state = getattr(self._local, "conn", None)
        fresh = state is None
        if state is None:
            state = self._connect()
        try:
            return self._pipeline(state, commands)
        except redis.ConnectionError:
            self.close()
            if fresh:
                raise
        return self._pipeline(self._connect(), commands)

    def _pipeline(self, state: tuple[socket.socket, bytearray], commands: Sequence) -> list:
        sock, _ = state
        try:
            sock.sendall(b"".join(_pack(args) for args in commands))
            return [self._read(state) for _ in commands]
        except OSError as exc:
            raise redis.ConnectionError(f"Redis connection lost: {exc}") from exc

    def _roundtrip(self, state: tuple[socket.socket, bytearray], args: Sequence) -> Reply:
        sock, _ = state
        try:
            sock.sendall(_pack(args))
            reply = self._read(state)
        except OSError as exc:
            raise redis.ConnectionError(f"Redis connection lost: {exc}") from exc
        if isinstance(reply, redis.ResponseError):
            raise reply
        return reply

    # -- RESP2 parsing ----------------------------------------------------------------------

    def _line(self, state: tuple[socket.socket, bytearray]) -> bytes:
        sock, buf = state
        while True:
            end = buf.find(b"\r\n")
            if end >= 0:
                line = bytes(buf[:end])
                del buf[: end + 2]
                return line
            chunk = sock.recv(65536)
            if not chunk:
                raise redis.ConnectionError("Redis closed the connection")
            buf += chunk

    def _exact(self, state: tuple[socket.socket, bytearray], size: int) -> bytes:
        sock, buf = state
        while len(buf) < size + 2:
            chunk = sock.recv(65536)
            if not chunk:
                raise redis.ConnectionError("Redis closed the connection")
            buf += chunk
        data = bytes(buf[:size])
        del buf[: size + 2]
        return data

    def _read(self, state: tuple[socket.socket, bytearray]) -> "Reply | redis.ResponseError":
        line = self._line(state)
        kind, rest = line[:1], line[1:]
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest
        if kind == b"-":
            return redis.ResponseError(rest.decode(errors="replace"))
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exact(state, size)
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._read(state) for _ in range(size)]
        raise redis.ConnectionError(f"unexpected reply from Redis: {line[:40]!r}")


def _encode(arg: bytes | str | int) -> bytes:
    if isinstance(arg, bytes):
        return arg
    return str(arg).encode()


def _pack(args: Sequence) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = _encode(arg)
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


class GroupCommit:
    """Concurrent callers in one process share Redis round trips (tracking/group_commit.py):
    one write and one read serve many clicks, which is most of the redirect's system-call cost.
    An error reply goes to the caller whose command caused it; a failed round trip to them all.
    """

    MAX_BATCH = 256

    def __init__(self, client: RespClient) -> None:
        self.client = client
        self._group: group_commit.GroupCommit[Sequence, Reply] = group_commit.GroupCommit(
            # Late-bound, so the client's call_many can be wrapped after construction (tests).
            lambda commands: self.client.call_many(commands),
            max_batch=self.MAX_BATCH,
            # The redirect answers any Redis error with a direct write.
            follower_error=lambda exc: redis.ConnectionError(f"click buffer batch failed: {exc}"),
        )

    def call(self, *args: bytes | str | int) -> Reply:
        reply = self._group.call(args)
        if isinstance(reply, redis.RedisError):
            raise reply
        return reply


class RespScript:
    """A Lua script called by EVALSHA, loaded with EVAL the first time a server lacks it."""

    def __init__(self, caller: "RespClient | GroupCommit", source: str) -> None:
        self.caller = caller
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    def __call__(self, keys: Sequence[str], args: Sequence[bytes | str | int]) -> Reply:
        try:
            return self.caller.call(b"EVALSHA", self.sha, len(keys), *keys, *args)
        except redis.ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return self.caller.call(b"EVAL", self.source, len(keys), *keys, *args)
