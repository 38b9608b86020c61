"""Refuse API request bodies over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with a 413.

A ``Content-Length`` over the limit is answered at once, before the body is read; a body without
one (chunked) is counted as the endpoint reads it. As in Django, file uploads
(``multipart/form-data``) are not held to that limit, which is about bodies read into memory:
Starlette spools uploaded files to disk. ``FASTAPI_MAX_UPLOAD_SIZE`` limits them instead. ``None``
means no limit, for either setting.
"""

from __future__ import annotations

from django.conf import settings
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conf import api_settings


class RequestBodyTooLarge(HTTPException):
    # An HTTPException, so that FastAPI's body parsing lets it through to the 413 handler.
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body too large: the limit is {limit} bytes.")


def body_limit(headers: Headers) -> int | None:
    """The limit for a request with these headers, read from the settings now."""
    if headers.get("content-type", "").lower().startswith("multipart/form-data"):
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
        if length is None and not chunked and scope.get("http_version") in ("1.0", "1.1"):
            # HTTP/1 without Content-Length or Transfer-Encoding: there is no body to limit.
            await self.app(scope, receive, send)
            return
        limit = body_limit(Headers(scope=scope))
        if limit is None:
            await self.app(scope, receive, send)
            return
        if length is not None and length.isdigit() and not chunked:
            if int(length) > limit:
                await too_large(scope, send, RequestBodyTooLarge(limit))
            else:
                # The server holds the body to its Content-Length (h11, httptools and h2 all do),
                # so a length within the limit needs no counting.
                await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge(limit)
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
    headers = {}
    if scope.get("http_version") in ("1.0", "1.1"):
        # The rest of the body is not read: the connection cannot carry another request.
        headers["connection"] = "close"
    response = JSONResponse({"detail": exc.detail}, status_code=413, headers=headers)
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
