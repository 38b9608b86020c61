"""Django's authentication on websocket routes: the token a browser offers, the Origin, close codes.

    from fastapi import WebSocket
    from django_fastapi.security import CurrentUser

    @router.websocket("/room")
    async def room(websocket: WebSocket, user: CurrentUser) -> None:
        await websocket.accept()        # "bearer" is chosen when the client offered its token
        await websocket.send_json({"hello": user.get_username()})

The sources are those of HTTP (``FASTAPI_AUTHENTICATION``). A browser cannot set headers on a
WebSocket, so it offers its bearer token as a subprotocol: ``new WebSocket(url, ["bearer", token])``.
The server accepts the subprotocol ``bearer`` and never echoes the token. Not a query parameter:
URLs end up in access logs, proxies' logs and browser history.

A socket the session cookie authenticates was opened by a page the browser loaded, maybe another
site's (cross-site websocket hijacking: browsers send cookies but no CORS applies), so its
``Origin`` must be the request's own host, match ``ALLOWED_HOSTS`` (but a bare ``"*"``) or be in
``CSRF_TRUSTED_ORIGINS``; otherwise the handshake is refused with 403 and logged to
``django.security.websocket``. A token is never sent by a browser on its own, so token-authenticated
sockets need no such check.

Errors become close codes: before ``accept()`` the handshake is refused (the server answers 403);
after it, the socket closes with 4000 + the HTTP status of a 4xx (4401, 4403, 4429...), 1011 for
any other error, which is logged to ``django.request`` as on HTTP. A 503 closes with 1013
("try again later") before or after ``accept()``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain
from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..core.exceptions import server_error

BEARER_SUBPROTOCOL = "bearer"
TRY_AGAIN_LATER = 1013
INTERNAL_ERROR = 1011
logger = logging.getLogger("django.security.websocket")


def subprotocol_token(scope: Scope) -> str | None:
    """The token offered as ``["bearer", token]`` subprotocols, or None."""
    offered = scope.get("subprotocols") or []
    for index, name in enumerate(offered[:-1]):
        if name.lower() == BEARER_SUBPROTOCOL:
            return str(offered[index + 1])
    return None


def _allowed_hosts() -> list[str]:
    hosts = [host for host in settings.ALLOWED_HOSTS if host != "*"]
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def _trusted(origin: str, scheme: str, netloc: str) -> bool:
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if trusted == origin:
            return True
        parts = urlsplit(trusted)
        if "*" in parts.netloc and parts.scheme == scheme:
            if is_same_domain(netloc, parts.netloc.lstrip("*")):
                return True
    return False


def origin_refusal(connection: HTTPConnection) -> str | None:
    """Why a cookie-authenticated socket's ``Origin`` is refused, or None when it is allowed."""
    origin = connection.headers.get("origin")
    if not origin or origin == "null":
        return "The Origin header is missing."
    parts = urlsplit(origin)
    netloc = parts.netloc.lower()
    if parts.scheme not in ("http", "https") or not netloc:
        return f"The Origin {origin!r} is not a web origin."
    host = connection.headers.get("host", "").lower()
    domain, _ = split_domain_port(netloc)
    if netloc == host or (domain and validate_host(domain, _allowed_hosts())):
        return None
    if _trusted(origin.lower(), parts.scheme, netloc):
        return None
    return f"The Origin {origin!r} is not allowed (ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS)."


def check_origin(connection: HTTPConnection) -> None:
    """403 unless the socket's Origin is allowed (see the module's docstring)."""
    reason = origin_refusal(connection)
    if reason is not None:
        logger.warning(
            "Websocket %s refused: %s", connection.url.path, reason, extra={"status_code": 403}
        )
        raise HTTPException(403, reason)


def close_code(status: int) -> int:
    """The close code after ``accept()`` for an error answered with HTTP ``status``."""
    if 400 <= status < 500:
        return 4000 + status
    return TRY_AGAIN_LATER if status == 503 else INTERNAL_ERROR


def as_http(scope: Scope) -> Request:
    """The handshake as the HTTP GET it is, for exception handlers written for requests."""
    return Request({**scope, "type": "http", "method": "GET"})


async def close(websocket: WebSocket, status: int, reason: str = "") -> None:
    """Refuse the handshake (403), or close an accepted socket with ``close_code(status)``.

    A 503 (no lane free, the database down) closes with 1013 either way: the client may retry.
    """
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    if websocket.application_state == WebSocketState.CONNECTING:
        if status != 503:
            await websocket.close()
            return
        await websocket.accept()  # a busy server says "try again later", which needs a socket
    # The close frame's reason is limited to 123 bytes.
    text = reason.encode()[:123].decode(errors="ignore")
    await websocket.close(code=close_code(status), reason=text)


def for_websockets(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` for HTTP; for a websocket, its answer's status becomes the close (or 403)."""

    target_call = handler.func if isinstance(handler, functools.partial) else handler
    # As Starlette decides (its own helper is private): a coroutine function, or an object whose
    # __call__ is one.
    is_async = inspect.iscoroutinefunction(target_call) or inspect.iscoroutinefunction(
        type(target_call).__call__
    )

    async def handle(connection: Any, exc: Exception) -> Any:
        is_socket = isinstance(connection, WebSocket)
        target = as_http(connection.scope) if is_socket else connection
        if is_async:
            response = await handler(target, exc)
        else:
            response = await run_in_threadpool(handler, target, exc)
        if not is_socket:
            return response
        status = getattr(response, "status_code", 500)
        detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
        await close(connection, status, detail if 400 <= status < 500 and isinstance(detail, str) else "")
        return None

    handle.__name__ = getattr(handler, "__name__", "handler")
    return handle


class WebSocketMiddleware:
    """For websockets: accept the ``bearer`` subprotocol, never the token itself; turn an error no
    handler answered into a logged close (1011), not a 500 or a torn connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        token = subprotocol_token(scope)
        state = {"accepted": False, "closed": False}

        async def guarded_send(message: Message) -> None:
            if message["type"] == "websocket.accept":
                state["accepted"] = True
                if token is not None and message.get("subprotocol") in (None, token):
                    message = {**message, "subprotocol": BEARER_SUBPROTOCOL}
            elif message["type"] in ("websocket.close", "websocket.http.response.start"):
                state["closed"] = True
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except WebSocketDisconnect:
            pass  # the client left while the endpoint was receiving: nothing went wrong
        except Exception as exc:
            await server_error(as_http(scope), exc)
            if state["closed"]:
                return
            message: Message = {"type": "websocket.close"}
            if state["accepted"]:
                message = {**message, "code": INTERNAL_ERROR, "reason": ""}
            with contextlib.suppress(OSError, RuntimeError):  # the client has gone already
                await send(message)
