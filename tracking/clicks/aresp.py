"""An asyncio Redis client for the async click handler, with automatic pipelining.

Every command issued during one turn of the event loop goes out in a single write, and replies
are matched to their callers in order as they arrive: under load, one write and one read carry
the durable appends of many concurrent clicks. Speaks just enough RESP2 for EVALSHA/EVAL and
HINCRBY, and raises redis-py's error types like the threaded client (resp.py).
"""

import asyncio
import hashlib
from collections import deque
from collections.abc import Sequence

import redis

from tracking.clicks.resp import RespClient, _pack

TIMEOUT = 5.0


class _Incomplete(Exception):
    pass


def _parse(buf: bytearray, pos: int) -> tuple[object, int]:
    """One reply starting at `pos`: (reply, position after it). Raises _Incomplete."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind, rest = buf[pos : pos + 1], bytes(buf[pos + 1 : end])
    pos = end + 2
    if kind == b":":
        return int(rest), pos
    if kind == b"+":
        return rest, pos
    if kind == b"-":
        return redis.ResponseError(rest.decode(errors="replace")), pos
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None, pos
        if len(buf) < pos + size + 2:
            raise _Incomplete
        return bytes(buf[pos : pos + size]), pos + size + 2
    if kind == b"*":
        size = int(rest)
        if size < 0:
            return None, pos
        items = []
        for _ in range(size):
            item, pos = _parse(buf, pos)
            items.append(item)
        return items, pos
    raise redis.ConnectionError(f"unexpected reply from Redis: {bytes(buf[pos - 2 : end])!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self, client: "AsyncResp") -> None:
        self.client = client
        self.buf = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        pos = 0
        waiting = self.client._waiting
        try:
            while waiting and pos < len(self.buf):
                reply, pos = _parse(self.buf, pos)
                future = waiting.popleft()
                if not future.done():
                    if isinstance(reply, redis.RedisError):
                        future.set_exception(reply)
                    else:
                        future.set_result(reply)
        except _Incomplete:
            pass
        except redis.ConnectionError as exc:
            self.client._fail(exc)
            return
        del self.buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.client._fail(redis.ConnectionError(f"Redis connection lost: {exc}"))


class AsyncResp:
    """One connection per event loop (per web worker process), opened on first use."""

    def __init__(self, url: str) -> None:
        settings = RespClient(url)  # parses the URL the same way
        self.host, self.port, self.db = settings.host, settings.port, settings.db
        self.username, self.password = settings.username, settings.password
        self._transport: asyncio.Transport | None = None
        self._waiting: deque[asyncio.Future] = deque()
        self._out: list[bytes] = []
        self._connecting: asyncio.Lock | None = None

    async def _connect(self) -> None:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._transport is not None:
                return
            loop = asyncio.get_running_loop()
            try:
                transport, _ = await asyncio.wait_for(
                    loop.create_connection(lambda: _Protocol(self), self.host, self.port),
                    TIMEOUT,
                )
            except (OSError, TimeoutError) as exc:
                raise redis.ConnectionError(f"cannot connect to Redis: {exc}") from exc
            self._transport = transport
            setup = []
            if self.password:
                setup.append([b"AUTH", *([self.username] if self.username else []), self.password])
            if self.db:
                setup.append([b"SELECT", self.db])
            for command in setup:
                await self._send(command)

    def _fail(self, exc: Exception) -> None:
        transport, self._transport = self._transport, None
        waiting, self._waiting = self._waiting, deque()
        self._out.clear()
        for future in waiting:
            if not future.done():
                future.set_exception(exc)
        if transport is not None:
            transport.close()

    def _flush(self) -> None:
        if self._out and self._transport is not None:
            self._transport.write(b"".join(self._out))
        self._out.clear()

    async def _send(self, args: Sequence) -> object:
        future = asyncio.get_running_loop().create_future()
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(_pack(args))
        self._waiting.append(future)
        try:
            return await asyncio.wait_for(future, TIMEOUT)
        except TimeoutError as exc:
            # The connection's state is unknown now: drop it, failing everyone waiting on it.
            error = redis.TimeoutError("Redis did not answer in time")
            self._fail(error)
            raise error from exc

    async def call(self, *args: bytes | str | int) -> object:
        if self._transport is None:
            await self._connect()
        return await self._send(args)


class AsyncScript:
    def __init__(self, client: AsyncResp, source: str) -> None:
        self.client = client
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, keys: Sequence[str], args: Sequence[bytes | str | int]) -> object:
        try:
            return await self.client.call(b"EVALSHA", self.sha, len(keys), *keys, *args)
        except redis.ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.client.call(b"EVAL", self.source, len(keys), *keys, *args)
