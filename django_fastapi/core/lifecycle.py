"""Django's request cycle around every HTTP request and websocket the bridge serves.

A request's sync work runs on the lanes (``lanes.py``), a job at a time, holding a lane only while
a job runs (or while a transaction it opened is open). ``request_started`` runs on the lane of the
request's first job, just before it; ``request_finished`` once the whole response (streaming
bodies and background tasks included) has been sent, or the websocket closed, on the last lane
the request used, and ``close_old_connections`` on every other lane it used. Django's
``close_old_connections`` and a project's own receivers so act on the connections that request's
code used.

Open streaming responses and websockets are counted: beyond ``FASTAPI_MAX_STREAMS`` a new stream
is answered 503, beyond ``FASTAPI_MAX_WEBSOCKETS`` a new websocket is closed with code 1013.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
from asgiref.sync import ThreadSensitiveContext
from django.core import signals
from django.db import connections
from django.dispatch import Signal
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conf import api_settings
from .compat_asgiref import outer_sync_executor
from .compat_asyncio import as_if_sync
from .lanes import LanePool, LanesBusy, RequestLanes
from .pools import close_pools, prepare_pools

logger = logging.getLogger("django_fastapi")

# Set by the test client: run sync work on the test's own thread, inside its transaction,
# as Django's test client does.
calling_thread: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "django_fastapi_calling_thread", default=False
)
# Set by the test client's websockets, whose app runs on a thread of its own: the executor that
# runs their sync work on the test's thread.
calling_executor: contextvars.ContextVar[Executor | None] = contextvars.ContextVar(
    "django_fastapi_calling_executor", default=None
)

TRY_AGAIN_LATER = 1013  # websocket close code


class StreamRefused(Exception):
    """A streaming response beyond ``FASTAPI_MAX_STREAMS``: answered 503 instead."""


class RequestLifecycleMiddleware:
    def __init__(self, app: ASGIApp, lanes: LanePool) -> None:
        self.app = app
        self.lanes = lanes
        self.open_streams = 0
        self.open_websockets = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        if calling_thread.get():
            await self.on_calling_thread(scope, receive, send)
            return
        if kind == "websocket":
            await self.websocket(scope, receive, send)
            return
        request = RequestLanes(self.lanes, signal_job(signals.request_started, scope=scope))
        streaming = started = False

        async def counting_send(message: Message) -> None:
            nonlocal streaming, started
            if message["type"] == "http.response.start":
                started = True
                if _is_stream(message):
                    if self.open_streams >= api_settings.MAX_STREAMS:
                        await too_many_streams(scope, send)
                        raise StreamRefused
                    streaming = True
                    self.open_streams += 1
            await send(message)

        try:
            async with ThreadSensitiveContext(executor=request):
                await self.app(scope, receive, counting_send)
        except LanesBusy:
            if started:
                raise
            await busy(scope, receive, send)
        except StreamRefused:
            pass
        finally:
            if streaming:
                self.open_streams -= 1
            request.finish(signal_job(signals.request_finished))

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.open_websockets >= api_settings.MAX_WEBSOCKETS:
            await refuse_websocket(receive, send)
            return
        self.open_websockets += 1
        request = RequestLanes(self.lanes, signal_job(signals.request_started, scope=scope))
        accepted = False

        async def tracking_send(message: Message) -> None:
            nonlocal accepted
            accepted = accepted or message["type"] == "websocket.accept"
            await send(message)

        try:
            async with ThreadSensitiveContext(executor=request):
                await self.app(scope, receive, tracking_send)
        except LanesBusy:
            logger.warning("No worker thread became free for websocket %s; closed with 1013.", scope.get("path"))
            if not accepted:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER, "reason": "The server is busy."})
        finally:
            self.open_websockets -= 1
            request.finish(signal_job(signals.request_finished))

    async def on_calling_thread(self, scope: Scope, receive: Receive, send: Send) -> None:
        executor = calling_executor.get()
        if executor is not None:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
            return
        if outer_sync_executor() is not None:
            # Under the sync test client (or an async TestCase method) an enclosing async_to_sync
            # sends thread-sensitive calls to the test's thread already.
            await self.handle(scope, receive, send)
            return
        # An async test: the event loop runs on the test's thread, which cannot also run sync work.
        async with ThreadSensitiveContext(executor=TestConnectionsExecutor()):
            await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await signals.request_started.asend(sender=RequestLifecycleMiddleware, scope=scope)
        try:
            await self.app(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await signals.request_finished.asend(sender=RequestLifecycleMiddleware)


def _is_stream(message: Message) -> bool:
    """A response without Content-Length (Starlette's streaming responses) that has a body."""
    status = message["status"]
    if status < 200 or status in (204, 304):
        return False
    for name, _ in message.get("headers", ()):
        if name.lower() == b"content-length":
            return False
    return True


# One helper thread for every async test's sync work: requests a test overlaps (asyncio.gather)
# share the test's connections, so their jobs must run one at a time, as on the test's thread.
_test_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="django_fastapi-test")


class TestConnectionsExecutor(Executor):
    """Runs an async test's sync work on one helper thread with the test thread's connections.

    The test's transaction (pytest-django's ``db``, a ``TestCase``) lives on the connections of
    the thread that runs the test, which is busy running the event loop; the helper thread borrows
    them for each job, as Django's live server shares an in-memory database's connection.
    """

    def __init__(self) -> None:
        # Those of the test's sync code, not the loop's own (Django keeps them apart).
        self._connections = as_if_sync(lambda: {alias: connections[alias] for alias in connections})

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return _test_thread.submit(self._run, fn, args, kwargs)

    def _run(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        for alias, connection in self._connections.items():
            connection.inc_thread_sharing()
            connections[alias] = connection
        try:
            return fn(*args, **kwargs)
        finally:
            for alias, connection in self._connections.items():
                del connections[alias]
                connection.dec_thread_sharing()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


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
    await busy_response()(scope, receive, send)


def busy_response() -> JSONResponse:
    timeout = api_settings.THREAD_TIMEOUT
    logger.warning(
        "No worker thread became free within %ss; answered 503. "
        "Raise FASTAPI_THREADS (and the database pool with it) if this recurs.",
        timeout,
    )
    return JSONResponse(
        {"detail": "The server is busy. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def lanes_busy(request: Any, exc: Exception) -> JSONResponse:
    """Exception handler: a job that waited ``FASTAPI_THREAD_TIMEOUT`` for a lane is a 503."""
    return busy_response()


async def too_many_streams(scope: Scope, send: Send) -> None:
    logger.warning(
        "%s open streaming responses (FASTAPI_MAX_STREAMS); answered 503 to %s.",
        api_settings.MAX_STREAMS, scope.get("path"),
    )
    response = JSONResponse(
        {"detail": "The server has too many open streams. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "5"},
    )
    await response(scope, _no_body, send)


async def refuse_websocket(receive: Receive, send: Send) -> None:
    logger.warning("%s open websockets (FASTAPI_MAX_WEBSOCKETS); closed a new one with 1013.", api_settings.MAX_WEBSOCKETS)
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": TRY_AGAIN_LATER, "reason": "Too many open websockets."})


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def close_connections() -> None:
    """Close this thread's connections, returning pooled ones to their pool."""
    connections.close_all()


def lifespan_for(lanes: LanePool) -> Callable[[Any], AbstractAsyncContextManager[None]]:
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
