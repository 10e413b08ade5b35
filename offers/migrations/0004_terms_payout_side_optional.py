from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0003_advertiser_postback_secret_encrypted"),
    ]

    operations = [
        migrations.AlterField(
            model_name="terms",
            name="payout_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("cpa_flat", "CPA flat"),
                    ("revshare", "Revenue share %"),
                    ("cpa_plus_revshare", "CPA + revenue share %"),
                    ("cpc", "CPC (per unique click)"),
                ],
                default="",
                max_length=24,
            ),
        ),
    ]
