"""`manage.py postback_secrets_reencrypt`: every postback secret under the newest key.

Run after putting a new key first in CALLBACK_SECRET_KEYS; then the old key can be dropped.
"""

from django.core.management.base import BaseCommand, CommandError

from offers.secret_box import SecretUnreadableError
from offers.services import advertiser_postback_secrets_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt advertisers' postback secrets under the first CALLBACK_SECRET_KEYS key."

    def handle(self, *args, **options):
        try:
            changed = advertiser_postback_secrets_reencrypt()
        except SecretUnreadableError as exc:
            raise CommandError(f"{exc}: keep the old key in CALLBACK_SECRET_KEYS") from exc
        self.stdout.write(f"Re-encrypted {changed} postback secrets under the newest key.")
