"""`manage.py seed_demo [--json]`: load the demo network (idempotent) and print its handles."""

import json

from django.core.management.base import BaseCommand

from ops.demo import demo_network_seed


class Command(BaseCommand):
    help = "Create the demo network (idempotent) and print its admin login, API keys and links."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")

    def handle(self, *args, **options):
        demo = demo_network_seed()
        if options["json"]:
            self.stdout.write(json.dumps(demo, indent=2))
            return
        admin = demo["admin"]
        self.stdout.write(f"Admin: /admin/  user {admin['username']}  password {admin['password']}")
        for key in demo["api_keys"]:
            self.stdout.write(f"Key:   {key['role']:<10} {key['name']:<22} {key['key']}")
        for offer in demo["offers"]:
            self.stdout.write(f"Offer: {offer['id']:>4} {offer['name']}")
        for publisher in demo["publishers"]:
            self.stdout.write(f"Publisher: {publisher['id']:>4} {publisher['name']}")
        for link in demo["links"]:
            self.stdout.write(
                f"Link:  offer {link['offer_id']} publisher {link['publisher_id']}  {link['url']}"
            )
