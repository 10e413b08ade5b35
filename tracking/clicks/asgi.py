"""The click paths as a lean ASGI handler in front of Django's ASGI application.

Same decisions and answers as the WSGI handler (redirect.py does the work); the difference is
the durable append: concurrent clicks in a worker share Redis round trips through the
auto-pipelining client (aresp.py), with no thread hand-offs. A link snapshot that is not in
the process cache, and the direct database write when Redis fails, run in a thread.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import redis
from django.conf import settings
from django.db import DatabaseError

from tracking.clicks import buffer
from tracking.clicks.aresp import AsyncResp, AsyncScript
from tracking.clicks.locations import UNAVAILABLE_PATH
from tracking.clicks.redirect import (
    ClickResponse,
    PendingClick,
    busy,
    click_finish,
    click_prepare,
    impression_handle,
    unavailable_page,
)
from tracking.clicks.resolve import LinkNotCached
from tracking.clicks.store import click_write_direct

logger = logging.getLogger(__name__)

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_client: AsyncResp | None = None
_append: AsyncScript | None = None


def _environ(scope: Scope) -> dict[str, str]:
    """The WSGI-style keys the click code reads."""
    environ = {
        "REQUEST_METHOD": scope["method"],
        "PATH_INFO": scope["path"],
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "REMOTE_ADDR": scope["client"][0] if scope.get("client") else "",
    }
    for name, value in scope["headers"]:
        environ["HTTP_" + name.decode("latin-1").upper().replace("-", "_")] = value.decode(
            "latin-1"
        )
    return environ


async def _append_click(pending: PendingClick) -> bool:
    """The durable append; True when a cap was found reached."""
    global _client, _append
    if buffer.click_redis_clustered():
        # The cluster-aware client is redis-py's, a blocking one: the append runs in a thread.
        return await asyncio.to_thread(_append_click_blocking, pending)
    if settings.REDIS_URL and _append is None:
        await asyncio.to_thread(buffer.redis_client)  # checks the eviction policy once
        _client = AsyncResp(settings.REDIS_URL)
        _append = AsyncScript(_client, buffer.APPEND_LUA)
    if _append is not None:
        try:
            _unique, capped = await _append(
                buffer.append_keys(
                    repeat_key=pending.repeat_key,
                    cap_flag_keys=[buffer.raw_cache_key(key) for key in pending.cap_keys],
                ),
                [json.dumps(pending.record, separators=(",", ":")), buffer.UNIQUE_SECONDS],
            )
            return bool(capped)
        except redis.RedisError:
            logger.exception(
                "click buffer unavailable; writing click %s directly", pending.record["id"]
            )
    return await asyncio.to_thread(
        click_write_direct,
        record=pending.record,
        repeat_key=pending.repeat_key,
        cap_keys=pending.cap_keys,
    )


def _append_click_blocking(pending: PendingClick) -> bool:
    try:
        return buffer.buffer_append(
            record=pending.record,
            unique_key=pending.repeat_key,
            cap_flag_keys=[buffer.raw_cache_key(key) for key in pending.cap_keys],
        ).capped
    except redis.RedisError:
        logger.exception(
            "click buffer unavailable; writing click %s directly", pending.record["id"]
        )
    return click_write_direct(
        record=pending.record, repeat_key=pending.repeat_key, cap_keys=pending.cap_keys
    )


async def click_handle_async(environ: dict[str, str], kind: str, code: str) -> ClickResponse:
    try:
        pending = click_prepare(environ=environ, kind=kind, code=code, cached_only=True)
    except LinkNotCached:
        pending = await asyncio.to_thread(click_prepare, environ=environ, kind=kind, code=code)
    if isinstance(pending, ClickResponse):
        return pending
    try:
        capped = await _append_click(pending)
    except DatabaseError:
        logger.exception("click %s could not be recorded", pending.record["id"])
        return busy()
    return click_finish(pending=pending, capped=capped)


async def _route(path: str, environ: dict[str, str]) -> ClickResponse | None:
    if path.startswith("/c/"):
        return await click_handle_async(environ, "c", path[3:])
    if path == "/aff_c":
        return await click_handle_async(environ, "aff_c", "")
    if path.startswith("/i/") or path == "/aff_i":
        kind, code = ("i", path[3:]) if path.startswith("/i/") else ("aff_i", "")
        # Rare next to clicks; counted through the threaded client.
        return await asyncio.to_thread(impression_handle, environ=environ, kind=kind, code=code)
    if path == UNAVAILABLE_PATH:
        return unavailable_page()
    return None


def _is_click_path(path: str) -> bool:
    return path.startswith(("/c/", "/i/")) or path in ("/aff_c", "/aff_i", UNAVAILABLE_PATH)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def click_paths_first_asgi(django_app: AsgiApp) -> AsgiApp:
    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http" or not _is_click_path(scope["path"]):
            await django_app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            response = ClickResponse(405, [("Allow", "GET, HEAD")])
        else:
            response = await _route(scope["path"], _environ(scope))
            assert response is not None
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers
        ]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": response.body if method == "GET" else b""}
        )

    return application
