"""System checks: ``manage.py check`` reports misconfiguration before a request fails.

Ids are stable; README.rst documents each one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from fastapi import APIRouter

from .conf import api_settings

# id: (message template, hint); the test suite asserts each id is unique and documented.
E001 = "django_fastapi.E001"  # invalid FASTAPI_* setting
E002 = "django_fastapi.E002"  # api module or listed router cannot be imported / is not a router
E003 = "django_fastapi.E003"  # two endpoints declare the same method and path
E004 = "django_fastapi.E004"  # configured server not installed
E005 = "django_fastapi.E005"  # unknown server option
E006 = "django_fastapi.E006"  # a lifespan hook cannot be imported or is not callable
W001 = "django_fastapi.W001"  # api module without a router
W002 = "django_fastapi.W002"  # PostgreSQL with CONN_MAX_AGE = 0 and no pool
W003 = "django_fastapi.W003"  # CORS enabled but no origin allowed
E010 = "django_fastapi.E010"  # bearer authentication without the django_fastapi.tokens app
E011 = "django_fastapi.E011"  # an authentication source cannot be imported or is not a source
E012 = "django_fastapi.E012"  # FASTAPI_THROTTLE_CACHE names no cache in CACHES
E013 = "django_fastapi.E013"  # session authentication without django.contrib.auth and sessions
W010 = "django_fastapi.W010"  # (--deploy) the throttle cache is per process, or not atomic
W004 = "django_fastapi.W004"  # a Django URL pattern is shadowed by an API route
W005 = "django_fastapi.W005"  # FASTAPI_THREADS is above a database pool's max_size
E007 = "django_fastapi.E007"  # two operations of one OpenAPI document share an operation id
E008 = "django_fastapi.E008"  # a route's audience or version is not declared in the settings
W006 = "django_fastapi.W006"  # (--deploy) docs or schema readable by anyone while DEBUG is off
W007 = "django_fastapi.W007"  # local docs assets, but their static files are not installed


@checks.register("django_fastapi")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors = []
    for name in api_settings.names():
        try:
            getattr(api_settings, name)
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), hint="See the settings section of README.rst.", id=E001))
    if errors:
        return errors
    try:
        api_settings.validate()
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id=E001))
    if api_settings.CORS_ENABLED and not (
        api_settings.CORS_ALLOW_ORIGINS or api_settings.CORS_ALLOW_ORIGIN_REGEX
    ):
        errors.append(
            checks.Warning(
                "FASTAPI_CORS_ENABLED is True but no origin is allowed.",
                hint="List origins in FASTAPI_CORS_ALLOW_ORIGINS, e.g. ['https://app.example.com'].",
                id=W003,
            )
        )
    return errors


@checks.register("django_fastapi")
def check_routers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .routing.discovery import RouterImportError, configured_mounts, find_api_modules
    from .routing.routes import route_conflicts

    try:
        api_settings.validate()
    except ImproperlyConfigured:
        return []  # reported by check_settings
    messages: list[checks.CheckMessage] = []
    try:
        modules = find_api_modules() if api_settings.AUTODISCOVER else []
        configured_mounts()
    except (RouterImportError, ImproperlyConfigured) as exc:
        return [checks.Error(str(exc), id=E002)]
    for api_module in modules:
        if api_module.router is None and not api_module.app_config.name.startswith("django."):
            messages.append(_missing_router(api_module.module, api_module.app_config.label))
    try:
        conflicts = route_conflicts()
    except ImproperlyConfigured as exc:
        return messages + [checks.Error(str(exc), id=E002)]
    for method, path, first, second in conflicts:
        messages.append(
            checks.Error(
                f"{method} {path} is declared by both {first} and {second}; only {first} would answer.",
                hint="Change one path, or give one app another prefix with AppConfig.fastapi_prefix.",
                id=E003,
            )
        )
    return messages


@checks.register("django_fastapi")
def check_server(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .server.servers import SERVERS, ServerNotInstalled, unknown_options

    try:
        server = api_settings.SERVER
        options = api_settings.SERVER_OPTIONS
    except ImproperlyConfigured:
        return []
    messages: list[checks.CheckMessage] = []
    if server is not None:
        try:
            SERVERS[server].require()
        except ServerNotInstalled as exc:
            messages.append(checks.Error(str(exc), hint=exc.hint, id=E004))
    for name, server_options in options.items():
        if not SERVERS[name].is_installed():
            continue  # options for a server this environment does not use
        unknown = unknown_options(name, server_options)
        if unknown:
            messages.append(
                checks.Error(
                    f"FASTAPI_SERVER_OPTIONS[{name!r}] has unknown {name} options: {', '.join(unknown)}.",
                    hint=f"Use option names of {name}'s configuration (see its documentation).",
                    id=E005,
                )
            )
    return messages


@checks.register("django_fastapi")
def check_database_connections(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages = []
    for alias, config in settings.DATABASES.items():
        if not any(name in config.get("ENGINE", "") for name in ("postgresql", "postgis")):
            continue
        if config.get("CONN_MAX_AGE", 0) == 0 and not config.get("OPTIONS", {}).get("pool"):
            messages.append(
                checks.Warning(
                    f"DATABASES[{alias!r}] opens a new PostgreSQL connection for every request "
                    "(CONN_MAX_AGE = 0 and no pool), which costs most of the API's throughput.",
                    hint='Set "CONN_MAX_AGE": 60 with "CONN_HEALTH_CHECKS": True, or '
                    '"OPTIONS": {"pool": True} (Django 5.1+, psycopg 3).',
                    obj=alias,
                    id=W002,
                )
            )
        pool_size = _pool_max_size(config.get("OPTIONS", {}).get("pool"))
        threads = _threads()
        if pool_size is not None and threads is not None and threads > pool_size:
            messages.append(
                checks.Warning(
                    f"FASTAPI_THREADS is {threads} but the pool of DATABASES[{alias!r}] holds at "
                    f"most {pool_size} connections: under load, requests wait for a connection "
                    "and fail once the pool's timeout passes.",
                    hint=f"Set FASTAPI_THREADS = {pool_size}, or raise the pool's max_size.",
                    obj=alias,
                    id=W005,
                )
            )
    return messages


def _pool_max_size(pool: Any) -> int | None:
    """The most connections Django's psycopg pool opens (psycopg_pool's min_size default is 4)."""
    if not pool:
        return None
    options = pool if isinstance(pool, dict) else {}
    return options.get("max_size") or options.get("min_size", 4)


def _threads() -> int | None:
    try:
        return api_settings.THREADS
    except ImproperlyConfigured:
        return None  # reported by check_settings


@checks.register("django_fastapi")
def check_lifespan_hooks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .core.hooks import import_hooks

    messages: list[checks.CheckMessage] = []
    for setting in ("ON_STARTUP", "ON_SHUTDOWN"):
        try:
            import_hooks(f"FASTAPI_{setting}", getattr(api_settings, setting))
        except ImproperlyConfigured as exc:
            hint = "Give the dotted path of a function, e.g. 'myproject.lifespan.warm_cache'."
            messages.append(checks.Error(str(exc), hint=hint, id=E006))
    return messages


@checks.register("django_fastapi", checks.Tags.urls)
def check_shadowed_urls(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .application import get_application
    from .routing.dispatch import shadowed_url_patterns

    try:
        if not api_settings.SERVE_DJANGO or not getattr(settings, "ROOT_URLCONF", None):
            return []
        shadowed = shadowed_url_patterns(get_application())
    except Exception:
        return []  # a broken setting, api module or URLconf is reported by its own check
    return [
        checks.Warning(
            f"The Django URL pattern {pattern!r} ({view}) is shadowed by an API route: requests "
            f"such as {path} go to FastAPI, never to the Django view.",
            hint="Move the Django pattern or the API route, or give the app another "
            "AppConfig.fastapi_prefix or the API another FASTAPI_API_PREFIX.",
            obj=pattern,
            id=W004,
        )
        for pattern, view, path in shadowed
    ]


@checks.register("django_fastapi")
def check_authentication(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.apps import apps

    from .security.sources import configured_sources

    try:
        names = api_settings.AUTHENTICATION
    except ImproperlyConfigured:
        return []  # reported by check_settings
    messages: list[checks.CheckMessage] = []
    if "bearer" in names and not apps.is_installed("django_fastapi.tokens"):
        messages.append(checks.Error(
            'FASTAPI_AUTHENTICATION uses "bearer", but the token app is not installed.',
            hint='Add "django_fastapi.tokens" to INSTALLED_APPS and migrate, or remove "bearer".',
            id=E010,
        ))
    missing = [app for app in ("django.contrib.auth", "django.contrib.sessions") if not apps.is_installed(app)]
    if "session" in names and missing:
        messages.append(checks.Error(
            f'FASTAPI_AUTHENTICATION uses "session", which needs {" and ".join(missing)}.',
            hint="Add them to INSTALLED_APPS, or remove \"session\" from FASTAPI_AUTHENTICATION.",
            id=E013,
        ))
    try:
        configured_sources()
    except ImproperlyConfigured as exc:
        messages.append(checks.Error(
            str(exc), hint="Use session, bearer, basic, or the dotted path of a source class.", id=E011
        ))
    return messages


@checks.register("django_fastapi", checks.Tags.caches)
def check_throttle_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        alias = api_settings.THROTTLE_CACHE
    except ImproperlyConfigured:
        return []
    if alias in settings.CACHES:
        return []
    return [checks.Error(
        f"FASTAPI_THROTTLE_CACHE is {alias!r}, which is not a cache in CACHES.",
        hint=f"Name one of {', '.join(map(repr, settings.CACHES))}, or add {alias!r} to CACHES.",
        id=E012,
    )]


# Caches whose counts are not shared by every worker, or whose incr() is a get and a set.
_UNFIT_CACHES = {
    "LocMemCache": "keeps counts per process, so each worker allows the full rate",
    "DummyCache": "stores nothing, so nothing is ever throttled",
    "DatabaseCache": "increments with a read and a write, so concurrent requests can exceed the rate",
    "FileBasedCache": "increments with a read and a write, so concurrent requests can exceed the rate",
}


@checks.register("django_fastapi", checks.Tags.caches, deploy=True)
def check_throttle_cache_deployment(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .security.throttling import throttles_in_use

    try:
        config = settings.CACHES[api_settings.THROTTLE_CACHE]
        if not throttles_in_use():
            return []
    except (ImproperlyConfigured, KeyError):
        return []  # reported by other checks
    backend = config.get("BACKEND", "").rsplit(".", 1)[-1]
    if backend not in _UNFIT_CACHES:
        return []
    return [checks.Warning(
        f"Throttling uses the cache {api_settings.THROTTLE_CACHE!r} ({backend}), which {_UNFIT_CACHES[backend]}.",
        hint="Point FASTAPI_THROTTLE_CACHE at a Redis or Memcached cache shared by every worker.",
        id=W010,
    )]


def _missing_router(module: Any, label: str) -> checks.Warning:
    name = module.__name__
    found = getattr(module, "router", None)
    others = [attr for attr, value in vars(module).items() if isinstance(value, APIRouter)]
    if found is not None:
        detail = f"{name}.router is {type(found).__name__}, not a fastapi.APIRouter"
    elif others:
        detail = f"{name} defines an APIRouter named {others[0]!r} but no module-level 'router'"
    else:
        detail = f"{name} has no module-level 'router'"
    return checks.Warning(
        f"{detail}; nothing from it is served.",
        hint=f"Assign `router = APIRouter()` in {name}. If the module is not a FastAPI module, "
        f"add {W001!r} to SILENCED_SYSTEM_CHECKS.",
        obj=label,
        id=W001,
    )


@checks.register("django_fastapi")
def check_openapi_documents(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .application import get_application
    from .openapi.documents import duplicate_operation_ids, undeclared_placements

    try:
        app = get_application()
    except Exception:
        return []  # a broken setting or api module is reported by its own check
    messages: list[checks.CheckMessage] = []
    for document, operation_id, where in duplicate_operation_ids(app):
        messages.append(checks.Error(
            f"The operation id {operation_id!r} is used by {' and '.join(where)} in the {document!r} "
            "OpenAPI document, so generated clients get clashing method names.",
            hint="Rename one endpoint function, or give one route an explicit operation_id=.",
            obj=operation_id,
            id=E007,
        ))
    for kind, name, path in sorted(set(undeclared_placements(app))):
        setting = "FASTAPI_AUDIENCES" if kind == "audience" else "FASTAPI_API_VERSIONS"
        messages.append(checks.Error(
            f"{path} belongs to the {kind} {name!r}, which is not in {setting}, so no document lists it.",
            hint=f'Add {name!r} to {setting}, e.g. {setting} = {{{name!r}: {{"access": "staff"}}}}.',
            obj=path,
            id=E008,
        ))
    return messages


@checks.register("django_fastapi", checks.Tags.security, deploy=True)
def check_docs_access(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .openapi.documents import DEFAULT, documents

    try:
        found = documents()
    except ImproperlyConfigured:
        return []
    if settings.DEBUG:
        return []
    messages: list[checks.CheckMessage] = []
    for document in found:
        if not document.enabled or document.openapi_url is None or document.access != "anonymous":
            continue
        if document.name == DEFAULT:
            fix = 'Set FASTAPI_DOCS_ACCESS = "staff" (or "authenticated", or a permission), or FASTAPI_OPENAPI_URL = None'
        else:
            setting = "FASTAPI_AUDIENCES" if document.audience else "FASTAPI_API_VERSIONS"
            fix = f'Set "access": "staff" (or "authenticated", or a permission), or "enabled": False, in {setting}[{document.name!r}]'
        messages.append(checks.Warning(
            f"The {document.name!r} OpenAPI schema and docs are served to anyone while DEBUG is False.",
            hint=f"{fix}; if the API is public on purpose, add {W006!r} to SILENCED_SYSTEM_CHECKS.",
            obj=document.name,
            id=W006,
        ))
    return messages


@checks.register("django_fastapi", checks.Tags.staticfiles)
def check_docs_assets(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.apps import apps

    from .openapi.documents import documents
    from .openapi.pages import ASSETS_APP

    try:
        if api_settings.DOCS_ASSETS != "local" or not any(
            document.enabled and document.openapi_url and (document.docs_url or document.redoc_url)
            for document in documents()
        ):
            return []
    except ImproperlyConfigured:
        return []
    missing = []
    if not apps.is_installed(ASSETS_APP):
        missing.append(f"{ASSETS_APP!r} is not in INSTALLED_APPS")
    if not getattr(settings, "STATIC_URL", None):
        missing.append("STATIC_URL is not set")
    if not missing:
        return []
    return [checks.Warning(
        f"The API docs pages load Swagger UI and ReDoc from static files, but {' and '.join(missing)}: "
        "the pages would stay blank.",
        hint=f'Add "{ASSETS_APP}" to INSTALLED_APPS and set STATIC_URL = "static/", '
        'or set FASTAPI_DOCS_ASSETS = "cdn" to load them from a CDN.',
        id=W007,
    )]
