from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "offers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models are loaded only now.
        from accounts.personal_data import personal_data_register
        from offers.personal_data import advertiser_personal_data, advertiser_personal_data_erase

        personal_data_register(
            export=advertiser_personal_data, erase=advertiser_personal_data_erase
        )
