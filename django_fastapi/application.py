"""Build the one FastAPI application that serves every discovered router."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError
from django.utils.module_loading import import_string
from fastapi import APIRouter, Depends, FastAPI
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from starlette.types import ASGIApp

from .conf import api_settings
from .core.compat_fastapi import routes_version
from .core.django_middleware import DjangoMiddleware
from .core.django_request import DjangoRequestMiddleware
from .core.exceptions import (
    DJANGO_EXCEPTION_HANDLERS,
    database_unavailable,
    request_validation_failed,
)
from .core.heap import freezing_after_startup
from .core.hooks import import_hooks, with_hooks
from .core.lanes import LanePool, LanesBusy
from .core.lifecycle import RequestLifecycleMiddleware, lanes_busy, lifespan_for
from .core.overrides import OverridesProvider
from .core.pinning import PinnedAPIRoute, pin_router
from .core.request_values import reject_unstorable_values
from .openapi.documents import (
    DEFAULT,
    build_document,
    document_named,
    operation_id_function,
    owner_of,
    record_placements,
)
from .openapi.pages import DeprecationMiddleware, add_docs, deprecated_prefixes
from .operations.context import RequestIdMiddleware
from .operations.health import add_health
from .operations.recycling import MemoryCeilingMiddleware, max_rss_from_environ
from .routing.discovery import Mount, discover
from .routing.dispatch import Dispatcher, django_application, static_serving
from .security.hosts import HostValidationMiddleware
from .security.websockets import WebSocketMiddleware, for_websockets
from .server.access_log import AccessLogMiddleware, configure_default_logging
from .server.body_limit import BodyLimitMiddleware


class DjangoFastAPI(FastAPI):
    """A FastAPI app whose routes, however they are added, run their sync code on the lanes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.router.route_class = PinnedAPIRoute
        self.router.dependency_overrides_provider = OverridesProvider(self)

    def include_router(self, router: APIRouter, *args: Any, **kwargs: Any) -> None:
        pin_router(router)
        super().include_router(router, *args, **kwargs)

    def openapi(self) -> dict[str, Any]:
        """The default document: unversioned routes without an audience (see ``openapi/documents.py``)."""
        version = routes_version(self)
        if not self.openapi_schema or getattr(self, "_django_fastapi_routes_version", None) != version:
            self.openapi_schema = build_document(self, document_named(DEFAULT))
            self._django_fastapi_routes_version = version
        return self.openapi_schema


def _thread_timeout() -> float | None:
    return api_settings.THREAD_TIMEOUT


def _under_prefix(url: str | None) -> str | None:
    return None if url is None else api_settings.API_PREFIX + url


def _import(setting: str, dotted: str) -> Any:
    try:
        return import_string(dotted)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting} names {dotted!r}, which could not be imported: {exc}") from exc


def _native_telemetry() -> dict[str, Any]:
    """With FASTAPI_OPENTELEMETRY the bridge makes each request's span (Django's views' too):
    FastAPI's own request spans (its ``telemetry`` option, in recent releases) would be a second one."""
    if api_settings.OPENTELEMETRY and "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": {"tracing": False}}
    return {}


def _add_exception_handlers(app: FastAPI) -> None:
    for exc_class, handler in DJANGO_EXCEPTION_HANDLERS.items():
        app.add_exception_handler(exc_class, handler)
    app.add_exception_handler(RequestValidationError, request_validation_failed)
    app.add_exception_handler(OperationalError, database_unavailable)
    app.add_exception_handler(InterfaceError, database_unavailable)
    app.add_exception_handler(LanesBusy, lanes_busy)
    for key, dotted in api_settings.EXCEPTION_HANDLERS.items():
        exc_class_or_status = key if isinstance(key, int) else _import("FASTAPI_EXCEPTION_HANDLERS", key)
        app.add_exception_handler(exc_class_or_status, _import("FASTAPI_EXCEPTION_HANDLERS", dotted))
    # On a websocket route an error's answer becomes a refused handshake or a close code. (The
    # Exception handler is the server-error middleware's, which websockets do not reach.)
    for key, handler in list(app.exception_handlers.items()):
        if key is not Exception and key is not WebSocketRequestValidationError:
            app.exception_handlers[key] = for_websockets(handler)


def _add_middleware(app: FastAPI, lanes: LanePool) -> None:
    # add_middleware wraps what is already there, so the first entry must be added last.
    # Innermost, on the request's lane: saves the session and sets the cookies of the Django request.
    app.add_middleware(DjangoRequestMiddleware)
    app.add_middleware(WebSocketMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(DjangoMiddleware, on_lane=True)  # FASTAPI_DJANGO_MIDDLEWARE
    for entry in reversed(api_settings.MIDDLEWARE):
        app.add_middleware(_import("FASTAPI_MIDDLEWARE", entry["class"]), **entry["options"])
    if api_settings.CORS_ENABLED:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=api_settings.CORS_ALLOW_ORIGINS,
            allow_origin_regex=api_settings.CORS_ALLOW_ORIGIN_REGEX,
            allow_credentials=api_settings.CORS_ALLOW_CREDENTIALS,
            allow_methods=api_settings.CORS_ALLOW_METHODS,
            allow_headers=api_settings.CORS_ALLOW_HEADERS,
            expose_headers=api_settings.CORS_EXPOSE_HEADERS,
        )
    app.add_middleware(RequestLifecycleMiddleware, lanes=lanes)
    if deprecated_prefixes():
        app.add_middleware(DeprecationMiddleware, prefixes=deprecated_prefixes())
    if api_settings.VALIDATE_HOST:
        app.add_middleware(HostValidationMiddleware)  # a forged Host costs no lane
    # Outermost: the project's SecurityMiddleware &c. on every API response, the bridge's own
    # 400 (bad Host), 503 (lanes busy), 413 and CORS preflight answers included.
    app.add_middleware(DjangoMiddleware)


def mount(app: FastAPI, mounts: list[Mount]) -> None:
    """Include each router at its prefix, once per API version it declares (``/api/v1/...``)."""
    versions = api_settings.API_VERSIONS
    for item in mounts:
        for version in item.versions or (None,):
            before = len(app.router.routes)
            app.include_router(
                item.router,
                prefix=api_settings.API_PREFIX + (f"/{version}" if version else "") + item.prefix,
                tags=[*item.tags],  # FastAPI's list[str | Enum]; it copies the list anyway
                deprecated=True if version and versions.get(version, {}).get("deprecated") else None,
                generate_unique_id_function=operation_id_function(owner_of(item)),
            )
            record_placements(app, item, version, app.router.routes[before:])
    app.state.django_fastapi_mounts = mounts


def build_application() -> FastAPI:
    """A new FastAPI app from the current settings and installed apps."""
    api_settings.validate()
    lanes = LanePool(api_settings.THREADS, timeout=_thread_timeout)
    app = DjangoFastAPI(
        title=api_settings.TITLE,
        version=api_settings.VERSION,
        description=api_settings.DESCRIPTION,
        root_path=api_settings.ROOT_PATH,
        # Shown by runfastapi; openapi/pages.py serves every document's pages, guarded and offline.
        docs_url=_under_prefix(api_settings.DOCS_URL) if api_settings.OPENAPI_URL else None,
        redoc_url=None,
        openapi_url=None,
        servers=api_settings.SERVERS or None,
        swagger_ui_parameters=api_settings.SWAGGER_UI_PARAMETERS,
        # NUL, lone surrogates and NaN: a 422 naming the value, on every database backend.
        dependencies=[Depends(reject_unstorable_values)],
        **_native_telemetry(),
        lifespan=with_hooks(
            # Frozen before the project's start-up hooks, which are the last thing before the
            # server is told start-up is complete (a stop signal then still runs the shutdown hooks).
            freezing_after_startup(lifespan_for(lanes)),
            import_hooks("FASTAPI_ON_STARTUP", api_settings.ON_STARTUP),
            import_hooks("FASTAPI_ON_SHUTDOWN", api_settings.ON_SHUTDOWN),
        ),
    )
    app.state.django_fastapi_lanes = lanes
    add_docs(app)  # first, as FastAPI adds its own docs routes: no app route shadows them
    add_health(app)
    if api_settings.METRICS_URL:
        from .operations.metrics import (
            add_metrics,  # prometheus-client: the optional "metrics" extra
        )

        add_metrics(app)
    mount(app, discover())
    _add_exception_handlers(app)
    _add_middleware(app, lanes)
    if api_settings.CONFIGURE_APP:
        _import("FASTAPI_CONFIGURE_APP", api_settings.CONFIGURE_APP)(app)
    return app


@functools.cache
def get_application() -> FastAPI:
    """The project's FastAPI app, built once per process (rebuilt after settings change)."""
    return build_application()


def get_asgi_application(*, serve_static: bool | None = None) -> ASGIApp:
    """What servers run: the API's routes, every other path to Django, one log line per request.

    ``serve_static``: serve ``STATIC_URL`` as runserver does; by default only under ``DEBUG``.
    With ``FASTAPI_SERVE_DJANGO = False``, only the API.
    """
    api = get_application()
    django_app = None
    if api_settings.SERVE_DJANGO:
        django_app = django_application(serve_static=static_serving(serve_static))
    configure_default_logging()
    app: ASGIApp = Dispatcher(api, django_app, api_prefix=api_settings.API_PREFIX)
    return with_operations(app, api)


def with_operations(app: ASGIApp, api: FastAPI) -> ASGIApp:
    """``app`` with what production needs around it, outermost first: the memory ceiling, the
    request id, the access log, the trace span, the metrics (each as the settings ask)."""
    if api_settings.METRICS_URL:
        from .operations.metrics import MetricsMiddleware

        app = MetricsMiddleware(app, api)
    if api_settings.OPENTELEMETRY:
        from .operations.tracing import TracingMiddleware  # the optional "otel" extra

        app = TracingMiddleware(app)
    app = AccessLogMiddleware(app)
    app = RequestIdMiddleware(app, api_settings.REQUEST_ID_HEADER)
    max_rss = max_rss_from_environ()
    if max_rss:
        app = MemoryCeilingMiddleware(app, max_rss)
    return app


def clear_application_cache(*, setting: str = "", **kwargs: object) -> None:
    """``setting_changed`` receiver: the next get_application() builds a new app."""
    if not setting or setting.startswith("FASTAPI_") or setting in ("INSTALLED_APPS", "DATABASES"):
        get_application.cache_clear()
