from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Server-rendered pages for people: publishers, advertisers, finance and managers."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
