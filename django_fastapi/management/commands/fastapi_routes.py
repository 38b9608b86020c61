import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_fastapi.application import get_application
from django_fastapi.openapi.export import document_names, schema_is_current, write_openapi
from django_fastapi.routing.routes import filter_routes, format_table, route_table


class Command(BaseCommand):
    help = "List every route of the project's FastAPI application, or write or check an OpenAPI schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["table", "json"], default="table", help="Output format (default: %(default)s).")
        parser.add_argument("--app", metavar="LABEL", help="Only routes contributed by this app label.")
        parser.add_argument("--method", metavar="METHOD", help="Only routes answering this HTTP method, e.g. GET.")
        parser.add_argument("--openapi", action="store_true", help="Write the OpenAPI schema (JSON) instead of the route list.")
        parser.add_argument("--output", metavar="FILE", help="With --openapi: write to FILE instead of standard output.")
        parser.add_argument(
            "--document", metavar="NAME", default="default",
            help="With --openapi or --check: the audience or API version document (default: %(default)s).",
        )
        parser.add_argument("--check", metavar="FILE", help="Exit 1 if FILE differs from the live OpenAPI schema (for CI).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["output"] and not options["openapi"]:
            raise CommandError("--output goes with --openapi: manage.py fastapi_routes --openapi --output schema.json")
        if options["document"] not in document_names():
            raise CommandError(
                f"No OpenAPI document {options['document']!r}. Documents: {', '.join(document_names())}."
            )
        app = get_application()
        if options["check"]:
            try:
                current = schema_is_current(app, options["check"], options["document"])
            except OSError as exc:
                raise CommandError(f"Cannot read {options['check']!r}: {exc.strerror}.") from exc
            if not current:
                raise CommandError(
                    f"{options['check']} differs from the live {options['document']!r} OpenAPI schema. "
                    f"Regenerate it: manage.py fastapi_routes --openapi --document {options['document']} "
                    f"--output {options['check']}",
                    returncode=1,
                )
            self.stderr.write(f"{options['check']} matches the live {options['document']!r} OpenAPI schema.")
            return
        if options["openapi"]:
            written = write_openapi(app, options["output"] or self.stdout, options["document"])
            if options["output"]:
                self.stderr.write(f"Wrote the OpenAPI schema ({written} bytes) to {options['output']}")
            return
        table = route_table(app)
        if options["app"] is not None and options["app"] not in {route.app for route in table}:
            known = sorted({route.app for route in table if route.app})
            raise CommandError(f"No routes from app {options['app']!r}. Apps with routes: {', '.join(known) or 'none'}.")
        table = filter_routes(table, app=options["app"], method=options["method"])
        if options["format"] == "json":
            self.stdout.write(json.dumps([route.as_dict() for route in table], indent=2))
        else:
            self.stdout.write(format_table(table))
