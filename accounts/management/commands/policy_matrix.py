"""`manage.py policy_matrix [--write]`: print the money policy as docs/security.md shows it."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.policy_doc import SECURITY_DOC, security_doc_with_matrix


class Command(BaseCommand):
    help = "Print the money policy matrix (markdown); --write refreshes docs/security.md."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="Rewrite docs/security.md.")

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / SECURITY_DOC
        text = security_doc_with_matrix(path.read_text())
        if options["write"]:
            path.write_text(text)
            self.stdout.write(f"wrote {path}")
        else:
            self.stdout.write(text)
