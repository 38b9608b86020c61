"""Websockets for the test clients, inside the test's transaction like their HTTP requests.

    def test_room(db, ada):
        client = Client()
        client.force_login(ada)
        with client.websocket_connect("/api/room/ws") as socket:
            socket.send_text("hello")
            assert socket.receive_json() == {"user": "ada", "text": "hello"}

    async def test_room_async(db, ada):
        async with AsyncClient() as client:
            await client.aforce_login(ada)
            async with client.websocket_connect("/api/room/ws") as socket:
                await socket.send_text("hello")

The handshake carries the client's cookies and headers, ``Origin`` (the client's own origin
unless given; ``origin=None`` sends none), and ``subprotocols`` (``["bearer", token]`` as a
browser would send a token). A refused handshake raises ``WebSocketRejected`` (``status_code``
403, as a server answers); a close after ``accept()`` raises starlette's ``WebSocketDisconnect``
(``code`` 4401, 4403...) from the next ``receive``. Every wait is bounded by ``timeout``.

The sync client runs the app on a thread of its own and its sync work (the session lookup, the
ORM) on the test's thread, during the socket's calls; the async client runs both as its HTTP
requests do.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Coroutine
from concurrent.futures import Executor, Future
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp, Message
from starlette.websockets import WebSocketDisconnect

from ..core.lifecycle import calling_executor

T = TypeVar("T")
_ENDED: Message = {"type": "django_fastapi.ended"}
_WAKE = object()


class WebSocketRejected(Exception):
    """The app refused the handshake: the server would answer ``status_code`` (403 for a close)."""

    def __init__(self, status_code: int, body: bytes = b"") -> None:
        super().__init__(f"The websocket handshake was refused with HTTP {status_code}.")
        self.status_code = status_code
        self.body = body


def build_scope(
    client: httpx.AsyncClient,
    path: str,
    *,
    subprotocols: list[str] | None,
    headers: dict[str, str] | None,
    origin: str | None,
) -> dict[str, Any]:
    url = client.base_url.join(path)
    sent = httpx.Headers(client.headers)
    sent.update(headers or {})
    sent["host"] = url.netloc.decode("ascii")
    if origin is not None:
        sent["origin"] = origin
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)
    if cookies:
        sent["cookie"] = cookies
    if subprotocols:
        sent["sec-websocket-protocol"] = ", ".join(subprotocols)
    sent.update({"connection": "upgrade", "upgrade": "websocket", "sec-websocket-version": "13"})
    secure = url.scheme == "https"
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss" if secure else "ws",
        "server": (url.host, url.port or (443 if secure else 80)),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": url.path,
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in sent.items()],
        "subprotocols": list(subprotocols or []),
    }


def own_origin(client: httpx.AsyncClient) -> str:
    parts = urlsplit(str(client.base_url))
    return f"{parts.scheme}://{parts.netloc}"


class _Socket:
    """The app's side of one websocket, on the event loop that runs it."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], executor: Executor | None, timeout: float) -> None:
        self.app = app
        self.scope = scope
        self.executor = executor
        self.timeout = timeout
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.outbox: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self.subprotocol: str | None = None
        self.close_code: int | None = None

    async def _run(self) -> None:
        if self.executor is not None:
            calling_executor.set(self.executor)
        try:
            await self.app(self.scope, self.inbox.get, self.outbox.put)
        except Exception as exc:
            self.error = exc
        finally:
            await self.outbox.put(_ENDED)

    async def _next(self) -> Message:
        return await asyncio.wait_for(self.outbox.get(), self.timeout)

    async def connect(self) -> None:
        self.task = asyncio.ensure_future(self._run())
        await self.inbox.put({"type": "websocket.connect"})
        message = await self._next()
        if message["type"] == "websocket.accept":
            self.subprotocol = message.get("subprotocol")
            return
        await self._finish()
        if message["type"] == "websocket.http.response.start":
            body = b""
            while (part := await self._next())["type"] == "websocket.http.response.body":
                body += part.get("body", b"")
                if not part.get("more_body"):
                    break
            raise WebSocketRejected(message["status"], body)
        if self.error is not None:
            raise self.error
        raise WebSocketRejected(403 if message["type"] == "websocket.close" else 500)

    async def receive(self) -> Message:
        if self.close_code is not None:
            raise WebSocketDisconnect(self.close_code)
        message = await self._next()
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason") or "")
        if message is _ENDED:
            self.close_code = 1006
            if self.error is not None:
                raise self.error
            raise WebSocketDisconnect(1006, "The app ended without closing the socket.")
        return message

    async def send(self, message: Message) -> None:
        await self.inbox.put(message)

    async def close(self, code: int = 1000) -> None:
        await self.inbox.put({"type": "websocket.disconnect", "code": code})
        await self._finish()

    async def _finish(self) -> None:
        if self.task is not None:
            await asyncio.wait_for(asyncio.shield(self.task), self.timeout)
        if self.error is not None:
            raise self.error


def _text(message: Message) -> str:
    if message.get("text") is None:
        raise TypeError("Expected a text message, got bytes.")
    return str(message["text"])


def _bytes(message: Message) -> bytes:
    if message.get("bytes") is None:
        raise TypeError("Expected a binary message, got text.")
    return bytes(message["bytes"])


class AsyncWebSocketSession:
    """``async with client.websocket_connect(path) as socket`` of ``AsyncClient``."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], timeout: float) -> None:
        self._socket = _Socket(app, scope, None, timeout)

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the app accepted."""
        return self._socket.subprotocol

    async def __aenter__(self) -> AsyncWebSocketSession:
        await self._socket.connect()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._socket.close()

    async def send_text(self, data: str) -> None:
        await self._socket.send({"type": "websocket.receive", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self._socket.send({"type": "websocket.receive", "bytes": data})

    async def send_json(self, data: Any) -> None:
        await self.send_text(json.dumps(data))

    async def receive(self) -> Message:
        return await self._socket.receive()

    async def receive_text(self) -> str:
        return _text(await self.receive())

    async def receive_bytes(self) -> bytes:
        return _bytes(await self.receive())

    async def receive_json(self) -> Any:
        return json.loads(await self.receive_text())


class _TestThreadExecutor(Executor):
    """Sync work the app submits, run on the test's thread while it waits on the socket."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.jobs.put((future, fn, args, kwargs))
        return future

    def serve_until(self, waited: Future[T], timeout: float) -> T:
        waited.add_done_callback(lambda _: self.jobs.put(_WAKE))
        while not waited.done():
            try:
                item = self.jobs.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"The websocket did not answer within {timeout}s.") from None
            if item is _WAKE:
                continue
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:
                    future.set_exception(exc)
        return waited.result()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


class WebSocketSession:
    """``with client.websocket_connect(path) as socket`` of the sync ``Client``."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], timeout: float) -> None:
        self._timeout = timeout
        self._executor = _TestThreadExecutor()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="django_fastapi-test-websocket", daemon=True
        )
        self._socket: _Socket | None = None
        self._app, self._scope = app, scope

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        # A little longer than the socket's own timeouts, which end the coroutine first.
        return self._executor.serve_until(future, self._timeout + 5)

    async def _create(self) -> _Socket:
        return _Socket(self._app, self._scope, self._executor, self._timeout)

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the app accepted."""
        return self._socket.subprotocol if self._socket is not None else None

    def __enter__(self) -> WebSocketSession:
        self._thread.start()
        try:
            self._socket = self._call(self._create())
            self._call(self._socket.connect())
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._socket is not None:
                self._call(self._socket.close())
        finally:
            self._stop()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=self._timeout)
        if not self._thread.is_alive():
            self._loop.close()

    def _socket_or_fail(self) -> _Socket:
        if self._socket is None:
            raise RuntimeError("Use the session in a with statement.")
        return self._socket

    def send_text(self, data: str) -> None:
        self._call(self._socket_or_fail().send({"type": "websocket.receive", "text": data}))

    def send_bytes(self, data: bytes) -> None:
        self._call(self._socket_or_fail().send({"type": "websocket.receive", "bytes": data}))

    def send_json(self, data: Any) -> None:
        self.send_text(json.dumps(data))

    def receive(self) -> Message:
        return self._call(self._socket_or_fail().receive())

    def receive_text(self) -> str:
        return _text(self.receive())

    def receive_bytes(self) -> bytes:
        return _bytes(self.receive())

    def receive_json(self) -> Any:
        return json.loads(self.receive_text())
