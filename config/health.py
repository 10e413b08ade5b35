"""Liveness and readiness probes for load balancers and orchestrators.

/healthz answers 200 while the process can serve a request at all: no database, no Redis, so a
PostgreSQL outage never makes an orchestrator restart healthy web processes (the redirect
keeps working through the Redis buffer while PostgreSQL is down, by design).

/readyz answers 200 only when this node can do all of its job: PostgreSQL and Redis reachable,
the click stream's unread backlog and the callback inbox backlog under their thresholds
(READY_MAX_CLICK_STREAM_LAG, READY_MAX_INBOX_BACKLOG). Otherwise 503, with every check's result
in the body so an operator sees which one failed.
"""

import time
from collections.abc import Callable
from typing import Any

import redis
from django.apps import apps
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.metrics import redis_client
from core.streams import click_stream_state

Check = Callable[[], dict[str, Any]]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_redis() -> dict[str, Any]:
    client = redis_client()
    if client is None:
        return {"ok": True, "detail": "not configured (embedded mode)"}
    client.ping()
    return {"ok": True}


def check_click_stream() -> dict[str, Any]:
    client = redis_client()
    if client is None:
        return {"ok": True, "detail": "no buffer (embedded mode)"}
    state = click_stream_state(client=client)
    threshold = settings.READY_MAX_CLICK_STREAM_LAG
    result: dict[str, Any] = {
        "ok": state.lag <= threshold,
        "lag": state.lag,
        "pending": state.pending,
        "threshold": threshold,
    }
    if not state.exists:
        result["detail"] = "stream not created yet"
    return result


def check_inbox_backlog() -> dict[str, Any]:
    CallbackInbox = apps.get_model("tracking", "CallbackInbox")
    threshold = settings.READY_MAX_INBOX_BACKLOG
    # Counting past the threshold tells nothing more and would cost a scan when far behind.
    backlog = (
        CallbackInbox.objects.filter(state=CallbackInbox.State.RECEIVED)
        .order_by()
        .values("id")[: threshold + 1]
        .count()
    )
    return {"ok": backlog <= threshold, "backlog": backlog, "threshold": threshold}


CHECKS: dict[str, Check] = {
    "database": check_database,
    "redis": check_redis,
    "click_stream": check_click_stream,
    "inbox_backlog": check_inbox_backlog,
}


def _run(check: Check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check()
    except (DatabaseError, redis.RedisError) as exc:
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results = {name: _run(check) for name, check in CHECKS.items()}
    ready = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
