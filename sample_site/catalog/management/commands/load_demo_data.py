from django.core.management.base import BaseCommand

from catalog.demo import DEMO_PASSWORD, DEMO_USERNAME, load_demo_data


class Command(BaseCommand):
    help = "Create demo authors, books and the 'demo' superuser; safe to run repeatedly."

    def handle(self, *args: object, **options: object) -> None:
        created = load_demo_data()
        for kind, count in created.items():
            self.stdout.write(f"{kind}: {count} created")
        if created["users"]:
            self.stdout.write(
                f"Log in to /admin/ as {DEMO_USERNAME!r} with password {DEMO_PASSWORD!r}."
            )
