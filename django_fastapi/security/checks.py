"""System checks of authentication sources, the throttle cache and websocket routes' dependencies."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from fastapi.routing import APIWebSocketRoute

from ..conf import api_settings
from ..core.compat_fastapi import http_only_needs
from ..core.pinning import api_routes, original
from ..routing.discovery import RouterImportError, discover
from .csrf import csrf_protect, get_csrf_token
from .dependencies import get_django_request
from .sources import configured_sources
from .throttling import throttles_in_use

# The test suite asserts each id is unique and documented.
E010 = "django_fastapi.E010"  # bearer authentication without the django_fastapi.tokens app
E011 = "django_fastapi.E011"  # an authentication source cannot be imported or is not a source
E012 = "django_fastapi.E012"  # FASTAPI_THROTTLE_CACHE names no cache in CACHES
E013 = "django_fastapi.E013"  # session authentication without django.contrib.auth and sessions
W010 = "django_fastapi.W010"  # (--deploy) the throttle cache is per process, or not atomic
E020 = "django_fastapi.E020"  # a websocket route uses a dependency that needs an HTTP request


@checks.register("django_fastapi")
def check_authentication(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
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


_WEBSOCKET_HINTS = {
    csrf_protect: "CSRF protection is for HTTP: remove it. A websocket the session cookie "
    "authenticates has its Origin checked instead.",
    get_csrf_token: "A websocket sets no cookie: get the token from an HTTP endpoint.",
    get_django_request: "Take the user from CurrentUser or OptionalUser, and Django's HttpRequest "
    "only on HTTP routes.",
}
_TASKS_HINT = "Background tasks run after an HTTP response: on a websocket, await the work instead."
_DEFAULT_HINT = (
    "Annotate the parameter as starlette.requests.HTTPConnection (or WebSocket) instead of "
    "Request, receive data as messages, or use the dependency on HTTP routes only."
)


def _name(call: Any) -> str:
    target = original(call)
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"


@checks.register("django_fastapi")
def check_websocket_dependencies(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        mounts = discover()
    except (RouterImportError, ImproperlyConfigured):
        return []  # reported by check_routers
    messages: list[checks.CheckMessage] = []
    for mount in mounts:
        for route in api_routes(mount.router.routes):
            if not isinstance(route, APIWebSocketRoute):
                continue
            path = api_settings.API_PREFIX + mount.prefix + route.path
            for call, needs in http_only_needs(route):
                target = original(call)
                what = "its endpoint" if target is original(route.endpoint) else f"the dependency {_name(call)}"
                default = _TASKS_HINT if needs == ["BackgroundTasks"] else _DEFAULT_HINT
                messages.append(checks.Error(
                    f"The websocket route {path} uses {what}, which needs {' and '.join(needs)}; "
                    "only HTTP routes have one.",
                    hint=_WEBSOCKET_HINTS.get(target, default),
                    id=E020,
                ))
    return messages
