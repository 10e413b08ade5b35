"""ASGI entry point. The click paths are answered by a lean async handler before Django's
stack (tracking/clicks/asgi.py); everything else is plain Django."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from tracking.clicks.asgi import click_paths_first_asgi  # noqa: E402  (needs Django set up)

application = click_paths_first_asgi(django_application)
