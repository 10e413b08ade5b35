import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("affnet")
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
