"""`config` as a Django app, only so start-up wiring runs in every process (web and workers).

Registers the deployment checks (config/checks.py) and connects the Celery signal handlers that
count task failures and retries (core/metrics.py). It has no models.
"""

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "config"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from celery.signals import task_failure, task_retry

        from config import checks  # noqa: F401  (registers the checks)
        from core.metrics import celery_task_failed, celery_task_retried

        task_failure.connect(celery_task_failed, dispatch_uid="affnet.metrics.task_failure")
        task_retry.connect(celery_task_retried, dispatch_uid="affnet.metrics.task_retry")
