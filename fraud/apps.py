from django.apps import AppConfig


class FraudConfig(AppConfig):
    """Traffic quality: signals, rules per offer and the review queue.

    Tracking calls in (the ingester and attribution); the portal and the API read it.
    """

    name = "fraud"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each module registers its signals into fraud.signals.REGISTRY when imported.
        # network_signals: hosting network, traffic source vs the offer's terms, payee links.
        from fraud import network_signals, traffic  # noqa: F401
