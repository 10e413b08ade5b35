from django.apps import AppConfig


class AffiliatesConfig(AppConfig):
    name = "affiliates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models are loaded only now.
        from accounts.personal_data import personal_data_register
        from affiliates.personal_data import (
            publisher_personal_data,
            publisher_personal_data_erase,
        )

        personal_data_register(export=publisher_personal_data, erase=publisher_personal_data_erase)
