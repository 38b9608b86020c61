from typing import Any

from django.core.management.base import BaseCommand

from catalog.demo import DEMO_PASSWORD, DEMO_USERNAME, demo_token, load_demo_data


class Command(BaseCommand):
    help = "Create demo authors, books, the 'demo' superuser and its API token; safe to run repeatedly."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the site is served, for the curl example.")

    def handle(self, *args: object, **options: Any) -> None:
        created = load_demo_data()
        for kind, count in created.items():
            self.stdout.write(f"{kind}: {count} created")
        if created["users"]:
            self.stdout.write(
                f"Log in to /admin/ as {DEMO_USERNAME!r} with password {DEMO_PASSWORD!r}."
            )
        self.stdout.write(f"API token of {DEMO_USERNAME!r}: {demo_token()}")
        url = options["url"]
        self.stdout.write(f'  curl -H "Authorization: Bearer {demo_token()}" {url}/api/auth/me')
