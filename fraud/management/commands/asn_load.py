"""`manage.py asn_load <path>`: check an ASN database and install it at FRAUD_ASN_DB_PATH.

A GeoLite2-ASN .mmdb or an ip-to-ASN table (fraud/asn.py). Run it again with a newer file to
refresh: the file is swapped in atomically and running workers open it at their next lookup.
A file that does not read as an ASN database is refused and the installed one is kept.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fraud.asn import AsnFileError, asn_database_install


class Command(BaseCommand):
    help = "Check an ASN database (.mmdb or ip-to-ASN table) and install it as FRAUD_ASN_DB_PATH."

    def add_arguments(self, parser):
        parser.add_argument("path", help="GeoLite2-ASN .mmdb, or an ip-to-ASN TSV/CSV table")

    def handle(self, *args, path: str, **options):
        try:
            table = asn_database_install(source=path)
        except AsnFileError as exc:
            raise CommandError(f"{path}: {exc.message} Nothing was installed.") from exc
        what = "MaxMind DB nodes" if table.kind == "mmdb" else "address ranges"
        self.stdout.write(
            f"Installed {path} at {settings.FRAUD_ASN_DB_PATH} ({table.size} {what})."
        )
