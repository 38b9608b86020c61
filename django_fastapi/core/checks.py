"""System checks of the request cycle: database connections against the threads, lifespan hooks,
the project's Django middleware around API requests."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ..conf import api_settings
from .django_middleware import project_middleware_classes
from .hooks import import_hooks

# The test suite asserts each id is unique and documented.
E006 = "django_fastapi.E006"  # a lifespan hook cannot be imported or is not callable
W002 = "django_fastapi.W002"  # PostgreSQL with CONN_MAX_AGE = 0 and no pool
W005 = "django_fastapi.W005"  # FASTAPI_THREADS is above a database pool's max_size
W060 = "django_fastapi.W060"  # an SQLite file database with CONN_MAX_AGE = 0


@checks.register("django_fastapi")
def check_database_connections(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    # As Django documents it, not as the stubs' plugin infers it from the settings module's values.
    databases: dict[str, dict[str, Any]] = settings.DATABASES
    for alias, config in databases.items():
        if _is_sqlite_file(config) and config.get("CONN_MAX_AGE", 0) == 0:
            messages.append(
                checks.Warning(
                    f"DATABASES[{alias!r}] opens a new SQLite connection for every request "
                    "(CONN_MAX_AGE = 0), which costs up to half of a small endpoint's throughput.",
                    hint='Set "CONN_MAX_AGE": 60 (or None): each of the FASTAPI_THREADS lanes then '
                    "keeps one connection.",
                    obj=alias,
                    id=W060,
                )
            )
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


def _is_sqlite_file(config: dict[str, Any]) -> bool:
    """An SQLite database on disk; Django never closes an in-memory one, whatever CONN_MAX_AGE says."""
    if "sqlite3" not in config.get("ENGINE", "") and "spatialite" not in config.get("ENGINE", ""):
        return False
    name = str(config.get("NAME") or "")
    return bool(name) and name != ":memory:" and "mode=memory" not in name


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
    messages: list[checks.CheckMessage] = []
    for setting in ("ON_STARTUP", "ON_SHUTDOWN"):
        try:
            import_hooks(f"FASTAPI_{setting}", getattr(api_settings, setting))
        except ImproperlyConfigured as exc:
            hint = "Give the dotted path of a function, e.g. 'myproject.lifespan.warm_cache'."
            messages.append(checks.Error(str(exc), hint=hint, id=E006))
    return messages


W011 = "django_fastapi.W011"  # a MIDDLEWARE entry that does not run around API requests
# What the API does instead of the MIDDLEWARE entries it does not run.
ELSEWHERE = {
    "django.contrib.auth.middleware.AuthenticationMiddleware": None,  # FASTAPI_AUTHENTICATION's sources
    "django.contrib.sessions.middleware.SessionMiddleware": None,  # run by the DjangoRequest adapter
    "django.middleware.csrf.CsrfViewMiddleware": None,  # the adapter, and the session source's check
    "django.contrib.messages.middleware.MessageMiddleware": None,  # the adapter
    "django.middleware.common.CommonMiddleware": (
        "APPEND_SLASH and PREPEND_WWW redirects and DISALLOWED_USER_AGENTS concern Django URLs; API "
        "routes match exactly"
    ),
    "django.middleware.gzip.GZipMiddleware": (
        "compress API responses with Starlette's GZipMiddleware in FASTAPI_MIDDLEWARE"
    ),
    "corsheaders.middleware.CorsMiddleware": "the API's CORS is FASTAPI_CORS_*",
}


@checks.register("django_fastapi", deploy=True)
def check_django_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy``: the MIDDLEWARE entries API responses do not get, and why."""
    try:
        opted_in = set(api_settings.DJANGO_MIDDLEWARE)
    except ImproperlyConfigured:
        return []  # E001 reports the setting
    applied = {f"{cls.__module__}.{cls.__qualname__}" for cls in project_middleware_classes()}
    messages: list[checks.CheckMessage] = []
    for entry in settings.MIDDLEWARE:
        if entry in applied or entry in opted_in or (entry in ELSEWHERE and ELSEWHERE[entry] is None):
            continue
        reason = ELSEWHERE.get(entry, "it is Django middleware, run around Django views only")
        messages.append(
            checks.Warning(
                f"MIDDLEWARE entry {entry!r} does not run around API requests: {reason}.",
                hint=(
                    "If API requests need it, list it in FASTAPI_DJANGO_MIDDLEWARE (run with "
                    "process_request/process_response); otherwise silence django_fastapi.W011."
                ),
                obj=entry,
                id=W011,
            )
        )
    return messages
