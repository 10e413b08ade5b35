"""Fixtures of the fraud tests: `net` is a network with a bad and a clean publisher on one
offer, driven through the real endpoints (tests/fraud/traffic.py)."""

from tests.fraud.traffic import fresh_redis, net  # noqa: F401
