import os
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError, CommandParser, SystemCheckError
from django.core.management.commands.runserver import Command as RunserverCommand
from django.db import connections
from django.utils import autoreload

from django_fastapi.application import get_application, get_asgi_application
from django_fastapi.conf import SERVERS, api_settings
from django_fastapi.core.pools import close_pools
from django_fastapi.routing.discovery import watch_api_modules
from django_fastapi.routing.dispatch import pass_static_to_workers, runserver_static
from django_fastapi.server.preflight import banner, validate
from django_fastapi.server.reloader import run_with_reloader
from django_fastapi.server.servers import (
    GRANIAN_RELOADER,
    LOG_LEVELS,
    ServeOptions,
    prepare_environment,
    resolve_server,
)


class Command(RunserverCommand):
    help = (
        "Serve the project with uvicorn, hypercorn or granian: the FastAPI routes and, on the same port, "
        "Django's admin, views and (under DEBUG) static files."
    )
    requires_system_checks = []
    # Set by runserver's handle() from addrport; django-stubs does not declare them.
    addr: str
    port: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", help="Port, or address:port, e.g. 8001, 0.0.0.0:8001, [::1]:8001 (default: 127.0.0.1:8000).")
        parser.add_argument("--ipv6", "-6", action="store_true", dest="use_ipv6", help="Use an IPv6 address (default ::1).")
        parser.add_argument("--noreload", action="store_false", dest="use_reloader", default=None, help="Do not reload on code changes (the default when DEBUG is False, with --workers, and with granian).")
        parser.add_argument("--server", choices=SERVERS, help="ASGI server (default: FASTAPI_SERVER, else uvicorn if installed, else hypercorn). granian runs without the autoreloader.")
        parser.add_argument("--workers", type=int, default=1, help="Worker processes (default: %(default)s).")
        parser.add_argument("--root-path", default=None, help="ASGI root_path, when served under a sub-path by a proxy (default: FASTAPI_ROOT_PATH).")
        parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="Server log level (default: %(default)s).")
        parser.add_argument("--proxy-headers", action="store_true", help="Trust X-Forwarded-* headers from the proxy for the client address and scheme.")
        parser.add_argument("--forwarded-allow-ips", default=None, help="uvicorn and granian: comma-separated proxy IPs to trust with --proxy-headers (default: 127.0.0.1).")
        parser.add_argument("--uds", metavar="PATH", help="Bind to this Unix domain socket instead of a TCP port.")
        parser.add_argument("--ssl-certfile", metavar="FILE", help="TLS certificate file (with --ssl-keyfile).")
        parser.add_argument("--ssl-keyfile", metavar="FILE", help="TLS private key file (with --ssl-certfile).")
        parser.add_argument("--http2", action="store_true", help="Offer HTTP/2 (hypercorn and granian).")
        parser.add_argument("--nostatic", action="store_false", dest="use_static_handler", help="Do not serve static files (served under DEBUG when django.contrib.staticfiles is installed).")
        parser.add_argument("--insecure", action="store_true", dest="insecure_serving", help="Serve static files even when DEBUG is False.")
        parser.add_argument("--access-log", action="store_true", default=None, help="Also print the server's own access log (off: the bridge logs each request to 'django_fastapi.server').")
        parser.add_argument("--graceful-timeout", type=float, default=None, metavar="SECONDS", help="After SIGTERM or SIGINT, how long in-flight requests may take before their connections are closed (default: FASTAPI_GRACEFUL_TIMEOUT, 30).")
        parser.add_argument("--max-requests", type=int, default=None, metavar="N", help="Recycle a worker after N requests (with --workers 2 or more it is replaced, in-flight requests finish; with one worker the server exits, for a process manager to restart).")
        parser.add_argument("--max-requests-jitter", type=int, default=0, metavar="J", help="Add 0 to J (random) to --max-requests per worker, so that workers do not recycle together.")
        parser.add_argument("--max-rss", type=int, default=None, metavar="MIB", help="Recycle a worker whose resident memory exceeds MIB mebibytes: it finishes its in-flight requests and (with --workers 2 or more) is replaced.")
        parser.add_argument("--skip-checks", action="store_true", help="Skip system checks.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.server = resolve_server(options["server"])
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if options["use_reloader"] is None:
            # A server that exits after --max-requests would leave the reloader waiting; granian's
            # supervisor needs the main thread, which the autoreloader keeps.
            options["use_reloader"] = (
                settings.DEBUG and options["workers"] == 1 and options["max_requests"] is None
                and options["max_rss"] is None and self.server.runs_in_thread
            )
        autoreload.autoreload_started.connect(watch_api_modules, dispatch_uid="django_fastapi_api_modules")
        super().handle(*args, **options)

    def run(self, **options: Any) -> None:
        # Bad options end here, in the process the user started, before any autoreloader: one line
        # and exit status 1 in every mode.
        if options["use_reloader"] and not self.server.runs_in_thread:
            raise CommandError(GRANIAN_RELOADER)
        try:
            serve_options = self.serve_options(options)
            validate(self.server, serve_options)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if options["use_reloader"]:
            run_with_reloader(self.inner_run, serve_options.graceful_timeout, **options)
        else:
            self.inner_run(None, **options)

    def fail(self, message: str, options: dict[str, Any]) -> None:
        """Under the autoreloader this runs in a thread, where raising would leave the process
        waiting for a file change: say it and exit, as runserver does."""
        if options["use_reloader"]:
            self.stderr.write(f"CommandError: {message}")
            os._exit(1)
        raise CommandError(message)

    def serve_options(self, options: dict[str, Any]) -> ServeOptions:
        return ServeOptions(
            host=self.addr,
            port=int(self.port),
            uds=options["uds"],
            workers=options["workers"],
            root_path=api_settings.ROOT_PATH if options["root_path"] is None else options["root_path"],
            log_level=options["log_level"],
            proxy_headers=options["proxy_headers"],
            forwarded_allow_ips=options["forwarded_allow_ips"],
            ssl_certfile=options["ssl_certfile"],
            ssl_keyfile=options["ssl_keyfile"],
            http2=options["http2"],
            access_log=options["access_log"],
            graceful_timeout=(
                api_settings.GRACEFUL_TIMEOUT if options["graceful_timeout"] is None else options["graceful_timeout"]
            ),
            max_requests=options["max_requests"],
            max_requests_jitter=options["max_requests_jitter"],
            max_rss=options["max_rss"],
            extra=api_settings.SERVER_OPTIONS.get(self.server.name, {}),
        )

    def inner_run(self, *args: Any, **options: Any) -> None:
        autoreload.raise_last_exception()
        if not options["skip_checks"]:
            self.stdout.write("Performing system checks...\n\n")
            try:
                self.check(display_num_errors=True)
            except SystemCheckError as exc:
                if not options["use_reloader"]:
                    raise
                self.stderr.write(f"{exc}\nWaiting for a file change to try again.")
                return
        self.check_migrations()
        connections.close_all()
        serve_options = self.serve_options(options)
        if self.server.imports_app(serve_options):
            # The workers open their own; this process only supervises them.
            close_pools()
        serve_static = runserver_static(
            use_static_handler=options["use_static_handler"], insecure=options["insecure_serving"]
        )
        try:
            validate(self.server, serve_options)
        except ImproperlyConfigured as exc:
            self.fail(str(exc), options)
        prepare_environment(self.server, serve_options)
        try:
            app = get_asgi_application(serve_static=serve_static)
            if self.server.imports_app(serve_options):
                pass_static_to_workers(serve_static)
        except ImproperlyConfigured as exc:
            if not options["use_reloader"]:
                raise CommandError(str(exc)) from exc
            # The project's code is broken (an api module, a setting): say so and wait for the
            # fix; the autoreloader restarts the server when a watched file changes.
            self.stderr.write(f"Error: {exc}\nWaiting for a file change to try again.")
            return
        docs_url = get_application().docs_url
        self.stdout.write(banner(self.server, serve_options, docs_url, settings.SETTINGS_MODULE))
        try:
            self.server.serve(app, serve_options)
        except KeyboardInterrupt:
            # uvicorn re-raises SIGINT after its graceful shutdown; end as runserver does.
            if options.get("shutdown_message"):
                self.stdout.write(options["shutdown_message"])
            sys.exit(0)
