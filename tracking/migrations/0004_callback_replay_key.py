from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0003_clicks_partitioned_impressions"),
    ]

    operations = [
        migrations.CreateModel(
            name="CallbackReplayKey",
            fields=[
                (
                    "digest",
                    models.CharField(max_length=64, primary_key=True, serialize=False),
                ),
                ("advertiser_id", models.BigIntegerField(blank=True, null=True)),
                ("received_at", models.DateTimeField(db_index=True)),
            ],
        ),
    ]
