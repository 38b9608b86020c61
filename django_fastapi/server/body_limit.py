"""Hold API request bodies to Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``, with a 413.

The limit depends on the endpoint the request is routed to, whatever its Content-Type: a body read
into memory (JSON, form fields, text, bytes) is held to ``DATA_UPLOAD_MAX_MEMORY_SIZE``; only an
endpoint that declares a file (``File()``, ``UploadFile``), whose uploads Starlette spools to disk,
takes up to ``FASTAPI_MAX_UPLOAD_SIZE`` instead. ``None`` means no limit, for either setting.

The limit is decided when the endpoint first reads the body, after routing and before a byte of it
is read: a ``Content-Length`` over the limit is answered at once, a body without one (chunked) is
counted as it is read. A request whose endpoint never reads its body is not refused.
"""

from __future__ import annotations

from django.conf import settings
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conf import api_settings
from ..core.compat_fastapi import declares_files, serving_route


class RequestBodyTooLarge(HTTPException):
    # An HTTPException, so that FastAPI's body parsing lets it through to the 413 handler.
    def __init__(self, limit: int, *, close: bool = True) -> None:
        # The rest of the body is not read: an HTTP/1 connection cannot carry another request.
        headers = {"connection": "close"} if close else None
        super().__init__(413, f"Request body too large: the limit is {limit} bytes.", headers=headers)


def body_limit(scope: Scope) -> int | None:
    """The limit for this request, read from the settings now.

    Before routing (a body read by a middleware) the route is unknown: the in-memory limit holds.
    """
    route = serving_route(scope)
    if route is not None and declares_files(route):
        return api_settings.MAX_UPLOAD_SIZE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _framing(scope: Scope) -> tuple[bytes | None, bool]:
    """The request's Content-Length value, and whether it sent Transfer-Encoding."""
    length, chunked = None, False
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = _framing(scope)
        http1 = scope.get("http_version") in ("1.0", "1.1")
        if length is None and not chunked and http1:
            # HTTP/1 without Content-Length or Transfer-Encoding: there is no body to limit.
            await self.app(scope, receive, send)
            return
        announced = int(length) if length is not None and length.isdigit() and not chunked else None
        limit: int | None = None
        decided = False
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal decided, limit, received
            if not decided:
                # The first read comes after routing (FastAPI reads the body in the endpoint's
                # handler), so the route, and whether it takes files, is known here.
                decided, limit = True, body_limit(scope)
                if limit is not None and announced is not None and announced > limit:
                    raise RequestBodyTooLarge(limit, close=http1)
            message = await receive()
            if message["type"] == "http.request" and limit is not None:
                # A Content-Length within the limit needs no counting (h11, httptools and h2 hold
                # the body to it); counting anyway costs nothing.
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge(limit, close=http1)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestBodyTooLarge as exc:
            # Raised where nothing turned it into a response, e.g. a body read in a middleware.
            if started:
                raise
            await too_large(scope, send, exc)


async def too_large(scope: Scope, send: Send, exc: RequestBodyTooLarge) -> None:
    response = JSONResponse({"detail": exc.detail}, status_code=413, headers=exc.headers)
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
