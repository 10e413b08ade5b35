"""WSGI entry point. The click paths (tracking/clicks/wsgi.py) and the conversion callback paths
(tracking/callbacks/wsgi.py) are answered by lean handlers before Django's stack; everything
else is plain Django."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from tracking.callbacks.wsgi import callback_paths_first  # noqa: E402  (needs Django set up)
from tracking.clicks.wsgi import click_paths_first  # noqa: E402

application = click_paths_first(callback_paths_first(django_application))
