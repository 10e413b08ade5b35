"""`manage.py fx_rates_load <file>`: store exchange rates from a file the operator chooses.

The ECB's reference rates (eurofxref-daily.xml, eurofxref-hist-90d.xml: 1 EUR = rate X) or a
CSV with the header `date,base,quote,rate`. Nothing is fetched: download the file yourself (or
from a cron job) and load it. A file that does not read is refused whole and nothing is stored.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from payouts.fx import FxFileError, fx_rates_parse, fx_rates_store


class Command(BaseCommand):
    help = "Load exchange rates from an ECB eurofxref XML file or a date,base,quote,rate CSV."

    def add_arguments(self, parser):
        parser.add_argument("path", help="eurofxref-daily.xml (or -hist) or a CSV of rates")

    def handle(self, *args, path: str, **options):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}.") from exc
        try:
            rows = fx_rates_parse(text=text)
        except FxFileError as exc:
            raise CommandError(f"{path}: {exc.message} Nothing was loaded.") from exc
        with transaction.atomic():
            stored = fx_rates_store(rows=rows, source=Path(path).name[:64])
        days = sorted({row.date for row in rows})
        self.stdout.write(f"Loaded {stored} rates for {days[0]}..{days[-1]} from {path}.")
