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
W001 = "django_fastapi.W001"  # api module without a router
W002 = "django_fastapi.W002"  # PostgreSQL with CONN_MAX_AGE = 0 and no pool
W003 = "django_fastapi.W003"  # CORS enabled but no origin allowed


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
    from .discovery import RouterImportError, configured_mounts, find_api_modules
    from .routes import route_conflicts

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
    from .servers import SERVERS, ServerNotInstalled, unknown_options

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
    return messages


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
