from django.apps import AppConfig


class OpsEdgeConfig(AppConfig):
    """ops as a Django app, only so its management command (seed_demo) is found. No models.
    The label "ops" is config's (config/apps.py), hence this one."""

    name = "ops"
    label = "ops_edge"
    verbose_name = "Operations edge"
