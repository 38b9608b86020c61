"""One ASGI application for the whole project: the API's routes first, every other path to Django.

Django's own ASGI handler serves what the API does not (the admin, views, the URLconf), with its
middleware, its request signals and its own threads, so it runs beside the bridge's request
lifecycle, never inside it. Under ``DEBUG`` it serves static files as ``runserver`` does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cached_property

from django.apps import apps
from django.conf import settings
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize
from fastapi import FastAPI
from starlette.routing import Host, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.exceptions import was_reported

MATCH_CACHE_SIZE = 4096
# runfastapi's --nostatic / --insecure, passed on to worker processes that import the entry point.
SERVE_STATIC_ENVIRON = "DJANGO_FASTAPI_SERVE_STATIC"


class Dispatcher:
    """Send each request to ``api`` when one of its routes matches, otherwise to ``django``.

    Under the API prefix, a path no API route matches still goes to the API (a JSON 404) unless
    Django's URLconf resolves it. Lifespan and websockets always go to the API.
    """

    def __init__(self, api: FastAPI, django: ASGIApp | None = None, *, api_prefix: str = "") -> None:
        self.api = api
        self.django = django
        self.api_prefix = api_prefix
        # Matching every route costs as much as FastAPI's own routing; remember what each path
        # matched (bounded: paths with ids in them are unbounded).
        self._matches: dict[tuple[str, str, str], bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.django is not None and not self.is_for_api(scope):
            await self.django(scope, receive, send)
        elif scope["type"] == "http":
            await self.call_api(scope, receive, send)
        else:
            await self.api(scope, receive, send)

    def is_for_api(self, scope: Scope) -> bool:
        if self.api_matches(scope):
            return True
        path = route_path(scope)
        owned = bool(self.api_prefix) and (path == self.api_prefix or path.startswith(self.api_prefix + "/"))
        if not owned and not self.api_redirects(scope, path):
            return False
        return not django_resolves(path)

    def api_matches(self, scope: Scope) -> bool:
        key = (scope.get("root_path", ""), scope["path"], _host(scope) if self._by_host else "")
        try:
            return self._matches[key]
        except KeyError:
            pass
        # Matching may note things in the scope (FastAPI's included routers do): probe a copy.
        probe = dict(scope)
        matched = any(route.matches(probe)[0] is not Match.NONE for route in self.api.router.routes)
        if len(self._matches) >= MATCH_CACHE_SIZE:
            self._matches.clear()
        self._matches[key] = matched
        return matched

    @cached_property
    def _by_host(self) -> bool:
        return any(isinstance(route, Host) for route in self.api.router.routes)

    def api_redirects(self, scope: Scope, path: str) -> bool:
        """Whether the API would redirect to the path with, or without, a trailing slash."""
        if not self.api.router.redirect_slashes or path == "/":
            return False
        other = scope["path"].rstrip("/") if path.endswith("/") else scope["path"] + "/"
        return self.api_matches({**scope, "path": other})

    async def call_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        complete = False

        async def tracking_send(message: Message) -> None:
            nonlocal complete
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        try:
            await self.api(scope, receive, tracking_send)
        except Exception as exc:
            # Starlette re-raises after the 500 handler answered; the server would log it again.
            if not (complete and was_reported(exc)):
                raise


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return value.decode("latin-1")
    return ""


def route_path(scope: Scope) -> str:
    """The path below ``root_path``, as Starlette's routes match it."""
    path, root_path = scope["path"], scope.get("root_path", "")
    if root_path and path.startswith(root_path) and path[len(root_path) :][:1] in ("/", ""):
        return path[len(root_path) :] or "/"
    return path


def django_resolves(path: str) -> bool:
    """Whether Django's URLconf has a view for ``path`` (or for ``path/``, with APPEND_SLASH)."""
    candidates = [path]
    if settings.APPEND_SLASH and not path.endswith("/"):
        candidates.append(path + "/")
    for candidate in candidates:
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return True
    return False


def static_serving(requested: bool | None = None) -> bool:
    """Whether to serve STATIC_URL: as ``requested``, else under DEBUG; never without staticfiles."""
    if not apps.is_installed("django.contrib.staticfiles"):
        return False
    return settings.DEBUG if requested is None else requested


def runserver_static(*, use_static_handler: bool, insecure: bool) -> bool:
    """runserver's rule: static files under DEBUG unless ``--nostatic``, or with ``--insecure``."""
    return use_static_handler and (settings.DEBUG or insecure)


def pass_static_to_workers(serve_static: bool) -> None:
    """Worker processes import the entry point, which reads this (``static_from_environ``)."""
    os.environ[SERVE_STATIC_ENVIRON] = "1" if serve_static else "0"


def static_from_environ() -> bool | None:
    value = os.environ.get(SERVE_STATIC_ENVIRON)
    return None if value not in ("0", "1") else value == "1"


def django_application(*, serve_static: bool) -> ASGIApp:
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()
    if serve_static:
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        application = ASGIStaticFilesHandler(application)
    # An ASGI 3 app; django-stubs types its scope as dict, Starlette's ASGIApp as MutableMapping.
    return application  # type: ignore[return-value]


def url_patterns() -> Iterator[tuple[str, str, str]]:
    """(sample path, pattern, view) for every pattern of the URLconf, with includes followed."""

    def walk(patterns: list, regex: str, route: str) -> Iterator[tuple[str, str, str]]:
        for pattern in patterns:
            full_regex = regex + pattern.pattern.regex.pattern.removeprefix("^")
            full_route = route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, full_regex, full_route)
                continue
            for template, params in normalize(full_regex):
                yield "/" + template % {name: "1" for name in params}, full_route, pattern.lookup_str

    yield from walk(get_resolver().url_patterns, "", "")


def shadowed_url_patterns(api: FastAPI) -> list[tuple[str, str, str]]:
    """(pattern, view, sample path) of each Django URL pattern an API route takes requests from."""
    dispatcher = Dispatcher(api)
    shadowed, seen = [], set()
    for path, route, view in url_patterns():
        scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [], "query_string": b""}
        if route not in seen and dispatcher.api_matches(scope):
            seen.add(route)
            shadowed.append((route, view, path))
    return shadowed
