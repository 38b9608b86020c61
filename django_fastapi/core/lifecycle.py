"""Django's request cycle around every HTTP request and websocket the bridge serves.

Each HTTP request borrows a lane (``lanes.py``) for its whole duration, and each websocket gets a
thread of its own; ``request_started`` and ``request_finished`` are sent from there (sync receivers
run on that thread), so Django's ``close_old_connections`` and a project's own receivers act on the
connections that request's code used. ``request_finished`` is sent after the response, streaming
bodies and background tasks included, has been sent, and when a websocket closes.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from asgiref.sync import ThreadSensitiveContext
from django.core import signals
from django.db import connections
from django.dispatch import Signal
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..conf import api_settings
from .lanes import LaneContext, LanePool
from .pools import close_pools, prepare_pools

logger = logging.getLogger("django_fastapi")

# Set by the test client: run sync work on the test's own thread, inside its transaction,
# as Django's test client does.
calling_thread: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "django_fastapi_calling_thread", default=False
)


class RequestLifecycleMiddleware:
    def __init__(self, app: ASGIApp, lanes: LanePool) -> None:
        self.app = app
        self.lanes = lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if calling_thread.get():
            await self.handle(scope, receive, send)
            return
        if scope["type"] == "websocket":
            # A websocket may stay open for hours: it gets a thread of its own, as in Django
            # Channels, instead of holding one of the lanes that HTTP requests share.
            async with ThreadSensitiveContext():
                await self.handle(scope, receive, send)
            return
        lane = self.lanes.try_acquire()
        if lane is None:
            try:
                async with asyncio.timeout(api_settings.THREAD_TIMEOUT):
                    lane = await self.lanes.acquire()
            except TimeoutError:
                await busy(scope, receive, send)
                return
        try:
            with LaneContext(lane):
                # A lane runs its jobs one at a time in the order given, so the signals need
                # neither a round trip nor a wake-up of their own: request_started runs before the
                # request's own sync work, request_finished before the next request's (or once
                # the lane has been idle for IDLE_FLUSH_SECONDS), although the lane is released now.
                lane.defer(signal_job(signals.request_started, scope=scope))
                try:
                    await self.app(scope, receive, send)
                finally:
                    lane.defer(signal_job(signals.request_finished))
        finally:
            self.lanes.release(lane)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await signals.request_started.asend(sender=RequestLifecycleMiddleware, scope=scope)
        try:
            await self.app(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await signals.request_finished.asend(sender=RequestLifecycleMiddleware)


def signal_job(signal: Signal, **kwargs: Any) -> Callable[[], None]:
    """Send ``signal`` from the request's context; a receiver's error is logged, as no one waits."""
    context = contextvars.copy_context()

    def job() -> None:
        try:
            context.run(signal.send, sender=RequestLifecycleMiddleware, **kwargs)
        except Exception as exc:
            logger.error("A request signal receiver raised %r", exc, exc_info=exc)

    return job


async def busy(scope: Scope, receive: Receive, send: Send) -> None:
    timeout = api_settings.THREAD_TIMEOUT
    logger.warning(
        "No worker thread became free within %ss for %s; answered 503. "
        "Raise FASTAPI_THREADS (and the database pool with it) if this recurs.",
        timeout, scope.get("path"),
    )
    response = JSONResponse(
        {"detail": "The server is busy. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "1"},
    )
    await response(scope, receive, send)


def close_connections() -> None:
    """Close this thread's connections, returning pooled ones to their pool."""
    connections.close_all()


def lifespan_for(lanes: LanePool):
    """A lifespan that closes every lane's connections, and the pools, at shutdown."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        prepare_pools()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(shutdown, lanes)

    return lifespan


def shutdown(lanes: LanePool) -> None:
    lanes.run_on_each(close_connections)
    close_connections()
    close_pools()

