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
from asgiref.sync import async_to_sync
from django.core import signals
from django.db import close_old_connections
from starlette.types import ASGIApp, Receive, Scope, Send

from ..application import get_application
from ..core.lifecycle import calling_thread

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        transport = httpx.ASGITransport(
            app=CallingThreadApp(app or _default_app()), raise_app_exceptions=raise_app_exceptions
        )
        super().__init__(transport=transport, base_url=base_url, **kwargs)


class Client:
    """A synchronous client with httpx's request API, for ordinary (sync) tests."""

    def __init__(self, app: ASGIApp | None = None, **kwargs: Any) -> None:
        self._client = AsyncClient(app, **kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    @property
    def headers(self) -> httpx.Headers:
        return self._client.headers

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return async_to_sync(self._client.request)(method, url, **kwargs)

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
