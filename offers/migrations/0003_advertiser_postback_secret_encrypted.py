from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0002_goal_pixels_amount_limit_offer_fallback_clicks"),
    ]

    operations = [
        migrations.AddField(
            model_name="advertiser",
            name="postback_secret_encrypted",
            field=models.TextField(blank=True),
        ),
    ]
