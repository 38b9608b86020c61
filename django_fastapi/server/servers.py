"""Run the application under uvicorn, hypercorn or granian: the only module that imports them
(with ``compat_hypercorn``, which holds what hypercorn does not document).

All are optional extras, imported when used. With uvicorn and hypercorn one process serves the app
object; several workers need the import string ``django_fastapi.asgi:application``, which each
worker imports. granian always serves from worker processes of its own, even with one worker.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import inspect
import math
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured

from ..conf import api_settings
from ..operations.recycling import MAX_RSS_ENVIRON
from .compat_hypercorn import close_sockets, create_sockets, worker_function

IMPORT_STRING = "django_fastapi.asgi:application"
# Hypercorn evaluates the part after ":" in the module, so each worker builds the wrapped app.
HYPERCORN_PROXIED_IMPORT_STRING = "django_fastapi.asgi:hypercorn_proxied_application()"
# A factory granian calls in each worker (factory=True).
GRANIAN_PROXIED_IMPORT_STRING = "django_fastapi.asgi:granian_proxied_application"
GRANIAN_RELOADER = (
    "granian cannot run under Django's autoreloader (its supervisor needs the main thread's signal "
    "handlers): pass --noreload, or use --server uvicorn while developing."
)
# uvicorn's name for the proxies trusted with --proxy-headers, read by granian's workers too.
FORWARDED_ALLOW_IPS = "FORWARDED_ALLOW_IPS"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")

# How to stop each server that serve() runs in this process off the main thread (Django's
# autoreloader runs it in a thread), where the server cannot install signal handlers itself.
_running: list[Callable[[], object]] = []
_running_changed = threading.Condition()


@contextlib.contextmanager
def _stoppable(stop: Callable[[], object]) -> Iterator[None]:
    with _running_changed:
        _running.append(stop)
    try:
        yield
    finally:
        with _running_changed:
            _running.remove(stop)
            _running_changed.notify_all()


def stop_servers(timeout: float | None) -> bool:
    """Stop the servers running in this process's other threads as a stop signal would: no new
    connections, in-flight requests finish (within the graceful timeout), shutdown hooks run.

    Waits up to ``timeout`` seconds (``None``: as long as it takes) and returns whether all ended.
    """
    with _running_changed:
        for stop in list(_running):
            stop()
        return _running_changed.wait_for(lambda: not _running, timeout)


class ServerNotInstalled(ImproperlyConfigured):
    def __init__(self, name: str) -> None:
        self.hint = f'pip install "django-fastapi-bridge[{name}]"'
        super().__init__(f"The {name} server is not installed. Install it with: {self.hint}")


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    uds: str | None = None
    workers: int = 1
    root_path: str = ""
    log_level: str = "info"
    proxy_headers: bool = False
    forwarded_allow_ips: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    http2: bool = False
    # None: off, unless FASTAPI_SERVER_OPTIONS turns it on (the bridge logs each request itself).
    access_log: bool | None = None
    # After a stop signal, in-flight requests get this long; then their connections are closed.
    graceful_timeout: float = 30.0
    # None: as FASTAPI_SERVER_OPTIONS says (off by default).
    max_requests: int | None = None
    max_requests_jitter: int = 0
    # MiB of resident memory above which a worker stops gracefully (and is replaced).
    max_rss: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_certfile else "http"

    @property
    def url(self) -> str:
        if self.uds:
            return f"unix:{self.uds}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


class Server:
    name = ""
    module = ""
    supports_http2 = False
    # Whether it can serve from a thread other than the main one (Django's autoreloader, LiveServer).
    runs_in_thread = True

    def require(self) -> Any:
        try:
            return import_module(self.module)
        except ImportError as exc:
            raise ServerNotInstalled(self.name) from exc

    def is_installed(self) -> bool:
        try:
            self.require()
        except ServerNotInstalled:
            return False
        return True

    def version(self) -> str:
        try:
            return version(self.name)
        except PackageNotFoundError:  # pragma: no cover
            return "unknown"

    def option_names(self) -> set[str]:
        raise NotImplementedError

    def imports_app(self, options: ServeOptions) -> bool:
        """Whether the app is served from worker processes that import the entry point."""
        return options.workers > 1

    def serve(self, app: Any, options: ServeOptions) -> None:
        raise NotImplementedError


class Uvicorn(Server):
    name = module = "uvicorn"

    def option_names(self) -> set[str]:
        config = self.require().Config
        return set(inspect.signature(config.__init__).parameters) - {"self", "app"}

    def kwargs(self, options: ServeOptions) -> dict[str, Any]:
        return {
            **options.extra,
            "host": options.host,
            "port": options.port,
            "uds": options.uds,
            "workers": options.workers,
            "root_path": options.root_path,
            "log_level": options.log_level,
            "proxy_headers": options.proxy_headers,
            "forwarded_allow_ips": options.forwarded_allow_ips,
            "ssl_certfile": options.ssl_certfile,
            "ssl_keyfile": options.ssl_keyfile,
            "access_log": (
                options.extra.get("access_log", False) if options.access_log is None else options.access_log
            ),
            "lifespan": "on",
            # uvicorn waits forever by default: one client dribbling a body kept it up.
            "timeout_graceful_shutdown": options.graceful_timeout,
            **self.recycling(options),
        }

    def recycling(self, options: ServeOptions) -> dict[str, Any]:
        if options.max_requests is None:
            return {}
        names = {"limit_max_requests": options.max_requests}
        if options.max_requests_jitter:
            names["limit_max_requests_jitter"] = options.max_requests_jitter
        return names

    def serve(self, app: Any, options: ServeOptions) -> None:
        uvicorn = self.require()
        if options.workers > 1:
            uvicorn.run(IMPORT_STRING, **self.kwargs(options))
            return
        server = uvicorn.Server(uvicorn.Config(app, **self.kwargs(options)))
        # should_exit is what uvicorn's own signal handler sets; its main loop polls it.
        with _stoppable(lambda: setattr(server, "should_exit", True)):
            server.run()


class Hypercorn(Server):
    name = module = "hypercorn"
    supports_http2 = True

    def option_names(self) -> set[str]:
        config_class = import_module("hypercorn.config").Config
        names = set()
        for name in dir(config_class):
            attribute = inspect.getattr_static(config_class, name)
            if name.startswith("_") or isinstance(attribute, (classmethod, staticmethod)):
                continue
            if isinstance(attribute, property):
                if attribute.fset is not None:
                    names.add(name)
            elif not inspect.isfunction(attribute):
                names.add(name)
        return names

    def config(self, options: ServeOptions) -> Any:
        config = import_module("hypercorn.config").Config()
        for name, value in options.extra.items():
            setattr(config, name, value)
        if options.uds:
            config.bind = [f"unix:{options.uds}"]
        else:
            host = f"[{options.host}]" if ":" in options.host else options.host
            config.bind = [f"{host}:{options.port}"]
        config.workers = options.workers
        config.graceful_timeout = options.graceful_timeout
        if options.max_requests is not None:
            config.max_requests = options.max_requests
            config.max_requests_jitter = options.max_requests_jitter
        config.root_path = options.root_path
        config.loglevel = options.log_level.upper() if options.log_level != "trace" else "DEBUG"
        if options.access_log is not None:
            config.accesslog = "-" if options.access_log else None
        config.errorlog = "-"
        config.certfile = options.ssl_certfile
        config.keyfile = options.ssl_keyfile
        if not options.http2:
            config.alpn_protocols = ["http/1.1"]
        return config

    def wrap(self, app: Any, options: ServeOptions) -> Any:
        if not options.proxy_headers:
            return app
        from hypercorn.middleware import ProxyFixMiddleware

        return ProxyFixMiddleware(app, mode="legacy", trusted_hops=1)

    def serve(self, app: Any, options: ServeOptions) -> None:
        config = self.config(options)
        if options.workers > 1:
            config.application_path = (
                HYPERCORN_PROXIED_IMPORT_STRING if options.proxy_headers else IMPORT_STRING
            )
            run_hypercorn_workers(config)
            return
        from hypercorn.asyncio import serve

        asyncio.run(_serve_until_stopped(serve, self.wrap(app, options), config, options.graceful_timeout))


def run_hypercorn_workers(config: Any) -> int:
    """``hypercorn.run.run`` for several workers, except that stopping waits for all of them and
    a recycled worker is replaced.

    hypercorn's own supervisor terminates the other workers as soon as the first has exited, so
    their lifespan shutdown (closing database connections, FASTAPI_ON_SHUTDOWN hooks) was cut short
    whenever one worker finished before the others, and a worker ending after ``max_requests``
    ended the whole server. Here a worker that exits cleanly while the server is not stopping is
    replaced by a new one on the same sockets (the others keep serving meanwhile); one that fails
    stops the server. On stopping, each worker gets the graceful and lifespan shutdown timeouts
    before it is terminated.
    """
    worker = worker_function(config.worker_class)
    sockets = create_sockets(config)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    # Each worker's own stop event: set for all of them on stopping, or by the worker itself on
    # SIGTERM (--max-rss), which then stops gracefully and is replaced like a recycled one.
    own_stops: dict[Any, Any] = {}
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    # Workers inherit SIGINT ignored, as with hypercorn, so Ctrl-C on the terminal's process group
    # stops them through the event, gracefully.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def start_worker() -> Any:
        own_stop = context.Event()
        process = context.Process(
            target=_hypercorn_worker, args=(worker,),
            kwargs={"config": config, "shutdown_event": own_stop, "sockets": sockets},
        )
        process.start()
        own_stops[process] = own_stop
        return process

    workers: list[Any] = []
    try:
        workers = [start_worker() for _ in range(config.workers)]
        for sig in previous:
            signal.signal(sig, lambda *args: stop.set())
        # Until a stop signal, or a worker failing (then the others are stopped too). The timeout
        # only lets the loop see the stop event set by a signal handler.
        while not stop.is_set():
            wait([process.sentinel for process in workers], timeout=0.5)
            ended = [process for process in workers if process.exitcode is not None]
            if stop.is_set() or any(process.exitcode for process in ended):
                break
            for process in ended:  # recycled after max_requests: replace it, keep serving
                process.join()
                own_stops.pop(process, None)
                workers[workers.index(process)] = start_worker()
        stop.set()
        for own_stop in own_stops.values():
            own_stop.set()
        deadline = time.monotonic() + config.graceful_timeout + config.shutdown_timeout
        for process in workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        close_sockets(sockets)
    return next((process.exitcode for process in workers if process.exitcode), 0)


def _hypercorn_worker(worker: Any, **kwargs: Any) -> None:
    """A hypercorn worker whose SIGTERM is a graceful stop of this worker alone."""
    shutdown_event = kwargs["shutdown_event"]

    def stop_gracefully(signum: int, frame: Any) -> None:
        # Not set() here: the signal may interrupt the worker while it holds the event's lock.
        threading.Thread(target=shutdown_event.set, daemon=True).start()

    signal.signal(signal.SIGTERM, stop_gracefully)
    worker(**kwargs)


# What a stuck shutdown may take beyond the graceful timeout before the server is cancelled.
SHUTDOWN_MARGIN = 5.0


async def _serve_until_stopped(serve: Any, app: Any, config: Any, graceful_timeout: float | None) -> None:
    """hypercorn's ``serve`` stopped by SIGINT or SIGTERM, as hypercorn itself does (or, off the
    main thread, by ``stop_servers()``), with a deadline.

    On Python 3.12+ ``asyncio.Server.wait_closed()`` waits for every open connection, and hypercorn
    awaits it before applying its graceful timeout: one client dribbling a body would keep the
    server up for ever. So once stopping has taken the graceful timeout (and a margin), the server
    is cancelled.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    on_main_thread = threading.current_thread() is threading.main_thread()
    with contextlib.ExitStack() as stack:
        if on_main_thread:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
                stack.callback(loop.remove_signal_handler, signum)
        else:
            stack.enter_context(_stoppable(lambda: loop.call_soon_threadsafe(stop.set)))
        serving = asyncio.ensure_future(serve(app, config, shutdown_trigger=stop.wait))
        stopping = asyncio.ensure_future(stop.wait())
        stack.callback(stopping.cancel)
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not serving.done() and graceful_timeout is not None:
            done, _ = await asyncio.wait({serving}, timeout=graceful_timeout + SHUTDOWN_MARGIN)
            if not done:
                serving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await serving
                return
        await serving


class Granian(Server):
    """granian (HTTP in Rust, the app in Python): its own supervisor and worker processes.

    granian's supervisor must own the main thread's signal handlers, so it cannot run under
    Django's autoreloader (runfastapi defaults to --noreload with it). Workers start with the
    "spawn" method, as uvicorn's and hypercorn's do: a forked copy of the command's process would
    inherit its database connections and threads.
    """

    name = module = "granian"
    supports_http2 = True
    runs_in_thread = False

    def option_names(self) -> set[str]:
        self.require()
        server_class = import_module("granian.server").Server
        return set(inspect.signature(server_class.__init__).parameters) - {"self", "target"}

    def imports_app(self, options: ServeOptions) -> bool:
        return True

    def kwargs(self, options: ServeOptions) -> dict[str, Any]:
        from granian.constants import HTTPModes, Interfaces
        from granian.log import LogLevels

        names: dict[str, Any] = {
            **options.extra,
            "interface": Interfaces.ASGI,
            "workers": options.workers,
            "url_path_prefix": options.root_path or None,
            "log_level": LogLevels("debug" if options.log_level == "trace" else options.log_level),
            "log_access": (
                options.extra.get("log_access", False) if options.access_log is None else options.access_log
            ),
            "http": HTTPModes.auto if options.http2 else HTTPModes.http1,
            # granian counts whole seconds; 0 would mean waiting for ever.
            "workers_kill_timeout": max(1, math.ceil(options.graceful_timeout)),
        }
        if options.uds:
            names["uds"] = Path(options.uds)
        else:
            names.update(address=options.host, port=options.port)
        if options.ssl_certfile:
            names.update(ssl_cert=Path(options.ssl_certfile), ssl_key=Path(cast(str, options.ssl_keyfile)))
        if options.max_rss is not None:
            # granian's own monitor: a worker above the ceiling is replaced gracefully.
            names.update(workers_max_rss=options.max_rss, rss_sample_interval=1)
        if options.proxy_headers:
            names["factory"] = True
        return names

    def serve(self, app: Any, options: ServeOptions) -> None:
        self.require()
        if threading.current_thread() is not threading.main_thread():
            raise ImproperlyConfigured(GRANIAN_RELOADER)
        if options.proxy_headers and options.forwarded_allow_ips:
            os.environ[FORWARDED_ALLOW_IPS] = options.forwarded_allow_ips
        target = GRANIAN_PROXIED_IMPORT_STRING if options.proxy_headers else IMPORT_STRING
        multiprocessing.set_start_method("spawn", force=True)
        import_module("granian.server").Server(target, **self.kwargs(options)).serve()


def granian_proxied(app: Any) -> Any:
    """``app`` behind granian's proxy-headers wrapper, trusting FORWARDED_ALLOW_IPS (127.0.0.1)."""
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    return wrap_asgi_with_proxy_headers(app, trusted_hosts=os.environ.get(FORWARDED_ALLOW_IPS, "127.0.0.1"))


SERVERS: dict[str, Server] = {"uvicorn": Uvicorn(), "hypercorn": Hypercorn(), "granian": Granian()}


def default_server() -> str:
    """FASTAPI_SERVER, else uvicorn when installed, else hypercorn."""
    configured = api_settings.SERVER
    if configured:
        return configured
    for name in ("uvicorn", "hypercorn"):
        if SERVERS[name].is_installed():
            return name
    raise ImproperlyConfigured(
        'Neither uvicorn nor hypercorn is installed. Install one: pip install "django-fastapi-bridge[uvicorn]"'
    )


def unknown_options(server: str, options: dict[str, Any]) -> list[str]:
    """Option names the server does not have (hypercorn would silently accept them)."""
    known = SERVERS[server].option_names()
    return sorted(name for name in options if name not in known)


# prometheus-client's multiprocess mode: every worker writes its metrics to files there.
PROMETHEUS_MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def prepare_environment(server: Server, options: ServeOptions) -> None:
    """What the worker processes (and the app, built next) read from the environment.

    Before the app is built: the memory ceiling, and for metrics with several workers an empty
    directory of this run's own (removed at exit) unless PROMETHEUS_MULTIPROC_DIR names one.
    """
    if options.max_rss is not None and not isinstance(server, Granian):
        os.environ[MAX_RSS_ENVIRON] = str(options.max_rss)
    if (server.imports_app(options) and api_settings.METRICS_URL
            and not os.environ.get(PROMETHEUS_MULTIPROC_DIR)):
        directory = tempfile.mkdtemp(prefix="django_fastapi-metrics-")
        os.environ[PROMETHEUS_MULTIPROC_DIR] = directory
        atexit.register(shutil.rmtree, directory, ignore_errors=True)


def serve(server: str, app: Any, options: ServeOptions) -> None:
    SERVERS[server].serve(app, options)


def resolve_server(requested: str | None) -> Server:
    name = requested or default_server()
    server = SERVERS[name]
    server.require()
    return server
