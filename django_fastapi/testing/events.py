"""Reading server-sent events in tests: a parser, and a live stream inside the test's transaction.

    from django_fastapi.testing import AsyncClient, EventStream, parse_events

    async def test_new_book_is_streamed(db):
        async with EventStream(AsyncClient(), "/api/catalog/books/live") as stream:
            await create_book()
            event = await stream.next_event()
        assert event.json()["title"] == "Dune"

``EventStream`` calls the app directly (httpx's ASGI transport returns a response only once its
body has ended, which an event stream never does) and disconnects on leaving the block.
``parse_events(text)`` reads a finished stream, e.g. ``response.text`` from a real server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.types import Message

from .client import AsyncClient


@dataclass(frozen=True)
class ServerSentEvent:
    data: str
    event: str = "message"
    id: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


class EventParser:
    """The SSE wire format, line by line, as a browser's ``EventSource`` reads it."""

    def __init__(self) -> None:
        self.data: list[str] = []
        self.event = ""
        self.last_event_id: str | None = None
        self.retry: int | None = None
        self.comments = 0
        self._partial = ""

    def feed(self, chunk: str) -> list[ServerSentEvent]:
        text = self._partial + chunk
        held = "\r" if text.endswith("\r") else ""  # perhaps the first half of "\r\n"
        lines = text.removesuffix(held).replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._partial = lines.pop() + held
        return [event for line in lines if (event := self.line(line)) is not None]

    def line(self, line: str) -> ServerSentEvent | None:
        if not line:
            if not self.data:
                self.event = ""
                return None
            event = ServerSentEvent("\n".join(self.data), self.event or "message", self.last_event_id)
            self.data, self.event = [], ""
            return event
        if line.startswith(":"):
            self.comments += 1
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self.data.append(value)
        elif field == "event":
            self.event = value
        elif field == "id" and "\0" not in value:
            self.last_event_id = value
        elif field == "retry" and value.isdigit():
            self.retry = int(value)
        return None


def iter_events(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """Events from lines such as ``httpx.Response.iter_lines()`` of a real server's stream."""
    parser = EventParser()
    for line in lines:
        event = parser.line(line.rstrip("\r\n"))
        if event is not None:
            yield event


def parse_events(text: str) -> list[ServerSentEvent]:
    return list(iter_events(text.splitlines() + [""]))


class EventStream:
    """A GET request to an SSE endpoint of ``client``'s app, read event by event while it runs."""

    def __init__(self, client: AsyncClient, url: str, *, headers: dict[str, str] | None = None,
                 last_event_id: str | None = None) -> None:
        self.client = client
        self.request = client.build_request(
            "GET", url, headers={**(headers or {}), **({"Last-Event-ID": last_event_id} if last_event_id else {})}
        )
        self.parser = EventParser()
        self.status_code = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self._events: asyncio.Queue[ServerSentEvent] = asyncio.Queue()
        self._started = asyncio.Event()
        self._ended = asyncio.Event()
        self._disconnect = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def retry(self) -> int | None:
        return self.parser.retry

    @property
    def comments(self) -> int:
        """Comment lines (keep-alives) received so far."""
        return self.parser.comments

    async def __aenter__(self) -> EventStream:
        url = self.request.url
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
            "method": "GET", "scheme": url.scheme, "path": url.path, "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query, "root_path": "", "client": ("127.0.0.1", 50000),
            "server": (url.host, url.port or 80),
            "headers": [(key.lower(), value) for key, value in self.request.headers.raw],
        }
        self._task = asyncio.ensure_future(self.client._app(scope, self._receive, self._send))
        started = asyncio.ensure_future(self._started.wait())
        await asyncio.wait([started, self._task], return_when=asyncio.FIRST_COMPLETED)
        started.cancel()
        if self._task.done() and not self._started.is_set():
            self._task.result()  # the app's exception
            raise RuntimeError("The app returned without sending a response.")
        return self

    async def _receive(self) -> Message:
        if not getattr(self, "_sent_request", False):
            self._sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status_code = message["status"]
            self.headers = {key.decode().lower(): value.decode() for key, value in message.get("headers", [])}
            self._started.set()
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.body += chunk
            if self.status_code == 200:
                for event in self.parser.feed(chunk.decode()):
                    self._events.put_nowait(event)
            if not message.get("more_body", False):
                self._ended.set()

    async def next_event(self, timeout: float = 10.0) -> ServerSentEvent:
        """The next event; ``TimeoutError`` naming the stream when none came within ``timeout`` seconds."""
        try:
            return await asyncio.wait_for(self._events.get(), timeout)
        except TimeoutError:
            raise TimeoutError(f"No event on {self.request.url} within {timeout}s (status {self.status_code}).") from None

    async def ended(self, timeout: float = 10.0) -> bool:
        """Whether the server ended the stream within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._ended.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def __aexit__(self, *exc_info: Any) -> None:
        self._disconnect.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except TimeoutError:
                pass  # wait_for cancelled it
