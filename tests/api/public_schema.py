"""The public OpenAPI schema as drf-spectacular generates it (no request), made once per test
process: generating it walks every view and serializer (about 0.7 s of CPU each time), and the
schema tests read it many times. Each call answers a fresh copy, so a test may change its own."""

import functools
import json

from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer


@functools.cache
def _rendered() -> bytes:
    return JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True))


def public_schema() -> dict:
    """`SchemaGenerator().get_schema(request=None, public=True)` as JSON reads it."""
    return json.loads(_rendered())
