"""One line per request, as ``runserver`` prints them, through the ``django_fastapi.server`` logger.

    [22/Nov/2025 09:14:03] "GET /api/catalog/books?limit=5 HTTP/1.1" 200 1234 3.2ms

Status 500 and above is logged at ERROR, 400 and above at WARNING, the rest at INFO, like Django's
``django.server`` logger. Each record carries ``status_code``, ``size`` (body bytes sent),
``duration`` (seconds), ``client`` (``"host:port"``), ``method``, ``path`` and ``request_id`` for
your own formatters. A health or readiness probe's success is logged at DEBUG. With
``FASTAPI_ACCESS_LOG_FORMAT = "json"`` the default handler writes JSON lines instead.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

from django.utils.log import ServerFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conf import api_settings
from ..operations.context import JsonLinesFormatter, RequestIdFilter, current

LOGGER = "django_fastapi.server"
logger = logging.getLogger(LOGGER)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        size = 0
        headers: list[tuple[bytes, bytes]] = []

        async def logging_send(message: Message) -> None:
            nonlocal status, size, headers
            kind = message["type"]
            if kind == "http.response.body":
                size += len(message.get("body", b""))
            elif kind == "http.response.start":
                status = message["status"]
                headers = message.get("headers", [])
            elif kind == "http.response.pathsend":
                size = _content_length(headers)
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        except Exception:
            # The server answers 500 for an exception raised before the response started.
            log_request(scope, status or 500, size, time.perf_counter() - started)
            raise
        if status is not None:
            log_request(scope, status, size, time.perf_counter() - started)


def log_request(scope: Scope, status: int, size: int, duration: float) -> None:
    level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    info = current.get()
    if level == logging.INFO and info is not None and info.quiet:
        level = logging.DEBUG
    if not logger.isEnabledFor(level):
        return
    client = scope.get("client")
    target = _target(scope)
    logger.log(
        level,
        '"%s %s HTTP/%s" %d %d %.1fms',
        scope["method"],
        target,
        scope.get("http_version", "1.1"),
        status,
        size,
        duration * 1000,
        extra={
            "status_code": status,
            "size": size,
            "duration": duration,
            "client": f"{client[0]}:{client[1]}" if client else None,
            "method": scope["method"],
            "path": target,
            "request_id": None if info is None else info.request_id,
        },
    )


def configure_default_logging() -> None:
    """Print request lines to stderr as ``runserver`` does, unless LOGGING configures the logger.

    Like Django's default for ``django.server``: a handler of its own, not propagated. A project
    that configures ``django_fastapi.server`` (or ``django_fastapi``) in LOGGING keeps its own.
    """
    configured = [logger, logging.getLogger("django_fastapi")]
    if any(item.handlers or item.level != logging.NOTSET or not item.propagate or item.disabled for item in configured):
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if api_settings.ACCESS_LOG_FORMAT == "json":
        handler.setFormatter(JsonLinesFormatter())
    else:
        # runserver's own time format, without logging's milliseconds.
        handler.setFormatter(ServerFormatter("[{server_time}] {message}", datefmt="%d/%b/%Y %H:%M:%S", style="{"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _target(scope: Scope) -> str:
    raw_path = scope.get("raw_path")
    # The bytes the client sent; some ASGI clients include the query string in raw_path.
    path = raw_path.split(b"?", 1)[0].decode("latin-1") if raw_path else quote(scope["path"])
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _content_length(headers: list[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return 0
