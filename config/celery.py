import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# tracking's tasks are a package of one module per queue, and the package imports none of them
# (tracking/tasks/__init__.py), so autodiscovery, which imports each app's `tasks`, would find
# none: the worker imports them by name. Task names are set on each task (name=), never derived.
TRACKING_TASK_MODULES = [
    "tracking.tasks.attribution",
    "tracking.tasks.callback_spool",
    "tracking.tasks.clicks",
    "tracking.tasks.postbacks",
    "tracking.tasks.retention",
    "tracking.tasks.traffic",
]

app = Celery("affnet", include=TRACKING_TASK_MODULES)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
@worker_process_init.connect
def gc_freeze_startup_objects(**kwargs) -> None:
    """Move what start-up allocated (Django, models, Celery: ~120k objects) out of the cyclic
    collector's reach. An attribution batch allocates enough to trigger full collections, each
    of which would otherwise walk all of it: ~10% of a batch (bench/attribution.py measures it).
    worker_ready is the solo pool's process, worker_process_init each prefork child."""
    gc.collect()
    gc.freeze()
