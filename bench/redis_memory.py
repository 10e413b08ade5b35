#!/usr/bin/env python3
"""Redis memory per click: the 24 h repeat markers (before and after day buckets) and a buffered
stream entry (docs/scaling.md).

    .venv/bin/python bench/redis_memory.py [--n 1000000] [--buckets N]

Starts its own redis-server (scripts/with_services.py) and, for N distinct visitors:

1. baseline: one key per marker, as the redirect kept them before (`affnet:uniq:<32 hex>`,
   SET NX EX 86400);
2. day buckets, as tracking/clicks/buffer.py keeps them now: the real append script
   (APPEND_LUA) run for each visitor, two days of them (markers live until the end of the day
   after their own, when they stop being read as "yesterday"), the stream entries it also adds
   deleted again; the figure is the memory held per distinct visitor a day in that steady state;
3. false repeats: visitors the script called repeats although each was new (a 32-bit field
   shared by two visitors in one bucket), counted over both days;
4. Redis CPU per append (INFO commandstats), baseline script (SET NX EX + XADD) beside the
   bucketed one;
5. a stream entry with a representative click payload.

--buckets defaults to N / 100 (the sizing docs/scaling.md gives); N / 30 and the settings
default (65,536) are measured too.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
import redis  # noqa: E402

from scripts.with_services import throwaway_redis  # noqa: E402

CLICK = {
    "id": "01JD3ZK7V8Q5W6X7Y8Z9A0B1C2",
    "t": 1732391000.123,
    "o": 12,
    "p": 34,
    "l": 56,
    "ip": "203.0.113.77",
    "ua": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "r": "https://news.example/article",
    "cc": "DE",
    "dv": "desktop",
    "s": ["a", "b", "", "", ""],
    "src": "feed",
    "fr": "",
}
# The script the redirect ran before day buckets (git show 4252170:tracking/clicks/buffer.py).
BASELINE_LUA = """
local unique = 0
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then unique = 1 end
redis.call('XADD', KEYS[1], '*', 'd', ARGV[1], 'u', unique, 'c', 0)
return {unique, 0}
"""
DAY = 86_400
START = 1_796_083_200  # 2026-12-01 00:00:00 UTC
BATCH = 5000


def digest(i: int, salt: str) -> str:
    return hashlib.blake2b(f"{salt}{i}".encode(), digest_size=16).hexdigest()


def used(client: redis.Redis) -> int:
    return client.info("memory")["used_memory"]


def script_usec(client: redis.Redis) -> float:
    stats = client.info("commandstats")
    return (stats.get("cmdstat_evalsha") or stats.get("cmdstat_eval"))["usec_per_call"]


def baseline(client: redis.Redis, n: int) -> tuple[float, float]:
    client.flushall()
    client.config_resetstat()
    before = used(client)
    script = client.register_script(BASELINE_LUA)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        keys = ["bench:stream", "affnet:uniq:" + digest(i, "a")]
        script(keys=keys, args=["{}", DAY], client=pipe)
        if i % BATCH == BATCH - 1:
            pipe.execute()
            client.delete("bench:stream")
    pipe.execute()
    client.delete("bench:stream")
    return (used(client) - before) / n, script_usec(client)


def buckets(client: redis.Redis, n: int, count: int) -> tuple[float, float, int, str]:
    """Two days of n visitors each through APPEND_LUA; bytes per distinct visitor a day, Redis
    us per append, false repeats, encoding of one bucket."""
    from django.test import override_settings

    from tracking.clicks.buffer import APPEND_LUA, append_keys

    client.flushall()
    client.config_resetstat()
    before = used(client)
    script = client.register_script(APPEND_LUA)
    false_repeats = 0
    with override_settings(CLICK_STREAM_KEY="bench:stream", CLICK_UNIQUE_BUCKETS=count):
        for day, salt in ((0, "b"), (1, "c")):
            pipe = client.pipeline(transaction=False)
            for i in range(n):
                now = START + day * DAY + (i * DAY) // n
                keys, marker = append_keys(repeat_key=digest(i, salt), cap_flag_keys=[], now=now)
                args = ["{}", marker.field, marker.second, marker.expire_at, 0]
                script(keys=keys, args=args, client=pipe)
                if i % BATCH == BATCH - 1 or i == n - 1:
                    false_repeats += sum(1 for unique, _capped in pipe.execute() if not unique)
                    client.delete("bench:stream")
        encoding = client.object("encoding", marker.today).decode()
    return (used(client) - before) / n, script_usec(client), false_repeats, encoding


def stream_entry(client: redis.Redis, n: int) -> float:
    client.flushall()
    payload = json.dumps(CLICK)
    before = used(client)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.xadd("affnet:clicks", {"c": payload})
        if i % BATCH == BATCH - 1:
            pipe.execute()
    pipe.execute()
    return (used(client) - before) / n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000, help="distinct visitors a day")
    parser.add_argument("--buckets", type=int, help="CLICK_UNIQUE_BUCKETS (default n / 100)")
    args = parser.parse_args()
    django.setup()
    sized = args.buckets or max(1, args.n // 100)
    with tempfile.TemporaryDirectory() as workdir, throwaway_redis(Path(workdir)) as url:
        client = redis.Redis.from_url(url)
        print(f"redis {client.info('server')['redis_version']}, {args.n:,} distinct visitors a day")
        old_bytes, old_usec = baseline(client, args.n)
        print(
            f"baseline, one key per marker: {old_bytes:.0f} bytes per distinct visitor a day, "
            f"{old_usec:.2f} us Redis CPU per append"
        )
        for count in dict.fromkeys((sized, max(1, args.n // 30), 65_536)):
            new_bytes, new_usec, false_repeats, encoding = buckets(client, args.n, count)
            print(
                f"day buckets, {count:,} a day ({args.n // count:,} markers each, {encoding}): "
                f"{new_bytes:.1f} bytes per distinct visitor a day held (two days kept) = "
                f"{new_bytes / old_bytes:.2f} x baseline; {new_usec:.2f} us Redis CPU per append "
                f"= {new_usec / old_usec:.2f} x baseline; false repeats {false_repeats} of "
                f"{2 * args.n:,} ({false_repeats / (2 * args.n):.6%})"
            )
        entry = stream_entry(client, min(args.n, 100_000))
        print(f"stream entry ({len(json.dumps(CLICK))}-byte click payload): {entry:.0f} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
