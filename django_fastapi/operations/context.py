"""Request ids: one per request, on the response and on every log record of the request.

An incoming ``X-Request-ID`` (``FASTAPI_REQUEST_ID_HEADER``) of 1 to 128 characters among letters,
digits and ``-_.:=+/@`` is kept; any other value is replaced by a new id (32 hex digits), so a
client cannot write arbitrary text into the logs. The id lives in a context variable, which
asgiref copies into the thread of each piece of the request's sync work, so the logging filter
``RequestIdFilter`` finds it on records logged there too (``django.request`` errors, your code).
"""

from __future__ import annotations

import contextvars
import json
import logging
import random
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_LENGTH = 128
_VALID = re.compile(rf"[A-Za-z0-9\-_.:=+/@]{{1,{MAX_LENGTH}}}")


class RequestInfo:
    """What the operations layer knows of the request being served."""

    __slots__ = ("request_id", "quiet")

    def __init__(self, request_id: str | None) -> None:
        self.request_id = request_id
        self.quiet = False  # a health probe: its successes are logged at DEBUG


current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("django_fastapi_request", default=None)


def request_id() -> str | None:
    """The id of the request being served in this context, or None outside a request."""
    info = current.get()
    return None if info is None else info.request_id


def mark_quiet() -> None:
    """Log this request's success at DEBUG, not INFO (health and readiness probes)."""
    info = current.get()
    if info is not None:
        info.quiet = True


def new_request_id() -> str:
    """32 random hex digits (uuid4's shape).

    Not ``uuid.uuid4()``: its ``os.urandom`` call releases the GIL, once per request on the event
    loop's thread, which lets a waiting lane take over and costs two thread switches per request
    under load. Request ids correlate log lines; they are not secrets. ``random`` is reseeded in
    each forked worker.
    """
    return f"{random.getrandbits(128):032x}"


def valid_request_id(value: bytes) -> str | None:
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if _VALID.fullmatch(text) else None


class RequestIdMiddleware:
    """Sets the request's ``RequestInfo``; with a ``header``, its id, also sent on the response."""

    def __init__(self, app: ASGIApp, header: str | None = "X-Request-ID") -> None:
        self.app = app
        self.header = header.lower().encode("latin-1") if header else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" and scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        if not self.header:
            token = current.set(RequestInfo(None))
            try:
                await self.app(scope, receive, send)
            finally:
                current.reset(token)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == self.header:
                incoming = valid_request_id(value)
                break
        rid = incoming or new_request_id()
        info = RequestInfo(rid)
        header = (self.header, rid.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        token = current.set(info)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``"-"`` outside a request); never drops one.

    In ``LOGGING``: ``"filters": {"request_id": {"()": "django_fastapi.operations.RequestIdFilter"}}``
    and ``"filters": ["request_id"]`` on each handler, then ``%(request_id)s`` in a format.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and the record's
    request fields (method, path, status_code, size, duration, client) when it has them."""

    FIELDS = ("method", "path", "http_version", "status_code", "size", "duration", "client", "request_id")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if "request_id" not in line:
            line["request_id"] = request_id()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
