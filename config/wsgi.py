"""WSGI entry point. The click paths are answered by a lean handler before Django's stack
(tracking/clicks/wsgi.py); everything else is plain Django."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from tracking.clicks.wsgi import click_paths_first  # noqa: E402  (needs Django set up)

application = click_paths_first(django_application)
