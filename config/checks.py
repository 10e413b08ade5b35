"""Deployment checks (`manage.py check --deploy`) for what Django's own checks cannot know.

The click buffer lives in Redis: a Redis that evicts keys under memory pressure would silently
drop redirected clicks, breaking "a redirected click is recorded exactly once". So production
Redis must run with `maxmemory-policy noeviction` (deploy/redis.conf); with it, a full Redis
refuses writes loudly instead. The click buffer refuses to start on an evicting Redis too; this
check tells the operator before traffic arrives.
"""

from typing import Any

import redis
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from core.metrics import redis_client

TAG = "affnet"


@register(TAG, deploy=True)
def check_production_services(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if settings.EMBEDDED:
        messages.append(
            Warning(
                "DATABASE_URL is unset: the embedded SQLite mode is for trying the network out, "
                "not for production.",
                hint="Set DATABASE_URL to a PostgreSQL URL (deploy/env.example).",
                id="affnet.W001",
            )
        )
    if not settings.REDIS_URL:
        messages.append(
            Warning(
                "REDIS_URL is unset: no click buffer, no shared cache, a file-system broker.",
                hint="Set REDIS_URL (deploy/env.example, deploy/redis.conf).",
                id="affnet.W002",
            )
        )
    return messages


def redis_eviction_policy(client: redis.Redis) -> str:
    # INFO, not CONFIG GET: managed Redis services often disable CONFIG but keep INFO.
    return str(client.info("memory").get("maxmemory_policy", "unknown"))


@register(TAG, deploy=True)
def check_redis_does_not_evict(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    client = redis_client()
    if client is None:
        return []
    try:
        policy = redis_eviction_policy(client)
    except redis.RedisError as exc:
        return [
            Warning(
                f"Could not read Redis's maxmemory-policy: {exc}",
                hint="Is REDIS_URL reachable from here? The policy must be noeviction.",
                id="affnet.W003",
            )
        ]
    if policy != "noeviction":
        return [
            Error(
                f"Redis maxmemory-policy is {policy!r}: it may evict buffered clicks.",
                hint="Set `maxmemory-policy noeviction` (deploy/redis.conf).",
                id="affnet.E001",
            )
        ]
    return []
