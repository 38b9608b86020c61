"""Test clients for the project's FastAPI app that see the test's own database transaction.

A request's sync code runs on the test's thread, as with Django's test client, so rows a
``TestCase`` (or pytest-django's ``db`` fixture) created are visible, writes roll back with the test,
and ``close_old_connections`` is held off during the request so the test's connection survives.

    from django_fastapi.testing import Client

    def test_lists_authors(db):
        Author.objects.create(name="Ursula")
        assert Client().get("/api/catalog/authors").json()[0]["name"] == "Ursula"
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client as DjangoClient
from starlette.types import ASGIApp, Receive, Scope, Send

from ..application import get_application
from ..core.compat_asgiref import outer_sync_executor
from ..core.compat_asyncio import as_if_sync
from ..core.lifecycle import calling_thread
from ..security.sources import FORCED_AUTHENTICATION, Authentication
from .websockets import AsyncWebSocketSession, WebSocketSession, build_scope, own_origin

_OWN_ORIGIN: Any = object()

_signal_lock = threading.Lock()
_requests_keeping_open = 0


@contextmanager
def connections_kept_open() -> Iterator[None]:
    # Overlapping requests (asyncio.gather in an async test) share the switch: only the last
    # to finish may reconnect close_old_connections, or it would close the test's connection.
    global _requests_keeping_open
    with _signal_lock:
        _requests_keeping_open += 1
        if _requests_keeping_open == 1:
            signals.request_started.disconnect(close_old_connections)
            signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        with _signal_lock:
            _requests_keeping_open -= 1
            if _requests_keeping_open == 0:
                signals.request_started.connect(close_old_connections)
                signals.request_finished.connect(close_old_connections)


class CallingThreadApp:
    """Runs ``app`` with its sync work on the caller's thread and connections kept open."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.forced: Authentication | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.forced is not None:
            scope = {**scope, FORCED_AUTHENTICATION: self.forced}
        token = calling_thread.set(True)
        try:
            with connections_kept_open():
                await self.app(scope, receive, send)
        finally:
            calling_thread.reset(token)


def _default_app() -> ASGIApp:
    return get_application()


class AsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` for the project's app (or ``app``), for ``async def`` tests."""

    def __init__(
        self,
        app: ASGIApp | None = None,
        *,
        base_url: str = "http://testserver",
        raise_app_exceptions: bool = True,
        **kwargs: Any,
    ) -> None:
        self._app = CallingThreadApp(app or _default_app())
        transport = httpx.ASGITransport(app=self._app, raise_app_exceptions=raise_app_exceptions)
        super().__init__(transport=transport, base_url=base_url, **kwargs)

    def force_login(self, user: Any, backend: str | None = None) -> None:
        """Log ``user`` in with a real session, as Django's test client does (cookies included).

        Later unsafe requests send the CSRF token in ``X-CSRFToken``, as a single-page app does.
        """
        django_client = DjangoClient()
        django_client.force_login(user, backend)
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            if name in django_client.cookies:
                self.cookies.set(name, django_client.cookies[name].value)
        if not settings.CSRF_USE_SESSIONS:
            request = HttpRequest()
            token = get_token(request)
            self.cookies.set(settings.CSRF_COOKIE_NAME, request.META["CSRF_COOKIE"])
            self.headers[settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-")] = token

    async def aforce_login(self, user: Any, backend: str | None = None) -> None:
        """``force_login`` from an ``async def`` test: the session is saved with the test's own
        connection, inside its transaction."""
        if outer_sync_executor() is not None:
            await sync_to_async(self.force_login)(user, backend)
        else:
            # The loop runs on the test's thread: its sync connections hold the test transaction.
            as_if_sync(lambda: self.force_login(user, backend))

    def logout(self) -> None:
        self.cookies.delete(settings.SESSION_COOKIE_NAME)
        self.force_authenticate(None)

    def force_authenticate(self, user: Any = None, token: Any = None) -> None:
        """Treat every later request as ``user``'s (with ``token``, as if a bearer token had
        authenticated it), skipping authentication; ``force_authenticate(None)`` stops it.

        As DRF's ``APIClient.force_authenticate``: no credentials are checked and no CSRF token is
        needed, so use ``force_login`` to test the session and CSRF path itself.
        """
        if user is None and token is not None:
            user = token.user
        self._app.forced = None if user is None else Authentication(user, "forced", token)

    def _websocket_scope(
        self, path: str, subprotocols: list[str] | None, headers: dict[str, str] | None, origin: Any
    ) -> dict[str, Any]:
        return build_scope(
            self, path, subprotocols=subprotocols, headers=headers,
            origin=own_origin(self) if origin is _OWN_ORIGIN else origin,
        )

    def websocket_connect(
        self,
        path: str,
        *,
        subprotocols: list[str] | None = None,
        headers: dict[str, str] | None = None,
        origin: str | None = _OWN_ORIGIN,
        timeout: float = 10.0,
    ) -> AsyncWebSocketSession:
        """``async with client.websocket_connect(path) as socket``: see ``testing/websockets.py``."""
        scope = self._websocket_scope(path, subprotocols, headers, origin)
        return AsyncWebSocketSession(self._app, scope, timeout)


class Client:
    """A synchronous client with httpx's request API, for ordinary (sync) tests."""

    def __init__(self, app: ASGIApp | None = None, **kwargs: Any) -> None:
        self._client = AsyncClient(app, **kwargs)

    def force_login(self, user: Any, backend: str | None = None) -> None:
        self._client.force_login(user, backend)

    def logout(self) -> None:
        self._client.logout()

    def force_authenticate(self, user: Any = None, token: Any = None) -> None:
        self._client.force_authenticate(user, token)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    @property
    def headers(self) -> httpx.Headers:
        return self._client.headers

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return async_to_sync(self._client.request)(method, url, **kwargs)

    def websocket_connect(
        self,
        path: str,
        *,
        subprotocols: list[str] | None = None,
        headers: dict[str, str] | None = None,
        origin: str | None = _OWN_ORIGIN,
        timeout: float = 10.0,
    ) -> WebSocketSession:
        """``with client.websocket_connect(path) as socket``: see ``testing/websockets.py``."""
        scope = self._client._websocket_scope(path, subprotocols, headers, origin)
        return WebSocketSession(self._client._app, scope, timeout)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("OPTIONS", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)
