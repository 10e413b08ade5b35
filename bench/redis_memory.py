#!/usr/bin/env python3
"""Redis memory per click: a buffered stream entry and a 24 h repeat marker (docs/scaling.md).

    .venv/bin/python bench/redis_memory.py [--n 100000]

Starts its own redis-server (scripts/with_services.py), writes N repeat markers shaped like the
redirect's (`affnet:uniq:<32 hex>`, SET NX EX 86400) and N stream entries with a representative
click payload, and prints used_memory growth per item.
"""

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def grow(client: redis.Redis, n: int, write) -> float:
    before = client.info("memory")["used_memory"]
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        write(pipe, i)
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    return (client.info("memory")["used_memory"] - before) / n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    payload = json.dumps(CLICK)
    with tempfile.TemporaryDirectory() as workdir, throwaway_redis(Path(workdir)) as url:
        client = redis.Redis.from_url(url)
        marker = grow(
            client,
            args.n,
            lambda pipe, i: pipe.set(
                "affnet:uniq:" + hashlib.blake2b(str(i).encode(), digest_size=16).hexdigest(),
                1,
                ex=86400,
                nx=True,
            ),
        )
        entry = grow(client, args.n, lambda pipe, i: pipe.xadd("affnet:clicks", {"c": payload}))
        print(f"redis {client.info('server')['redis_version']}, n={args.n}")
        print(f"repeat marker: {marker:.0f} bytes each")
        print(f"stream entry ({len(payload)}-byte click payload): {entry:.0f} bytes each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
