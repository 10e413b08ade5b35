"""`/api/v1/schema/`: each role's OpenAPI schema, built once per process and then served as bytes.

Building the schema (drf-spectacular walks every view and serializer) and rendering it (about
850 KB) cost about 2 s of CPU, and the endpoint is open to anyone, as API docs are: left as
drf-spectacular serves it, each anonymous request within the rate limit burnt 2 s of a web
node's CPU. The schema only changes with the code, so it is kept per process, keyed by what
shapes it: the caller's role (accounts/api_roles.py RoleFieldsSerializer, the role hooks of
config/schema.py) and the renderer. Nothing a caller sends can add a key: `?lang=` is not
honoured (the API is described in English only) and `?version=` neither (v1 is in the path).
A settings change (tests' override_settings) empties it.
"""

import threading
from typing import Any

from django.core.signals import setting_changed
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView

from accounts.selectors import user_role

_served: dict[tuple[Any, ...], bytes] = {}
_lock = threading.Lock()


def _forget(**_: Any) -> None:
    with _lock:
        _served.clear()


setting_changed.connect(_forget)


class SchemaView(SpectacularAPIView):
    def _get_version_parameter(self, request) -> None:
        return None

    @extend_schema(exclude=True)  # as drf-spectacular's own view: the schema is not an operation
    def get(self, request, *args, **kwargs):
        renderer = request.accepted_renderer
        user = request.user
        # Superusers are managers to the serializers, but the role hooks read `role` itself.
        key = (user_role(user), getattr(user, "role", None), type(renderer))
        content = _served.get(key)
        if content is None:
            with _lock:
                content = _served.get(key)
                if content is None:
                    schema = self._get_schema_response(request).data
                    content = renderer.render(
                        schema, renderer.media_type, self.get_renderer_context()
                    )
                    _served[key] = content
        content_type = renderer.media_type
        if renderer.charset:
            content_type += f"; charset={renderer.charset}"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{self._get_filename(request, None)}"'
        return response
